"""The SMTP probe behind `mailtrap sandbox smtp-test`: pick the sandbox's SMTP
endpoint, deliver one tagged message (STARTTLS when offered) and poll the API
until it shows up. SMTP failures become MailtrapErrors with their exit codes.
No typer and no rich: the command module parses flags and prints."""

from __future__ import annotations

import time
from typing import Any

from mailtrap_cli.api.errors import (
    APIError,
    AuthError,
    NetworkError,
    RateLimitedError,
    UsageError,
)
from mailtrap_cli.local.net import is_loopback

__all__ = ["endpoint", "is_loopback", "new_tag", "message", "send", "wait_for"]

DEFAULT_TIMEOUT = 30.0
PREFERRED_PORTS = (2525, 587, 25)
NO_LISTENER = "no SMTP listener; run `mailtrap local serve`"
# Polling GET .../messages?search= stays far below 150 requests / 10 s.
FIRST_POLL, MAX_POLL = 0.1, 1.0


def endpoint(box: dict[str, Any], port: int | None) -> tuple[str, int]:
    host = box.get("domain")
    ports = [p for p in box.get("smtp_ports") or [] if isinstance(p, int)]
    if not host:
        raise APIError(f"sandbox {box.get('id')} has no SMTP host (`domain`)")
    if port is not None:
        return host, port
    for preferred in PREFERRED_PORTS:
        if preferred in ports:
            return host, preferred
    if not ports:
        raise UsageError(f"sandbox {box.get('id')} lists no SMTP ports", hint="pass --port")
    return host, ports[0]


def new_tag() -> str:
    import uuid

    return f"mtcli-smtp-test-{uuid.uuid4().hex[:16]}"


def message(tag: str) -> Any:
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    msg = EmailMessage()
    msg["From"] = "mailtrap-cli smtp-test <smtp-test@example.com>"
    msg["To"] = "smtp-test@example.com"
    msg["Subject"] = f"mailtrap-cli smtp-test {tag}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=tag, domain="mailtrap-cli.invalid")
    msg["X-Mailtrap-CLI-Tag"] = tag
    msg.set_content(f"SMTP round-trip test sent by `mailtrap sandbox smtp-test`.\nTag: {tag}\n")
    return msg


def send(host: str, port: int, username: str, password: str, tag: str,
          timeout: float) -> bool:
    """Deliver the test message; True when STARTTLS was used. Maps SMTP failures to errors."""
    import smtplib
    import ssl

    where = f"{host}:{port}"
    try:
        if port == 465:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            starttls = port != 465 and smtp.has_extn("starttls")
            if starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            smtp.login(username, password)
            smtp.send_message(message(tag))
        return starttls or port == 465
    except smtplib.SMTPAuthenticationError as exc:
        raise AuthError(f"SMTP login to {where} refused: {_reply(exc)}",
                        hint="check the credentials: mailtrap sandbox sandboxes get "
                        "--show-password") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise APIError(f"SMTP server {where} does not offer login: {exc}") from None
    except smtplib.SMTPConnectError as exc:
        raise NetworkError(f"SMTP server {where} refused the connection: {_reply(exc)}") \
            from None
    except smtplib.SMTPServerDisconnected as exc:
        raise NetworkError(f"SMTP server {where} closed the connection: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        raise APIError(f"SMTP server {where} refused the message: {_reply(exc)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise APIError(f"SMTP server {where} refused the recipient: {exc.recipients}") from None
    except (OSError, smtplib.SMTPException) as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (
            getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
        raise NetworkError(f"cannot reach SMTP server {where}: {reason}",
                           hint="check the host and port, or a firewall") from None


def _reply(exc: Any) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}"


def wait_for(client: Any, sandbox_id: int, tag: str, deadline: float) -> dict[str, Any] | None:
    from mailtrap_cli.api import sandboxes

    delay = FIRST_POLL
    while True:
        try:
            found = sandboxes.search_messages(client, sandbox_id, tag) or []
        except (NetworkError, RateLimitedError):
            if time.monotonic() < deadline:
                raise
            return None  # the API did not answer before --timeout: a time-out
        for message in found:
            if isinstance(message, dict) and tag in str(message.get("subject", "")):
                return message
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(delay, remaining))
        delay = min(MAX_POLL, delay * 1.5)

