"""`send raw`: an existing .eml / MIME message, parsed into the API's fields and sent."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli import compose
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.send.email import deliver
from mailtrap_cli.commands.send.options import (
    BccOpt,
    CcOpt,
    SendSandboxOpt,
    StreamOpt,
    ToOpt,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer

app = Typer(leaf=True)   # its command joins the parent group


@app.command()
def raw(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE|-",
                                          help="The .eml / MIME message, or - for stdin.")],
    to: ToOpt = None,
    cc: CcOpt = None,
    bcc: BccOpt = None,
    stream: StreamOpt = None,
    sandbox: SendSandboxOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Send an existing .eml / MIME message through the API.

    The message is parsed into the API's fields: sender, recipients, reply-to,
    subject, text and HTML bodies, attachments (inline parts keep their
    Content-ID), custom headers, X-MT-Category and X-MT-Custom-Variables.
    Any of --to/--cc/--bcc replaces all of the file's recipients. Without a
    From header the profile's `from` is used.

    \b
    Examples:
      mailtrap send raw welcome.eml
      mailtrap send raw welcome.eml --to qa@example.com --sandbox 123
      cat message.eml | mailtrap send raw - --dry-run
    """
    from mailtrap_cli.rawmail import parse_raw

    state = get_state(ctx)
    data = state.io.read_bytes(source, "FILE")
    try:
        payload = parse_raw(data)
    except ValueError as exc:
        raise UsageError(f"{'stdin' if source == '-' else source}: {exc}") from None
    if "from" not in payload:
        payload = {"from": compose.sender(state, None, given="add a From: header to the message"),
                   **payload}
    if to or cc or bcc:
        for field in ("to", "cc", "bcc"):
            payload.pop(field, None)
        for field, values, flag in (("to", to, "--to"), ("cc", cc, "--cc"),
                                    ("bcc", bcc, "--bcc")):
            found = compose.addresses(values, flag)
            if found:
                payload[field] = found
    if not any(payload.get(f) for f in ("to", "cc", "bcc")):
        raise UsageError("the message has no recipients", hint="pass --to, --cc or --bcc")
    deliver(ctx, payload, stream, sandbox, dry_run)
