"""`send email`: one message from flags; `deliver`, shared with `send raw`.

Both build the API payload, validate it (exit 2, nothing sent, when it is
wrong), then POST it to the transactional or bulk stream, or into a sandbox
with `--sandbox ID`. Sending into a sandbox is always explicit: the profile's
`sandbox_id` is not used here, so a forgotten flag never turns a test send
into a real one or the other way round.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli import compose
from mailtrap_cli.api import sending
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.send.options import (
    BccOpt,
    CategoryOpt,
    CcOpt,
    FromOpt,
    HeaderOpt,
    HtmlOpt,
    ReplyToOpt,
    SendSandboxOpt,
    StreamOpt,
    SubjectOpt,
    TextOpt,
    ToOpt,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer

app = Typer(leaf=True)   # its command joins the parent group


def deliver(ctx: typer.Context, payload: dict[str, Any], stream: str | None,
            sandbox: int | None, dry_run: bool) -> None:
    """Validate, then print (--dry-run) or send, and emit the API's answer."""
    from mailtrap_cli.message import validate_message

    state = get_state(ctx)
    chosen = compose.stream_and_sandbox(state, stream, sandbox)
    errors = validate_message(payload)
    if errors:
        raise UsageError("invalid message: " + "; ".join(errors),
                         hint="nothing was sent; see `mailtrap send --help`")
    stream_name = "transactional" if chosen == "sandbox" else chosen
    call = sending.send_call(payload, stream=stream_name, sandbox_id=sandbox,
                             preview=compose.abbreviated(payload))
    result = state.perform(call, dry_run=dry_run)
    if result is not None:
        count = len(result.get("message_ids") or []) if isinstance(result, dict) else 0
        where = f"sandbox {sandbox}" if sandbox is not None else f"the {chosen} stream"
        state.out.success(f"sent to {where} ({count} recipient{'' if count == 1 else 's'})")


@app.command()
def email(
    ctx: typer.Context,
    from_: FromOpt = None,
    to: ToOpt = None,
    cc: CcOpt = None,
    bcc: BccOpt = None,
    reply_to: ReplyToOpt = None,
    subject: SubjectOpt = None,
    text: TextOpt = None,
    html: HtmlOpt = None,
    text_file: Annotated[str | None, typer.Option(
        "--text-file", metavar="PATH|-", help="Plain-text body from a file (- for stdin).")
    ] = None,
    html_file: Annotated[str | None, typer.Option(
        "--html-file", metavar="PATH|-", help="HTML body from a file (- for stdin).")] = None,
    attach: Annotated[list[str] | None, typer.Option(
        "--attach", metavar="PATH", help="Attach a file (MIME type guessed). Repeatable.")
    ] = None,
    inline: Annotated[list[str] | None, typer.Option(
        "--inline", metavar="PATH[:CID]",
        help="Inline image, referenced as cid:CID in the HTML (CID defaults to the file "
        "name). Repeatable.")] = None,
    header: HeaderOpt = None,
    custom_var: Annotated[list[str] | None, typer.Option(
        "--custom-var", metavar="KEY=VALUE",
        help="Custom variable carried with the message and its events. Repeatable.")] = None,
    category: CategoryOpt = None,
    template: Annotated[str | None, typer.Option(
        metavar="UUID", help="Send a stored template (no --subject/--text/--html/--category)."
    )] = None,
    var: Annotated[list[str] | None, typer.Option(
        "--var", metavar="KEY=VALUE",
        help="Template variable; VALUE is parsed as JSON when it is JSON (3, true, {...}). "
        "Repeatable.")] = None,
    vars_file: Annotated[str | None, typer.Option(
        "--vars-file", metavar="FILE.json", help="Template variables from a JSON object.")
    ] = None,
    stream: StreamOpt = None,
    sandbox: SendSandboxOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Send one email from flags and print its message ids (one per recipient).

    Invalid input (bad address, no recipient, no body, unreadable attachment,
    oversized message) exits 2 and sends nothing.

    \b
    Examples:
      mailtrap send email --to 'Ann <ann@example.com>' --subject Hi --text 'Hello'
      mailtrap send email --to ann@example.com --subject Report \\
          --html-file report.html --attach report.pdf --inline logo.png:logo
      echo 'Build passed' | mailtrap send email --to ci@example.com --subject CI --text-file -
      mailtrap send email --to ann@example.com --template 0b1c...-uuid --var name=Ann --var n=3
      mailtrap send email --sandbox 123 --to qa@example.com --subject Test --text Hi
      mailtrap send email --to ann@example.com --subject Hi --text x --dry-run
    """
    state = get_state(ctx)
    if text_file == "-" and html_file == "-":
        raise UsageError("only one of --text-file and --html-file can read stdin (-)")
    if template is None and (var or vars_file is not None):
        raise UsageError("--var and --vars-file need --template")
    if template is not None:
        compose.check_template(template, {
            "--subject": subject, "--text": text, "--html": html, "--text-file": text_file,
            "--html-file": html_file, "--category": category})
    payload: dict[str, Any] = {"from": compose.sender(state, from_)}
    for field, values, flag in (("to", to, "--to"), ("cc", cc, "--cc"), ("bcc", bcc, "--bcc")):
        found = compose.addresses(values, flag)
        if found:
            payload[field] = found
    if reply_to:
        payload["reply_to"] = compose.address(reply_to, "--reply-to")
    if template is not None:
        payload["template_uuid"] = template
        variables = compose.template_variables(var, vars_file, state.io)
        if variables:
            payload["template_variables"] = variables
    else:
        if subject is not None:
            payload["subject"] = subject
        for field, value in (("text", compose.body(text, text_file, "text", state.io)),
                             ("html", compose.body(html, html_file, "html", state.io))):
            if value:
                payload[field] = value
        if category is not None:
            payload["category"] = category
    attachments = [compose.attachment(p, "--attach") for p in attach or []]
    attachments += [compose.inline_attachment(spec) for spec in inline or []]
    if attachments:
        payload["attachments"] = attachments
    headers = dict(compose.pairs(header, "--header", ":"))
    if headers:
        payload["headers"] = headers
    variables = dict(compose.pairs(custom_var, "--custom-var"))
    if variables:
        payload["custom_variables"] = variables
    compose.require_parts(payload)
    deliver(ctx, payload, stream, sandbox, dry_run)
