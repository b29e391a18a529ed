"""`mailtrap webhooks verify` and `mailtrap webhooks test`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.commands.webhooks.common import SecretOpt, event_types, secret_of, unwrap
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer

app = Typer(leaf=True)


@app.command()
def verify(ctx: typer.Context,
           signature: Annotated[str, typer.Option(
               "--signature", metavar="HEX", help="The Mailtrap-Signature header's value.")],
           body: Annotated[str, typer.Option(
               "--body", metavar="FILE", help="The raw request body (- for stdin).")] = "-",
           secret: SecretOpt = None) -> None:
    """Check a webhook signature: exit 0 when valid, 1 when not.

    The signature is the lowercase hex HMAC-SHA256 of the raw body bytes,
    keyed with the webhook's signing secret, compared in constant time. The
    secret comes from --secret, MAILTRAP_WEBHOOK_SECRET or the profile.

    \b
    Examples:
      mailtrap webhooks verify --signature "$SIG" --body request.json
      printf %s "$BODY" | MAILTRAP_WEBHOOK_SECRET=... mailtrap webhooks verify --signature "$SIG"
    """
    from mailtrap_cli.api.errors import MailtrapError, UsageError
    from mailtrap_cli.webhook_events import verify as check

    state = get_state(ctx)
    key = secret_of(state, secret)
    if body == "-" and state.io.stdin_tty:
        raise UsageError("no body to check: pass --body FILE, or pipe the raw body in")
    raw = state.io.read_bytes(body, "--body")
    valid = check(key or "", raw, signature)
    if not valid:
        raise MailtrapError(f"signature does not match the {len(raw)}-byte body",
                            hint="check the secret and that the body is byte for byte what was "
                            "received (no reformatting, no added newline)")
    state.out.success(f"signature is valid ({len(raw)} bytes)")


def _target(state: Any, ref: str) -> tuple[str, str, list[str] | None]:
    """(url, payload format, the webhook's event types) for an id or a URL."""
    from mailtrap_cli.api import webhooks
    from mailtrap_cli.api.errors import UsageError

    if ref.isdigit():
        hook = unwrap(webhooks.get_webhook(state.client(), int(ref))) or {}
        return (str(hook.get("url")), str(hook.get("payload_format") or "json"),
                hook.get("event_types"))
    if not ref.startswith(("http://", "https://")):
        raise UsageError(f"'{ref}' is neither a webhook id nor an http(s) URL")
    return ref, "json", None


@app.command()
def test(ctx: typer.Context,
         target: Annotated[str, typer.Argument(
             metavar="ID|URL", help="A webhook id (its URL and format) or a URL.")],
         events: Annotated[str | None, typer.Option(
             "--events", metavar="LIST",
             help="Sample events to send, comma-separated (default: the webhook's event "
             "types, or delivery).")] = None,
         payload_format: Annotated[str | None, typer.Option(
             "--format", metavar="json|jsonlines", help="Payload format.")] = None,
         secret: SecretOpt = None,
         email: Annotated[str, typer.Option(
             "--email", metavar="ADDRESS",
             help="Recipient address in the samples.")] = "receiver@example.com",
         ) -> None:
    """Send signed sample events to a webhook (no mail is sent).

    One POST with a sample event of each chosen type (shapes from the
    webhook payload spec), signed with the secret from --secret,
    MAILTRAP_WEBHOOK_SECRET or the profile. Exit 0 when the endpoint answers
    2xx, 1 otherwise, 7 when it cannot be reached.

    \b
    Examples:
      mailtrap webhooks test 7
      mailtrap webhooks test http://127.0.0.1:8000/hooks --events delivery,bounce,click
    """
    from mailtrap_cli.api.errors import MailtrapError, NetworkError, UsageError
    from mailtrap_cli.webhook_events import (
        CONTENT_TYPES,
        FORMATS,
        SIGNATURE_HEADER,
        encode,
        sample_event,
        sign,
    )
    from mailtrap_cli.webhook_listener import post

    state = get_state(ctx)
    if payload_format is not None and payload_format not in FORMATS:
        raise UsageError(f"--format {payload_format!r}: expected json or jsonlines")
    key = secret_of(state, secret, required=False)
    url, fmt, hook_types = _target(state, target)
    fmt = payload_format or fmt
    kinds = event_types(events) or hook_types or ["delivery"]
    samples = [sample_event(kind, email=email) for kind in kinds]
    body = encode(samples, fmt)
    headers = {"Content-Type": CONTENT_TYPES[fmt], "User-Agent": "mailtrap-cli webhooks test"}
    if key:
        headers[SIGNATURE_HEADER] = sign(key, body)
    else:
        state.out.warn("no signing secret (MAILTRAP_WEBHOOK_SECRET, --secret or the profile): "
                       "sending unsigned")
    status, seconds, error, answer = post(url, body, headers, timeout=state.timeout or 30.0)
    if status is None:
        raise NetworkError(f"cannot reach {url}: {error}")
    result = {"url": url, "status": status, "seconds": round(seconds, 3),
              "events": [e["event"] for e in samples], "format": fmt, "signed": bool(key)}
    state.out.emit(result)
    if not 200 <= status < 300:
        raise MailtrapError(f"{url} answered {status} ({answer.strip()[:200]})",
                            hint="Mailtrap retries any answer but 200 (40 times, every 5 min)")
    state.out.success(f"{url} answered {status} in {seconds * 1000:.0f} ms "
                      f"to {len(samples)} sample events")
