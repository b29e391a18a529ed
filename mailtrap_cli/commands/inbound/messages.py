"""`mailtrap inbound messages`: list, get, body, download, delete, reply, reply-all, forward."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mailtrap_cli.api import inbound
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.inbound.common import InboxOpt
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt
from mailtrap_cli.output import View

app = Typer(help="Received messages: list, get, body, download, delete, reply, reply-all, "
                 "forward.")

MessageArg = Annotated[str, typer.Argument(metavar="MESSAGE_ID", help="Message id.")]
MESSAGES = View(columns=[("id", "ID"), ("received_at", "RECEIVED"), ("from", "FROM"),
                         ("subject", "SUBJECT"), ("files", "ATTACHMENTS")],
                row=lambda m: {**m, "files": len(m.get("attachments") or [])})
BIG = ("html_body", "text_body", "headers", "attachments")
MESSAGE = View(row=lambda m: {k: v for k, v in m.items() if k not in BIG})
SAVED = View(columns=[("filename", "FILE"), ("path", "PATH"), ("bytes", "BYTES")])
TextOpt = Annotated[str | None, typer.Option("--text", metavar="TEXT", help="Plain-text body.")]
HtmlOpt = Annotated[str | None, typer.Option("--html", metavar="HTML", help="HTML body.")]
TextFileOpt = Annotated[str | None, typer.Option(
    "--text-file", metavar="PATH", help="Plain-text body from a file (- for stdin).")]
HtmlFileOpt = Annotated[str | None, typer.Option(
    "--html-file", metavar="PATH", help="HTML body from a file (- for stdin).")]


@app.command("list")
def list_(ctx: typer.Context, inbox: InboxOpt, limit: LimitOpt = None,
          all_: AllOpt = False) -> None:
    """List received messages, newest first (--all follows the cursor, streaming).

    \b
    Examples:
      mailtrap inbound messages list --inbox 7
      mailtrap inbound messages list --inbox 7 --all -o jsonl | jq -r .subject
    """
    state = get_state(ctx)
    state.out.emit(inbound.iter_messages(state.client(), inbox, limit=limit, all_pages=all_),
                   MESSAGES)


@app.command()
def get(ctx: typer.Context, message_id: MessageArg, inbox: InboxOpt) -> None:
    """Show one message (JSON holds its bodies, headers and attachments).

    \b
    Examples:
      mailtrap inbound messages get 1700000000000123 --inbox 7
    """
    state = get_state(ctx)
    state.out.emit(inbound.get_message(state.client(), inbox, message_id), MESSAGE)


@app.command()
def body(ctx: typer.Context, message_id: MessageArg, inbox: InboxOpt,
         html: Annotated[bool, typer.Option("--html", help="The HTML body.")] = False) -> None:
    """Print a message's text body (or --html), as it is.

    \b
    Examples:
      mailtrap inbound messages body 1700000000000123 --inbox 7
      mailtrap inbound messages body 1700000000000123 --inbox 7 --html > mail.html
    """
    state = get_state(ctx)
    message = inbound.get_message(state.client(), inbox, message_id)
    key = "html_body" if html else "text_body"
    value = message.get(key)
    if value is None:
        raise UsageError(f"message {message_id} has no {'HTML' if html else 'text'} body",
                         hint="try " + ("without --html" if html else "--html"))
    state.out.text(value)


def _plan(items: list[tuple[str, Any]], folder: Path) -> list[tuple[Any, Path]]:
    from mailtrap_cli.filenames import safe_filename, target_in, unique_names

    names = unique_names([(key, safe_filename(name, f"attachment-{key}"))
                          for key, name in ((str(i), n) for i, (n, _) in enumerate(items))])
    return [(url, target_in(folder, names[str(i)])) for i, (_, url) in enumerate(items)]


@app.command()
def download(ctx: typer.Context, message_id: MessageArg, inbox: InboxOpt,
             raw: Annotated[bool, typer.Option(
                 "--raw", help="Save the whole message as MESSAGE_ID.eml instead.")] = False,
             dir_: Annotated[Path, typer.Option(
                 "--dir", metavar="DIR", file_okay=False,
                 help="Folder to save into (created if missing).")] = Path("."),
             force: Annotated[bool, typer.Option(
                 "--force", help="Overwrite existing files.")] = False) -> None:
    """Save a message's attachments (or with --raw its .eml) under safe file names.

    Names lose any folder part, control characters and leading dots; nothing is
    written outside DIR; existing files are kept (exit 2) unless --force.

    \b
    Examples:
      mailtrap inbound messages download 1700000000000123 --inbox 7 --dir ./in
      mailtrap inbound messages download 1700000000000123 --inbox 7 --raw
    """
    from mailtrap_cli.filenames import make_folder, refuse_existing, save

    state = get_state(ctx)
    client = state.client()
    message = inbound.get_message(client, inbox, message_id)
    if raw:
        items = [(f"{message_id}.eml", message.get("raw_message_url"))]
    else:
        items = [(a.get("filename"), a.get("download_url"))
                 for a in message.get("attachments") or []]
    items = [(name, url) for name, url in items if url]
    if not items:
        state.out.info(f"message {message_id} has no " + ("raw message" if raw else
                                                          "attachments") + " to download")
        state.out.emit([], SAVED)
        return
    make_folder(dir_)
    targets = _plan(items, dir_)
    refuse_existing((t for _, t in targets), force=force)
    saved = []
    for (name, _), (url, target) in zip(items, targets, strict=True):
        size = save(target, inbound.download(client, url), force=force)
        state.out.success(f"saved {target.name} ({size} bytes)")
        saved.append({"filename": name, "path": str(target), "bytes": size})
    state.out.emit(saved, SAVED)


@app.command()
def delete(ctx: typer.Context, message_id: MessageArg, inbox: InboxOpt, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a received message.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap inbound messages delete 1700000000000123 --inbox 7 --yes
    """
    get_state(ctx).perform(inbound.delete_message(inbox, message_id), dry_run=dry_run,
                           confirm=f"Delete message {message_id}?",
                           done=f"deleted message {message_id}")


