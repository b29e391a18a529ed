"""`mailtrap sandbox smtp-test`: one tagged message over SMTP, timed until the API
shows it (the probe itself is mailtrap_cli/smtp_probe.py)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from mailtrap_cli import smtp_probe as probe
from mailtrap_cli.api.errors import AuthError, NetworkError, TimedOutError, UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import OwnTimeoutCommand, SandboxOpt, Typer

app = Typer(leaf=True)   # its command joins the parent group


@app.command("smtp-test", cls=OwnTimeoutCommand)
def smtp_test(
    ctx: typer.Context,
    sandbox: SandboxOpt = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=0.1, metavar="SECONDS",
        help="Give up (exit 9) when the message has not shown up after this long.")
    ] = probe.DEFAULT_TIMEOUT,
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
    sandbox_id = state.resolve_id("sandbox_id", sandbox, "--sandbox")
    client = state.client()
    box = sandboxes.get_sandbox(client, sandbox_id)
    if settings.is_local and port is None and not box.get("smtp_ports"):
        # The built-in server reports no ports when no SMTP listener serves its database
        # (the in-process profile finds a running `local serve` by its pid file).
        in_process = settings.hosts["api"].startswith(LOCAL_INPROCESS_URL)
        raise NetworkError(probe.NO_LISTENER, hint="mailtrap local serve --detach" if in_process
                           else "start it without --no-smtp")
    host, smtp_port = probe.endpoint(box, port)
    if settings.is_local and not probe.is_loopback(host):
        raise NetworkError(f"{probe.NO_LISTENER} (the server reports {host}, not its own "
                           "listener)", hint="start it without --no-smtp")
    if not box.get("password"):
        raise AuthError(f"sandbox {sandbox_id} shows no SMTP password to this token",
                        hint="the password is only given to tokens with admin rights "
                        "on the sandbox")
    tag = probe.new_tag()
    started = time.monotonic()
    deadline = started + timeout
    starttls = probe.send(host, smtp_port, box["username"], box["password"], tag, timeout)
    smtp_ms = (time.monotonic() - started) * 1000
    state.out.info(f"sent over SMTP to {host}:{smtp_port} in {smtp_ms:.0f} ms; "
                   f"waiting for it in sandbox {sandbox_id}")
    client.deadline = deadline  # no poll or retry outlives --timeout
    found = probe.wait_for(client, sandbox_id, tag, deadline)
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
