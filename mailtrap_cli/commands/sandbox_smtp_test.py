"""`mailtrap sandbox smtp-test`: one tagged message over SMTP, timed until the API shows it."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from mailtrap_cli.api.errors import (
    APIError,
    AuthError,
    NetworkError,
    RateLimitedError,
    TimedOutError,
    UsageError,
)
from mailtrap_cli.context import get_state, resolve_id
from mailtrap_cli.local.net import is_loopback
from mailtrap_cli.options import SandboxOpt

DEFAULT_TIMEOUT = 30.0
PREFERRED_PORTS = (2525, 587, 25)
NO_LISTENER = "no SMTP listener; run `mailtrap local serve`"
# Polling GET .../messages?search= stays far below 150 requests / 10 s.
FIRST_POLL, MAX_POLL = 0.1, 1.0




def smtp_test(
    ctx: typer.Context,
    sandbox: SandboxOpt = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=0.1, metavar="SECONDS",
        help="Give up (exit 9) when the message has not shown up after this long.")
    ] = DEFAULT_TIMEOUT,
    port: Annotated[int | None, typer.Option(
        "--port", min=1, max=65535, metavar="N", help="SMTP port (default: one of the sandbox's "
        "smtp_ports, 2525 first).")] = None,
) -> None:
    """Send a tagged message to a sandbox over SMTP and time its arrival through the API.

    Credentials, host (`domain`) and port (`smtp_ports`) come from the sandbox.
    STARTTLS is used when the server offers it. Exit 9 when the message has
    not shown up within --timeout seconds.

    \b
    Examples:
      mailtrap sandbox smtp-test --sandbox 123
      mailtrap sandbox smtp-test --timeout 10 -o json | jq .round_trip_ms
    """
    from mailtrap_cli.api import sandboxes
    from mailtrap_cli.config import LOCAL_INPROCESS_URL

    state = get_state(ctx)
    if not 0 < timeout < 1e9:  # NaN and inf pass click's range check
        raise UsageError(f"--timeout must be a number of seconds, got {timeout:g}")
    settings = state.settings
    sandbox_id = resolve_id(state, "sandbox_id", sandbox, "--sandbox")
    if settings.is_local and settings.hosts["api"].startswith(LOCAL_INPROCESS_URL):
        raise NetworkError(NO_LISTENER, hint="then point the local profile at it: "
                           "MAILTRAP_BASE_URL=http://127.0.0.1:8025 mailtrap -p local "
                           "sandbox smtp-test")
    client = state.client()
    box = sandboxes.get_sandbox(client, sandbox_id)
    host, smtp_port = _endpoint(box, port)
    if settings.is_local and not is_loopback(host):
        raise NetworkError(f"{NO_LISTENER} (the server reports {host}, not its own listener)",
                           hint="start it without --no-smtp")
    if not box.get("password"):
        raise AuthError(f"sandbox {sandbox_id} shows no SMTP password to this token",
                        hint="the password is only given to tokens with admin rights "
                        "on the sandbox")
    tag = _tag()
    started = time.monotonic()
    deadline = started + timeout
    starttls = _send(host, smtp_port, box["username"], box["password"], tag, timeout)
    smtp_ms = (time.monotonic() - started) * 1000
    state.out.info(f"sent over SMTP to {host}:{smtp_port} in {smtp_ms:.0f} ms; "
                   f"waiting for it in sandbox {sandbox_id}")
    client.deadline = deadline  # no poll or retry outlives --timeout
    found = _wait(client, sandbox_id, tag, deadline)
    if found is None:
        raise TimedOutError(
            f"the message was accepted over SMTP but did not show up in sandbox {sandbox_id} "
            f"within {timeout:g}s",
            hint=f"look for it: mailtrap sandbox messages list --sandbox {sandbox_id} "
            f"--search {tag}; or raise --timeout")
    round_trip_ms = round((time.monotonic() - started) * 1000, 1)
    state.out.success(f"round trip {round_trip_ms:.0f} ms")
    state.out.emit({"sandbox_id": sandbox_id, "smtp_host": host, "smtp_port": smtp_port,
                    "starttls": starttls, "message_id": found.get("id"), "tag": tag,
                    "smtp_ms": round(smtp_ms, 1), "round_trip_ms": round_trip_ms})


def _endpoint(box: dict[str, Any], port: int | None) -> tuple[str, int]:
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



def _tag() -> str:
    import uuid

    return f"mtcli-smtp-test-{uuid.uuid4().hex[:16]}"


def _message(tag: str) -> Any:
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


def _send(host: str, port: int, username: str, password: str, tag: str,
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
            smtp.send_message(_message(tag))
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


def _wait(client: Any, sandbox_id: int, tag: str, deadline: float) -> dict[str, Any] | None:
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
