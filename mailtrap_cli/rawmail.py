"""A raw MIME message (.eml) -> the API's send payload. Pure logic: no typer, no rich.

What is kept: From, To/Cc/Bcc, Reply-To and Subject (RFC 2047 decoded), the
preferred text/plain and text/html bodies, every other leaf part as an
attachment (inline parts keep their Content-ID), X-MT-Category and
X-MT-Custom-Variables as `category` / `custom_variables`, and the remaining
headers as custom `headers`. Dropped: headers the API sets itself (Date,
Message-ID, MIME and Content-* headers) and trace/authentication headers
(Received, DKIM-Signature, ARC-*, Authentication-Results, ...), which would be
false on a new message.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from mailtrap_cli.message import RESERVED_HEADERS

_DROPPED = RESERVED_HEADERS | {
    "x-received", "delivered-to", "authentication-results", "received-spf",
    "x-original-to", "content-transfer-encoding", "content-disposition",
    "content-id", "content-description", "content-language",
}
_DROPPED_PREFIXES = ("arc-", "content-", "x-google-", "x-gm-", "resent-")


def _repair(value: Any) -> Any:
    """Header text with raw 8-bit bytes (the parser keeps them as surrogate escapes, which
    cannot be sent as JSON) decoded as UTF-8, else Latin-1; in every string of the payload."""
    if isinstance(value, str):
        if not any("\udc80" <= ch <= "\udcff" for ch in value):
            return value
        data = value.encode("utf-8", "surrogateescape")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    if isinstance(value, dict):
        return {_repair(k): _repair(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_repair(v) for v in value]
    return value


def _address(addr: Any) -> dict[str, str]:
    result = {"email": addr.addr_spec}
    if addr.display_name:
        result["name"] = addr.display_name
    return result


def _addresses(msg: EmailMessage, name: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for header in msg.get_all(name, []):
        try:
            addresses = header.addresses
        except AttributeError:  # unparsable: keep the text so validation reports it
            found.append({"email": str(header).strip()})
            continue
        found.extend(_address(a) for a in addresses if a.addr_spec)
    return found


def _leaves(part: EmailMessage) -> list[EmailMessage]:
    if part.get_content_maintype() == "multipart":
        found: list[EmailMessage] = []
        for inner in part.iter_parts():
            found.extend(_leaves(inner))  # type: ignore[arg-type]
        return found
    return [part]


def _text(part: EmailMessage) -> str:
    try:
        text = part.get_content()
    except (LookupError, UnicodeError):  # unknown or wrong charset
        data = part.get_payload(decode=True) or b""
        text = data.decode("utf-8", "replace")
    return text.replace("\r\n", "\n")


def _part_bytes(part: EmailMessage) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload(0)
        return inner.as_bytes(policy=policy.default)
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _attachment(part: EmailMessage, index: int) -> dict[str, Any]:
    ctype = part.get_content_type()
    filename = part.get_filename()
    if not filename:
        ext = ".eml" if ctype == "message/rfc822" else (mimetypes.guess_extension(ctype)
                                                         or ".bin")
        filename = f"part{index}{ext}"
    item: dict[str, Any] = {
        "content": base64.b64encode(_part_bytes(part)).decode("ascii"),
        "filename": filename,
        "type": ctype,
    }
    cid = (part.get("Content-ID") or "").strip().strip("<>").strip()
    disposition = part.get_content_disposition()
    if disposition == "inline" or (cid and disposition != "attachment"):
        item["disposition"] = "inline"
    else:
        item["disposition"] = "attachment"
    if cid:
        item["content_id"] = cid
    return item


def _custom_headers(msg: EmailMessage, payload: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    # A header dropped below is never parsed (the parser of Message-ID fails on
    # `<<<>>>`); one the parser cannot read goes out as written.
    for name, raw in msg.raw_items():
        lowered = name.lower()
        if lowered not in ("x-mt-category", "x-mt-custom-variables") and (
                lowered in _DROPPED or lowered.startswith(_DROPPED_PREFIXES)):
            continue
        try:
            value: Any = str(msg.policy.header_fetch_parse(name, raw))
        except Exception:  # noqa: BLE001 - the email package's own failures
            value = raw
        if lowered == "x-mt-category":
            payload["category"] = str(value).strip()
            continue
        if lowered == "x-mt-custom-variables":
            try:
                variables = json.loads(str(value))
            except ValueError:
                raise ValueError("X-MT-Custom-Variables is not valid JSON") from None
            if not isinstance(variables, dict):
                raise ValueError("X-MT-Custom-Variables must be a JSON object")
            payload["custom_variables"] = {str(k): v if isinstance(v, str) else json.dumps(v)
                                           for k, v in variables.items()}
            continue
        if lowered in _DROPPED or lowered.startswith(_DROPPED_PREFIXES):
            continue
        headers.setdefault(name, " ".join(str(value).split()))
    return headers


def _utf8_headers(data: bytes) -> bytes:
    """The top-level header block re-encoded as UTF-8 when it holds other 8-bit bytes
    (Latin-1 from old mailers), so the parser reads them as the text they are."""
    end = re.search(rb"\r?\n\r?\n", data)
    head = data[:end.start()] if end else data
    if head.isascii():
        return data
    try:
        head.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return head.decode("latin-1").encode("utf-8") + data[len(head):]


def parse_raw(data: bytes) -> dict[str, Any]:
    """The send payload for one raw message. ValueError when it is not usable.

    The email package can fail in its own ways on hostile input (an IndexError on
    `Message-ID: <<<>>>`, RecursionError on parts nested thousands deep): those
    are ValueErrors too, so `send raw` answers with a usage error, not a crash.
    """
    try:
        return _parse_raw(data)
    except RecursionError:
        raise ValueError("the message nests its parts too deeply to be read") from None
    except (IndexError, KeyError, AttributeError, TypeError, LookupError) as exc:
        raise ValueError(f"a header or part cannot be read ({type(exc).__name__}: "
                         f"{exc})") from None


def _parse_raw(data: bytes) -> dict[str, Any]:
    if not data.strip():
        raise ValueError("the message is empty")
    msg = BytesParser(policy=policy.default).parsebytes(_utf8_headers(data))
    if not msg.keys():
        raise ValueError("no headers found: is this a MIME message (.eml)?")
    payload: dict[str, Any] = {}
    senders = _addresses(msg, "From")
    if senders:
        payload["from"] = senders[0]
    for field, header in (("to", "To"), ("cc", "Cc"), ("bcc", "Bcc")):
        found = _addresses(msg, header)
        if found:
            payload[field] = found
    reply_to = _addresses(msg, "Reply-To")
    if reply_to:
        payload["reply_to"] = reply_to[0]
    if msg.get("Subject") is not None:
        payload["subject"] = " ".join(str(msg["Subject"]).split())

    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    # An empty alternative is left out: the API's text and html have minLength 1.
    for field, part in (("text", text_part), ("html", html_part)):
        if part is not None:
            value = _text(part)  # type: ignore[arg-type]
            if value:
                payload[field] = value
    bodies = {id(text_part), id(html_part)}
    attachments = [_attachment(part, index)
                   for index, part in enumerate(_leaves(msg), start=1)
                   if id(part) not in bodies]
    if attachments:
        payload["attachments"] = attachments
    headers = _custom_headers(msg, payload)
    if headers:
        payload["headers"] = headers
    return _repair(payload)
