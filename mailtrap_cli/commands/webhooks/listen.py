"""`mailtrap webhooks listen`: a local receiver for developing webhook handling.

The receiving itself (signature check, ack, dedup) is mailtrap_cli/webhook_listener.py;
this command prints what arrives and forwards it.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from mailtrap_cli.commands.webhooks.common import SecretOpt, event_types, secret_of
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer

app = Typer(leaf=True)
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_COLOURS = {"delivery": "32", "open": "36", "click": "36", "bounce": "31", "soft_bounce": "33",
            "reject": "31", "suspension": "33", "spam_complaint": "35", "unsubscribe": "35"}


def _line(event: dict[str, Any], colour: bool) -> str:
    """time  event  recipient  message id: one readable line for a terminal."""
    from mailtrap_cli.webhook_events import normalize_event

    stamp = event.get("timestamp")
    when = time.strftime("%H:%M:%S", time.localtime(stamp)) if isinstance(stamp, int) else "--"
    name = str(event.get("event") or "?")
    label = f"{name:<12}"
    if colour:
        label = f"\x1b[{_COLOURS.get(normalize_event(name), '1')}m{label}\x1b[0m"
    who = event.get("email") or (event.get("actor") or {}).get("name") or ""
    return f"{when}  {label}  {who}  {event.get('message_id') or event.get('description') or ''}"


@app.command()
def listen(ctx: typer.Context,
           host: Annotated[str, typer.Option(
               "--host", metavar="ADDRESS",
               help="Address to listen on (loopback unless you say otherwise).")
           ] = "127.0.0.1",
           port: Annotated[int, typer.Option(
               "--port", metavar="N",
               min=0, max=65535, help="Port (0 = any free one, printed).")] = 8787,
           secret: SecretOpt = None,
           no_verify: Annotated[bool, typer.Option(
               "--no-verify", help="Accept unsigned requests (no secret needed).")] = False,
           forward_to: Annotated[str | None, typer.Option(
               "--forward-to", metavar="URL",
               help="Re-send each accepted request unchanged (body and signature) to URL.")
           ] = None,
           events: Annotated[str | None, typer.Option(
               "--event", metavar="LIST",
               help="Only print these events, comma-separated (any spelling).")] = None,
           normalize: Annotated[bool, typer.Option(
               "--normalize", help="Print event names in one spelling (soft_bounce, "
               "spam_complaint) whatever the payload says.")] = False,
           ) -> None:
    """Receive webhook deliveries locally: verify, print, forward.

    Checks Mailtrap-Signature (401 for unsigned or wrongly signed requests,
    reported on stderr), accepts JSON and JSON Lines payloads, answers 200 at
    once and skips events whose event_id it has already seen. Each event is
    one JSON object per line on stdout (a readable line on a terminal).
    Stops cleanly on Ctrl-C or SIGTERM.

    \b
    Examples:
      mailtrap webhooks listen --port 8787
      mailtrap webhooks listen --forward-to http://127.0.0.1:3000/hooks/mailtrap
      mailtrap webhooks listen --event bounce,soft_bounce --normalize | jq .email
      mailtrap -p local webhooks listen --port 0 --no-verify
    """
    import signal

    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.webhook_events import normalize_event
    from mailtrap_cli.webhook_listener import Delivery, Listener, forward

    state = get_state(ctx)
    out = state.out
    key = None if no_verify else secret_of(state, secret)
    wanted = set(event_types(events) or []) if events else None
    if forward_to is not None and not forward_to.startswith(("http://", "https://")):
        raise UsageError(f"--forward-to {forward_to!r}: expected an http(s) URL")
    colour = out.stdout_tty and not out.no_color
    counts = {"events": 0, "duplicates": 0}
    broken: list[bool] = []

    def on_delivery(delivery: Delivery) -> None:
        try:
            show(delivery)
        except BrokenPipeError:  # `listen | head -3`: the reader left, stop like Ctrl-C
            import _thread

            broken.append(True)
            _thread.interrupt_main()

    def show(delivery: Delivery) -> None:
        counts["duplicates"] += delivery.duplicates
        if delivery.duplicates:
            out.info(f"skipped {delivery.duplicates} already seen event(s) (same event_id)")
        for event in delivery.fresh:
            name = normalize_event(str(event.get("event") or ""))
            if wanted is not None and name not in wanted:
                continue
            if normalize and "event" in event:
                event = {**event, "event": name}
            counts["events"] += 1
            out.record(event, lambda e: _line(e, colour))
        if forward_to:
            status, seconds, error = forward(forward_to, delivery)
            took = f"{seconds * 1000:.0f} ms"
            if error is not None:
                out.warn(f"forward to {forward_to} failed: {error} ({took})")
            else:
                out.info(f"forwarded {len(delivery.events)} event(s) to {forward_to}: "
                         f"{status} in {took}")

    def on_reject(reason: str, status: int) -> None:
        out.warn(f"rejected ({status}): {reason}" if status else reason)

    try:
        listener = Listener(host=host, port=port, secret=key, on_delivery=on_delivery,
                            on_reject=on_reject)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="pick another --port (0 = any free one)") from None

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # `kill`, `docker stop`: the same clean stop as Ctrl-C

    signal.signal(signal.SIGTERM, _terminate)
    try:
        if host not in LOOPBACK:
            out.warn(f"listening on {host}: reachable from other machines")
        checked = "signatures checked" if key else "signatures NOT checked (--no-verify)"
        out.info(f"listening on {listener.url} ({checked}); Ctrl-C to stop")
        listener.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
        out.info(f"stopped: {listener.accepted} request(s) accepted, {listener.rejected} "
                 f"rejected, {counts['events']} event(s) printed, {counts['duplicates']} "
                 "duplicate(s) skipped")
    if broken:
        raise BrokenPipeError
