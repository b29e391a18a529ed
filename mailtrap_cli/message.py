"""The send payload: addresses, validation and the API's limits, as pure functions.

Shared by `send email`, `send raw`, `send batch` (client side, to refuse bad
input before anything is sent) and the built-in server (to answer like the
API does). Imports neither typer nor rich nor requests.

Validation follows the sending specs (email-sending-transactional/bulk and
sandbox-sending) and API-NOTES.md; the messages copy the API's wording where
the spec shows it ("'from' is required", "must specify either text or html
body", ...).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

MAX_RECIPIENTS = 1000          # per field: to, cc, bcc
MAX_CUSTOM_VARIABLES = 1000    # bytes of JSON
MAX_CATEGORY = 255             # characters
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
MAX_BATCH_MESSAGES = 500
MAX_BATCH_BYTES = 50 * 1024 * 1024
RECIPIENT_FIELDS = ("to", "cc", "bcc")
TEMPLATE_FORBIDS = ("subject", "text", "html", "category")
DISPOSITIONS = ("attachment", "inline")

# Headers the API sets itself and refuses in `headers` (compared lowercased).
# Content-Transfer-Encoding is not refused: the API ignores it.
RESERVED_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "subject", "reply-to", "sender", "date", "message-id",
    "mime-version", "content-type", "received", "return-path", "dkim-signature",
    "x-mt-category", "x-mt-custom-variables",
})

# What str.splitlines() and the MIME writer take for a line break, and other
# control characters (NUL, DEL ...) that have no place in a header value.
_BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_SPECIALS = r'\s@<>()\[\],;:"\\\x00-\x1f\x7f\ud800-\udfff'
_EMAIL = re.compile(
    rf"^[^{_SPECIALS}]+@(?:[^{_SPECIALS}.]+\.)+[^{_SPECIALS}.]+$"
)


def is_valid_email(value: Any) -> bool:
    """A practical check: one @, no spaces or specials, a dotted domain, no `..`."""
    if not isinstance(value, str) or len(value) > 320 or not _EMAIL.match(value):
        return False
    local, _, domain = value.rpartition("@")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return all(label and not label.startswith("-") and not label.endswith("-")
               for label in domain.split("."))


def parse_address(text: str) -> dict[str, str]:
    """`Name <a@example.com>`, `<a@example.com>` or `a@example.com` -> the API's address
    object: {"email": ..., "name": ...} ("name" only when there is one).

    Raises ValueError with a readable reason when the address is not valid.
    """
    raw = (text or "").strip()
    name = ""
    email = raw
    if raw.endswith(">") and "<" in raw:
        head, _, rest = raw.rpartition("<")
        email = rest[:-1].strip()
        name = head.strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not email:
        raise ValueError(f"'{text}' has no email address")
    if not is_valid_email(email):
        raise ValueError(f"'{email}' is not a valid email address")
    return {"email": email, "name": name} if name else {"email": email}


class UnsendableJSON(ValueError):  # noqa: N818 - a ValueError, as json's own
    """JSON that parses but cannot be sent: a number out of range (1e999 is
    infinite for Python, and no JSON encoder writes it back), NaN, or nesting
    deeper than the parser can follow."""


MAX_JSON_DEPTH = 200


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")   # not JSON at all (`--var x=NaN` is text)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        shown = text if len(text) <= 30 else text[:30] + "…"
        raise UnsendableJSON(f"the number {shown} is out of range")
    return value


def loads_json(text: str | bytes) -> Any:
    """json.loads without Python's NaN / Infinity / -Infinity and numbers that
    overflow to them (1e999), which could not be sent back out, nor nesting
    past MAX_JSON_DEPTH. ValueError (JSONDecodeError for syntax) otherwise."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise UnsendableJSON("nested too deeply") from None
    if _too_deep(value):
        raise UnsendableJSON(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return value


def _too_deep(value: Any) -> bool:
    """True when arrays/objects nest past MAX_JSON_DEPTH (checked without recursion,
    so the check itself cannot overflow)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return False


def unsendable(value: Any) -> str | None:
    """Why `value` cannot go out as JSON (a non-finite number, nesting too deep),
    or None. The same encoder settings as requests (allow_nan=False)."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return "a number out of range for JSON (such as 1e999 or NaN)"
    except RecursionError:
        return "nested too deeply"
    except TypeError as exc:
        return f"cannot be written as JSON: {exc}"
    return None


def merge_base(base: dict[str, Any] | None, request: dict[str, Any]) -> dict[str, Any]:
    """One batch message: `base` fields, overridden field by field by the request's."""
    if not base:
        return dict(request)
    merged = dict(base)
    merged.update(request)
    return merged


def payload_size(payload: Any) -> int:
    """Bytes of the message as JSON: close to its MIME size, since both carry
    attachments in base64."""
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def decode_attachment(content: str) -> bytes:
    """Base64 (line breaks allowed) -> bytes; ValueError when not valid base64."""
    compact = "".join(content.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None


def _check_address(value: Any, label: str) -> str | None:
    if not isinstance(value, dict):
        return f"'{label}' must be an object with 'email'"
    email = value.get("email")
    if not is_valid_email(email):
        shown = f": {email}" if isinstance(email, str) and email else ""
        return f"'{label}' address is invalid{shown}"
    name = value.get("name")
    if name is not None and not isinstance(name, str):
        return f"'{label}' name must be a string"
    return None


def _check_recipients(payload: dict[str, Any], errors: list[str]) -> None:
    total = 0
    for field in RECIPIENT_FIELDS:
        value = payload.get(field)
        if value is None:
            continue
        if not isinstance(value, list):
            errors.append(f"'{field}' must be an array of addresses")
            continue
        if len(value) > MAX_RECIPIENTS:
            errors.append(f"'{field}' has {len(value)} addresses; at most "
                          f"{MAX_RECIPIENTS} are allowed")
        total += len(value)
        for item in value:
            problem = _check_address(item, field)
            if problem:
                errors.append(problem)
    if total == 0:
        errors.append("'to', 'cc' or 'bcc' address is required")


def _check_content(payload: dict[str, Any], errors: list[str]) -> None:
    if payload.get("template_uuid") is not None:
        uuid = payload["template_uuid"]
        if not isinstance(uuid, str) or not uuid:
            errors.append("'template_uuid' must be a non-empty string")
        for field in TEMPLATE_FORBIDS:
            if payload.get(field) is not None:
                errors.append(f"'{field}' is not allowed with 'template_uuid' "
                              "(the template provides it)")
        variables = payload.get("template_variables")
        if variables is not None and not isinstance(variables, dict):
            errors.append("'template_variables' must be an object")
        return
    if payload.get("template_variables") is not None:
        errors.append("'template_variables' needs 'template_uuid'")
    subject = payload.get("subject")
    if not isinstance(subject, str) or not subject:
        errors.append("'subject' is required")
    for field in ("text", "html"):
        value = payload.get(field)
        if value is not None and not isinstance(value, str):
            errors.append(f"'{field}' must be a string")
    if not any(isinstance(payload.get(f), str) and payload.get(f) for f in ("text", "html")):
        errors.append("must specify either text or html body")
    category = payload.get("category")
    if category is not None:
        if not isinstance(category, str):
            errors.append("'category' must be a string")
        elif len(category) > MAX_CATEGORY:
            errors.append(f"'category' is longer than {MAX_CATEGORY} characters")


def _check_extras(payload: dict[str, Any], errors: list[str]) -> None:
    variables = payload.get("custom_variables")
    if variables is not None:
        if not isinstance(variables, dict):
            errors.append("'custom_variables' must be an object")
        else:
            size = len(json.dumps(variables, ensure_ascii=False,
                                  separators=(",", ":")).encode("utf-8"))
            if size > MAX_CUSTOM_VARIABLES:
                errors.append(f"'custom_variables' is {size} bytes as JSON; at most "
                              f"{MAX_CUSTOM_VARIABLES} are allowed")
    headers = payload.get("headers")
    if headers is not None:
        if not isinstance(headers, dict):
            errors.append("'headers' must be an object")
        else:
            for key, value in headers.items():
                if not isinstance(value, str):
                    errors.append(f"header '{key}' must have a string value")
                if key.strip().lower() in RESERVED_HEADERS:
                    errors.append(f"header '{key}' is reserved and cannot be set")
                elif (not key or any(c in key for c in ": \t\r\n") or not key.isascii()
                      or not key.isprintable()):
                    errors.append(f"header name '{key}' is invalid")
                elif isinstance(value, str) and _BREAKS.search(value):
                    # \v, \f, U+2028 ... are line breaks to the MIME writer too.
                    errors.append(f"header '{key}' must not contain line breaks"
                                  if _LINE_BREAKS.search(value) else
                                  f"header '{key}' must not contain control characters")
    attachments = payload.get("attachments")
    if attachments is None:
        return
    if not isinstance(attachments, list):
        errors.append("'attachments' must be an array")
        return
    for index, item in enumerate(attachments):
        label = f"attachments[{index}]"
        if not isinstance(item, dict):
            errors.append(f"'{label}' must be an object")
            continue
        filename = item.get("filename")
        if not isinstance(filename, str) or not filename:
            errors.append(f"'{label}' filename is required")
        content = item.get("content")
        if not isinstance(content, str) or not content:
            errors.append(f"'{label}' content is required")
        else:
            try:
                decode_attachment(content)
            except ValueError:
                errors.append(f"'{label}' content is not valid base64")
        disposition = item.get("disposition")
        if disposition is not None and disposition not in DISPOSITIONS:
            errors.append(f"'{label}' disposition must be attachment or inline")
        for key in ("type", "content_id"):
            if item.get(key) is not None and not isinstance(item[key], str):
                errors.append(f"'{label}' {key} must be a string")


def validate_message(payload: Any, *, check_size: bool = True) -> list[str]:
    """Every problem with one send payload (or one merged batch message), in the
    API's words; an empty list when it is fine to send."""
    if not isinstance(payload, dict):
        return ["the message must be a JSON object"]
    errors: list[str] = []
    where = not_utf8(payload)
    if where:
        # Bytes that were not UTF-8 (on the command line, in a file) became lone
        # surrogates: no JSON encoder or MIME writer can send them.
        return [f"'{where}' is not valid UTF-8 text"]
    sender = payload.get("from")
    if sender is None:
        errors.append("'from' is required")
    else:
        problem = _check_address(sender, "from")
        if problem:
            errors.append("'from' address is invalid" if "invalid" in problem else problem)
    _check_recipients(payload, errors)
    if payload.get("reply_to") is not None:
        problem = _check_address(payload["reply_to"], "reply_to")
        if problem:
            errors.append(problem)
    _check_content(payload, errors)
    _check_extras(payload, errors)
    if check_size and not errors:
        size = payload_size(payload)
        if size > MAX_MESSAGE_BYTES:
            errors.append(too_large_message(size, MAX_MESSAGE_BYTES))
    return errors


def not_utf8(value: Any, path: str = "") -> str | None:
    """The path of the first string (key or value) in `value` that cannot be
    encoded as UTF-8 (a lone surrogate), or None. Iterative: no recursion limit."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if not _utf8(item):
                return where or "text"
        elif isinstance(item, dict):
            for key, inner in item.items():
                label = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and not _utf8(key):
                    return label
                stack.append((inner, label))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{i}]") for i, inner in enumerate(item))
    return None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def too_large_message(size: int, limit: int) -> str:
    return f"message is too large: {size} bytes (limit {limit} bytes)"
