"""An API send payload -> the raw MIME message a sandbox stores.

Layout, as mail clients expect it:
  multipart/mixed                      (only with regular attachments)
    multipart/alternative              (only with both text and html)
      text/plain
      multipart/related                (only with inline attachments)
        text/html
        image/png; Content-ID: <cid>
    application/pdf; attachment
Custom headers are kept; category and custom variables travel as the SMTP
headers Mailtrap uses for them (X-MT-Category, X-MT-Custom-Variables).
"""

from __future__ import annotations

import json
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from mailtrap_cli.message import decode_attachment

# SMTP-safe policy: CRLF line ends, long lines folded.
_POLICY = policy.SMTP


def _one_line(value: Any) -> str:
    """Header text on one line: a line break in a subject, name or file name would end the
    header (Python refuses to write it); the API's JSON allows them, so they become spaces."""
    return " ".join(str(value).splitlines()) if value is not None else ""


def _addr(address: dict[str, Any]) -> str:
    name, email = _one_line(address.get("name")), address["email"]
    if email.isascii():
        return formataddr((name, email))
    # An internationalised address (RFC 6532) cannot be RFC 2047-encoded: it is written
    # as UTF-8 (see _policy_for), and so is its display name.
    local, _, domain = email.rpartition("@")
    return str(Address(display_name=name, username=local, domain=domain))


def _policy_for(payload: dict[str, Any]) -> Any:
    addresses = [payload["from"], payload.get("reply_to") or {"email": ""}]
    for field in ("to", "cc"):
        addresses.extend(payload.get(field) or [])
    if all(a["email"].isascii() for a in addresses):
        return _POLICY
    return policy.SMTPUTF8


def _split_type(value: str | None) -> tuple[str, str]:
    maintype, _, subtype = (value or "application/octet-stream").partition("/")
    if not maintype or not subtype:
        return "application", "octet-stream"
    return maintype.strip().lower(), subtype.split(";")[0].strip().lower()


def _attach(target: EmailMessage, item: dict[str, Any], *, related: bool) -> None:
    data = decode_attachment(item["content"])
    maintype, subtype = _split_type(item.get("type"))
    kwargs: dict[str, Any] = {"filename": _one_line(item.get("filename"))}
    cid = _one_line(item.get("content_id")).replace(" ", "")
    if cid:
        kwargs["cid"] = f"<{cid.strip('<>')}>"
    disposition = "inline" if item.get("disposition") == "inline" else "attachment"
    kwargs["disposition"] = disposition
    if related:
        target.add_related(data, maintype, subtype, **kwargs)
    else:
        target.add_attachment(data, maintype, subtype, **kwargs)


def build_mime(payload: dict[str, Any], *, message_id: str | None = None) -> bytes:
    """Raw RFC 5322 bytes for a validated (and template-rendered) payload."""
    chosen = _policy_for(payload)
    msg = EmailMessage(policy=chosen)
    msg["From"] = _addr(payload["from"])
    for field, header in (("to", "To"), ("cc", "Cc")):
        if payload.get(field):
            msg[header] = ", ".join(_addr(a) for a in payload[field])
    if payload.get("reply_to"):
        msg["Reply-To"] = _addr(payload["reply_to"])
    msg["Subject"] = _one_line(payload.get("subject"))
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = f"<{message_id}@local.mailtrap>" if message_id else make_msgid(
        domain="local.mailtrap")
    msg["MIME-Version"] = "1.0"
    for key, value in (payload.get("headers") or {}).items():
        if key.lower() == "content-transfer-encoding":
            continue  # the API ignores it
        msg[key] = value
    if payload.get("category"):
        msg["X-MT-Category"] = _one_line(payload["category"])
    if payload.get("custom_variables"):
        msg["X-MT-Custom-Variables"] = json.dumps(payload["custom_variables"],
                                                  ensure_ascii=False, separators=(",", ":"))

    text, html = payload.get("text"), payload.get("html")
    attachments = payload.get("attachments") or []
    inline = [a for a in attachments if a.get("disposition") == "inline"]
    regular = [a for a in attachments if a.get("disposition") != "inline"]
    if text is not None:
        msg.set_content(text, subtype="plain", cte=_cte(text))
        if html is not None:
            msg.add_alternative(html, subtype="html", cte=_cte(html))
    elif html is not None:
        msg.set_content(html, subtype="html", cte=_cte(html))
    else:
        msg.set_content("", subtype="plain")
    if inline:
        # Inline parts belong next to the HTML they decorate.
        holder = msg.get_payload()[-1] if msg.is_multipart() else msg
        for item in inline:
            _attach(holder, item, related=True)
    for item in regular:
        _attach(msg, item, related=False)
    return msg.as_bytes(policy=chosen)


def _cte(body: str) -> str:
    """quoted-printable for bodies with non-ASCII or long lines, else 7bit."""
    if body.isascii() and all(len(line) <= 998 for line in body.splitlines()):
        return "7bit"
    return "quoted-printable"
