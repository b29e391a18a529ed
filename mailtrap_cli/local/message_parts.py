"""Reading a stored raw MIME message: bodies, headers, attachment parts, sizes.

Messages are kept as the bytes that arrived (mailstore.py); everything the
sandbox API shows is parsed from them here, on read, with `policy.default`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def _decoded_text(part: Any) -> str:
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
    except (LookupError, ValueError, KeyError, AttributeError):
        pass
    payload = part.get_payload(decode=True) or b""
    if isinstance(payload, list):  # a multipart posing as text
        return ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", "replace")


def body_part(msg: EmailMessage, kind: str) -> Any:
    """The text/plain ("plain") or text/html ("html") body part, or None."""
    try:
        return msg.get_body(preferencelist=(kind,))
    except (KeyError, ValueError):  # malformed structure: no such body
        return None


def text_body(msg: EmailMessage) -> str | None:
    part = body_part(msg, "plain")
    return None if part is None else _decoded_text(part)


def html_body(msg: EmailMessage) -> str | None:
    part = body_part(msg, "html")
    return None if part is None else _decoded_text(part)


def header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
        return str(value) if value is not None else ""
    except Exception:  # noqa: BLE001 - a malformed header reads as its raw text
        values = msg.get_all(name, [])
        return str(values[0]) if values else ""


def all_headers(msg: EmailMessage) -> dict[str, str]:
    """Header names lowercased; repeated headers joined with ", " in order."""
    out: dict[str, str] = {}
    for name in msg:
        key = name.lower()
        if key in out:
            continue
        values = []
        for value in msg.get_all(name, []):
            try:
                values.append(str(value))
            except Exception:  # noqa: BLE001
                values.append(repr(value))
        out[key] = ", ".join(values)
    return out


def recipients(msg: EmailMessage) -> list[str]:
    """Every address of To, Cc and Bcc, in order."""
    pairs = getaddresses([header(msg, "To"), header(msg, "Cc"), header(msg, "Bcc")])
    return [addr for _, addr in pairs if addr]


def sent_at(msg: EmailMessage) -> str | None:
    """The Date header as the API's UTC timestamp, or None when absent or invalid."""
    value = header(msg, "Date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _leaves(part: Any, root: bool = False) -> Iterator[Any]:
    """Leaf parts in order; an attached message counts as one leaf."""
    if not root and part.get_content_type() == "message/rfc822":
        yield part
        return
    if part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            yield from _leaves(sub)
        return
    yield part


def attachment_parts(msg: EmailMessage) -> list[Any]:
    """Parts shown as attachments: everything that is not the text or HTML body."""
    bodies = {id(p) for p in (body_part(msg, "plain"), body_part(msg, "html")) if p is not None}
    found = []
    for part in _leaves(msg, root=True):
        if id(part) in bodies:
            continue
        disposition = part.get_content_disposition()
        if (disposition == "attachment" or part.get_filename() is not None
                or part.get_content_maintype() != "text"):
            found.append(part)
    return found


def part_bytes(part: Any) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        return inner.as_bytes() if hasattr(inner, "as_bytes") else b""
    return part.get_payload(decode=True) or b""


def attachment_type(part: Any) -> str:
    disposition = part.get_content_disposition()
    if disposition in ("attachment", "inline"):
        return disposition
    return "inline" if part.get("Content-ID") else "attachment"


def human_size(size: int) -> str:
    """Like the API: "300 Bytes", "1 Byte", "1.46 KB", "2 MB"."""
    if size < 1024:
        return f"{size} Byte" if size == 1 else f"{size} Bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            text = f"{value:.3g}" if value < 100 else f"{value:.0f}"
            return f"{text} {unit}"
    raise AssertionError("unreachable")