def _body(state: Any, text: str | None, html: str | None, text_file: str | None,
          html_file: str | None) -> dict[str, Any]:
    if text is not None and text_file is not None:
        raise UsageError("give --text or --text-file, not both")
    if html is not None and html_file is not None:
        raise UsageError("give --html or --html-file, not both")
    if text_file is not None:
        text = state.io.read_text(text_file, "--text-file")
    if html_file is not None:
        html = state.io.read_text(html_file, "--html-file")
    body = {k: v for k, v in (("text", text), ("html", html)) if v}
    return body


def _reply(ctx: typer.Context, message_id: str, inbox: int, everyone: bool, text: str | None,
           html: str | None, text_file: str | None, html_file: str | None,
           dry_run: bool) -> None:
    state = get_state(ctx)
    body = _body(state, text, html, text_file, html_file)
    if not body:
        raise UsageError("the reply needs a body", hint="give --text, --html or a file")
    state.perform(inbound.reply(inbox, message_id, body, everyone=everyone), dry_run=dry_run,
                  done=f"replied to {'everyone on ' if everyone else ''}message {message_id}")


@app.command()
def reply(ctx: typer.Context, message_id: MessageArg, inbox: InboxOpt, text: TextOpt = None,
          html: HtmlOpt = None, text_file: TextFileOpt = None, html_file: HtmlFileOpt = None,
          dry_run: DryRunOpt = False) -> None:
    """Reply to the sender, from the inbox's address, in the same thread.

    \b
    Examples:
      mailtrap inbound messages reply 1700000000000123 --inbox 7 --text "On it."
    """
    _reply(ctx, message_id, inbox, False, text, html, text_file, html_file, dry_run)


@app.command("reply-all")
def reply_all(ctx: typer.Context, message_id: MessageArg, inbox: InboxOpt,
              text: TextOpt = None, html: HtmlOpt = None, text_file: TextFileOpt = None,
              html_file: HtmlFileOpt = None, dry_run: DryRunOpt = False) -> None:
    """Reply to the sender and every other recipient.

    \b
    Examples:
      mailtrap inbound messages reply-all 1700000000000123 --inbox 7 --html-file reply.html
    """
    _reply(ctx, message_id, inbox, True, text, html, text_file, html_file, dry_run)


@app.command()
def forward(ctx: typer.Context, message_id: MessageArg, inbox: InboxOpt,
            to: Annotated[list[str], typer.Option(
                "--to", metavar="ADDRESS", help="Forward to this address (repeatable).")],
            text: TextOpt = None, dry_run: DryRunOpt = False) -> None:
    """Forward a message to other addresses, with an optional note.

    \b
    Examples:
      mailtrap inbound messages forward 1700000000000123 --inbox 7 --to boss@example.com
    """
    from mailtrap_cli.message import is_valid_email

    bad = [a for a in to if not is_valid_email(a)]
    if bad:
        raise UsageError(f"'{bad[0]}' is not a valid email address")
    body: dict[str, Any] = {"to": list(to)}
    if text:
        body["text"] = text
    get_state(ctx).perform(inbound.forward(inbox, message_id, body), dry_run=dry_run,
                           done=f"forwarded message {message_id} to {', '.join(to)}")
