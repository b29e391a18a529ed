"""`mailtrap sandbox messages`: list, get, body, headers, spam-report, analyze,
forward, mark-read, delete (and wait, in wait.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mailtrap_cli.api import messages
from mailtrap_cli.api.errors import APIError, UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import (
    AllOpt,
    DryRunOpt,
    LimitOpt,
    OwnTimeoutCommand,
    SandboxOpt,
    Typer,
    YesOpt,
    id_arg,
)
from mailtrap_cli.output import View
from mailtrap_cli.views import reports

app = Typer(help="Sandbox messages: list, get, bodies, reports, wait.")

MessageArg = id_arg("MESSAGE_ID", "Message id.")
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]
LIST = View(columns=[("id", "id"), ("created_at", "created_at"), ("from_email", "from"),
                     ("to_email", "to"), ("subject", "subject"), ("is_read", "read"),
                     ("human_size", "size")], key=["id", "created_at", "to_email", "subject"])
# The API's {"headers": {...}}: JSON keeps the wrapper, a table lists the headers.
HEADERS = View(flat=lambda result: result.get("headers") or {}
               if isinstance(result, dict) else result)
FORMATS = ("text", "html", "html-source", "raw", "eml")
_PARTS = {"text": "text body", "html": "HTML body", "html-source": "HTML source",
          "raw": "raw source", "eml": ".eml download"}


def sandbox_id(state: Any, value: int | None) -> int:
    return state.resolve_id("sandbox_id", value, "--sandbox")


def _complete_format(incomplete: str) -> list[str]:
    return [f for f in FORMATS if f.startswith(incomplete)]


@app.command("list", cls=OwnTimeoutCommand)
def list_(
    ctx: typer.Context,
    sandbox: SandboxOpt = None,
    search: Annotated[str | None, typer.Option(
        "--search", metavar="TEXT", help="Only messages whose subject, to_email or to_name "
        "contains TEXT.")] = None,
    page: Annotated[int | None, typer.Option("--page", min=1, metavar="N",
                                             help="Start at page N (30 per page).")] = None,
    last_id: Annotated[int | None, typer.Option(
        "--last-id", min=1, metavar="ID", help="Start with messages older than ID.")] = None,
    limit: LimitOpt = None,
    all_: AllOpt = False,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="Print messages as they arrive (JSONL when piped, a line "
        "each on a terminal) until Ctrl-C or --timeout.")] = False,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", min=0, metavar="SECONDS", help="With --follow: stop after SECONDS "
        "(exit 0). Without: the HTTP read timeout.")] = None,
    interval: Annotated[float, typer.Option(
        "--interval", min=0.07, metavar="SECONDS", help="With --follow: first pause "
        "between polls; grows x1.5 up to 5x while nothing arrives.")] = 1.0,
) -> None:
    """List a sandbox's messages, newest first (30 per page; --all for every page).

    --follow watches instead: each message that arrives after it starts is
    printed as it comes, oldest first (matching --search), until Ctrl-C
    (exit 130) or --timeout (exit 0). Handy beside a test run, to see what the
    app sends.

    \b
    Examples:
      mailtrap sandbox messages list --sandbox 123
      mailtrap sandbox messages list --search welcome -L 5
      mailtrap sandbox messages list --all -o jsonl | jq -r .subject
      mailtrap sandbox messages list --follow
      mailtrap sandbox messages list --follow --timeout 300 > sent-during-tests.jsonl
    """
    state = get_state(ctx)
    if page is not None and last_id is not None:
        raise UsageError("give --page or --last-id, not both")
    if follow and (page is not None or last_id is not None or limit is not None or all_):
        raise UsageError("--follow prints new messages: it takes no --page, --last-id, "
                         "--limit or --all")
    if not follow and timeout is not None:
        state.set_timeout(timeout)   # the global HTTP timeout, given after the command
    sid = sandbox_id(state, sandbox)
    if follow:
        _follow(state, sid, search, timeout, interval)
        return
    items = messages.list_messages(state.client(), sid, search=search, page=page,
                                   last_id=last_id, limit=limit, all_pages=all_)
    state.out.emit(items, LIST)


def _follow(state: Any, sid: int, search: str | None, timeout: float | None,
            interval: float) -> None:
    from mailtrap_cli import waiting

    client = state.client()

    def fetch_page(last_id: int | None) -> list[dict[str, Any]]:
        return messages.first_page(client, sid, search=search, last_id=last_id)

    if state.out.stderr_tty:
        state.out.info(f"following sandbox {sid}"
                       + (f" for {timeout:g}s" if timeout is not None else "")
                       + "; Ctrl-C to stop")
    state.out.follow(waiting.follow(fetch_page, timeout=timeout, interval=interval),
                     _message_line)


def _message_line(message: dict[str, Any]) -> str:
    when = str(message.get("created_at") or "")[11:19]
    return (f"{when}  {message.get('id')}  {message.get('from_email') or '-'} -> "
            f"{message.get('to_email') or '-'}  {message.get('subject') or ''}")


@app.command()
def get(ctx: typer.Context, message_id: MessageArg, sandbox: SandboxOpt = None) -> None:
    """Show one message: addresses, sizes, body paths, SMTP information.

    \b
    Examples:
      mailtrap sandbox messages get 42
      mailtrap sandbox messages get 42 --sandbox 123 -o json | jq .smtp_information
    """
    state = get_state(ctx)
    state.out.emit(messages.get_message(state.client(), sandbox_id(state, sandbox), message_id))


def fetch_body(state: Any, sid: int, message_id: int, fmt: str) -> bytes:
    """The body in `fmt`, from the path the message object gives."""
    client = state.client()
    message = messages.get_message(client, sid, message_id)
    try:
        return messages.fetch_body(client, sid, message_id, fmt, message)
    except APIError as err:
        if err.status != 409:
            raise
        other = "html" if fmt == "text" else "text"
        raise APIError(f"message {message_id} has no {_PARTS[fmt]}", status=409,
                       hint=f"try --format {other}, or raw for the whole source") from None


@app.command()
def body(
    ctx: typer.Context,
    message_id: MessageArg,
    sandbox: SandboxOpt = None,
    format_: Annotated[str, typer.Option(
        "--format", metavar="FORMAT", autocompletion=_complete_format,
        help="text | html | html-source | raw | eml.")] = "text",
    save: Annotated[Path | None, typer.Option(
        "--save", metavar="PATH", help="Write to PATH instead of stdout (folders created "
        "if missing); prints the path.",
        dir_okay=False)] = None,
    force: ForceOpt = False,
) -> None:
    """Print a message body: text, HTML, HTML source, raw source or .eml.

    `raw` and `eml` are written byte for byte. A part the message does not
    have (`--format html` of a text-only message) fails with exit 1.

    \b
    Examples:
      mailtrap sandbox messages body 42
      mailtrap sandbox messages body 42 --format html > mail.html
      mailtrap sandbox messages body 42 --format eml --save mail.eml
    """
    state = get_state(ctx)
    if format_ not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got '{format_}'")
    sid = sandbox_id(state, sandbox)
    if save is not None and save.exists() and not force:
        raise UsageError(f"{save} exists", hint="pass --force to overwrite it")
    data = fetch_body(state, sid, message_id, format_)
    if save is not None:
        save_bytes(save, data, force)
        state.out.success(f"saved {len(data)} bytes to {save}")
        state.out.emit({"message_id": message_id, "format": format_, "path": str(save),
                        "bytes": len(data)})
    elif format_ in ("raw", "eml"):
        state.out.raw(data)
    else:
        state.out.text(data.decode("utf-8", "replace"))


def save_bytes(path: Path, data: bytes, force: bool) -> None:
    from mailtrap_cli.filenames import write_new

    try:
        path.parent.mkdir(parents=True, exist_ok=True)   # as `attachments download --dir`
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        write_new(path, [data], overwrite=force)
    except FileExistsError:
        raise UsageError(f"{path} exists", hint="pass --force to overwrite it") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


@app.command()
def headers(ctx: typer.Context, message_id: MessageArg, sandbox: SandboxOpt = None) -> None:
    """Show a message's mail headers (JSON: the API's {"headers": {...}}).

    \b
    Examples:
      mailtrap sandbox messages headers 42
      mailtrap sandbox messages headers 42 -o json | jq -r '.headers.subject'
    """
    state = get_state(ctx)
    state.out.emit(messages.mail_headers(state.client(), sandbox_id(state, sandbox), message_id),
                   HEADERS)


@app.command("spam-report")
def spam_report(ctx: typer.Context, message_id: MessageArg, sandbox: SandboxOpt = None) -> None:
    """Show the spam score of a message and the rules that scored.

    A table on a terminal (score, verdict, then one row per rule); the API's
    report whole as JSON when piped.

    \b
    Examples:
      mailtrap sandbox messages spam-report 42
      mailtrap sandbox messages spam-report 42 -o json | jq .report.Score
    """
    state = get_state(ctx)
    state.out.emit(messages.spam_report(state.client(), sandbox_id(state, sandbox), message_id),
                   reports.SPAM_REPORT)


@app.command()
def analyze(ctx: typer.Context, message_id: MessageArg, sandbox: SandboxOpt = None) -> None:
    """Check a message's HTML against email clients: what breaks where.

    On a terminal: one row per problem (line, rule, how many clients), then
    per client the rules it does not support. JSON (piped): the API's report.

    \b
    Examples:
      mailtrap sandbox messages analyze 42
      mailtrap sandbox messages analyze 42 -o tsv | cut -f2,4
    """
    state = get_state(ctx)
    state.out.emit(messages.analyze(state.client(), sandbox_id(state, sandbox), message_id),
                   reports.ANALYSIS)


@app.command()
def forward(
    ctx: typer.Context,
    message_id: MessageArg,
    to: Annotated[str, typer.Option("--to", metavar="EMAIL",
                                    help="Address to forward to (confirmed in Mailtrap).")],
    sandbox: SandboxOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Forward a message to a real address (upstream, the address must be confirmed).

    \b
    Examples:
      mailtrap sandbox messages forward 42 --to qa@example.com
      mailtrap sandbox messages forward 42 --to qa@example.com --dry-run
    """
    state = get_state(ctx)
    email = to.strip()
    local, _, domain = email.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in email):
        raise UsageError(f"--to '{to}' is not an email address")
    sid = sandbox_id(state, sandbox)
    state.perform(messages.forward(sid, message_id, email), dry_run=dry_run,
                  done=f"forwarded message {message_id} to {email}")


@app.command("mark-read")
def mark_read(
    ctx: typer.Context,
    message_id: MessageArg,
    unread: Annotated[bool, typer.Option("--unread", help="Mark as unread instead.")] = False,
    sandbox: SandboxOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Mark a message read (or unread with --unread).

    \b
    Examples:
      mailtrap sandbox messages mark-read 42
      mailtrap sandbox messages mark-read 42 --unread
    """
    state = get_state(ctx)
    sid = sandbox_id(state, sandbox)
    state.perform(messages.mark_read(sid, message_id, not unread), dry_run=dry_run,
                  done=f"marked message {message_id} {'unread' if unread else 'read'}")


@app.command()
def delete(ctx: typer.Context, message_id: MessageArg, sandbox: SandboxOpt = None,
           yes: YesOpt = False, dry_run: DryRunOpt = False) -> None:
    """Delete a message (asks first; --yes when not on a terminal).

    \b
    Examples:
      mailtrap sandbox messages delete 42 --yes
    """
    state = get_state(ctx)
    sid = sandbox_id(state, sandbox)
    state.perform(messages.delete(sid, message_id), dry_run=dry_run,
                  confirm=f"Delete message {message_id} from sandbox {sid}?",
                  done=f"deleted message {message_id}")
