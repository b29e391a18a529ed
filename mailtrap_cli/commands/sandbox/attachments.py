"""`mailtrap sandbox attachments`: list, get, download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mailtrap_cli.api import attachments
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, LimitOpt, SandboxOpt, Typer, id_arg
from mailtrap_cli.output import View

app = Typer(help="Attachments of sandbox messages: list, get, download.")

MessageArg = id_arg("MESSAGE_ID", "Message id.")
LIST = View(columns=[("id", "id"), ("filename", "filename"), ("attachment_type", "type"),
                     ("content_type", "content_type"), ("attachment_human_size", "size")])
SAVED = View(columns=["id", "path", "bytes"])
TYPES = ("attachment", "inline")
AttachmentArg = id_arg("ATTACHMENT_ID", "Attachment id.")


def _sandbox(state: Any, value: int | None) -> int:
    return state.resolve_id("sandbox_id", value, "--sandbox")


@app.command("list")
def list_(
    ctx: typer.Context,
    message_id: MessageArg,
    sandbox: SandboxOpt = None,
    type_: Annotated[str | None, typer.Option(
        "--type", metavar="attachment|inline", help="Only this attachment type.")] = None,
    limit: LimitOpt = None,
    all_: AllOpt = False,
) -> None:
    """List a message's attachments.

    The API answers every attachment at once, so --all changes nothing;
    --limit keeps the first N.

    \b
    Examples:
      mailtrap sandbox attachments list 42
      mailtrap sandbox attachments list 42 --type inline -o json | jq -r '.[].filename'
    """
    state = get_state(ctx)
    if type_ is not None and type_ not in TYPES:
        raise UsageError(f"--type must be attachment or inline, got '{type_}'")
    items = attachments.list_attachments(state.client(), _sandbox(state, sandbox), message_id,
                                         attachment_type=type_)
    state.out.emit(items[:limit] if limit is not None else items, LIST)


@app.command()
def get(
    ctx: typer.Context,
    message_id: MessageArg,
    attachment_id: AttachmentArg,
    sandbox: SandboxOpt = None,
) -> None:
    """Show one attachment: name, type, size and download path.

    \b
    Examples:
      mailtrap sandbox attachments get 42 7
    """
    state = get_state(ctx)
    state.out.emit(attachments.get_attachment(state.client(), _sandbox(state, sandbox),
                                              message_id, attachment_id))


def fallback_name(attachment: dict[str, Any]) -> str:
    """`attachment-<id>`, with an extension guessed from the content type."""
    import mimetypes

    ext = mimetypes.guess_extension(str(attachment.get("content_type") or "")) or ""
    return f"attachment-{attachment.get('id')}{ext}"


def plan(items: list[dict[str, Any]], folder: Path) -> list[tuple[dict[str, Any], Path]]:
    """Each attachment with the safe path it will be saved to inside `folder`."""
    from mailtrap_cli.filenames import safe_filename, target_in, unique_names

    safe = [(str(a.get("id")), safe_filename(a.get("filename"), fallback_name(a)))
            for a in items]
    names = unique_names(safe)
    return [(a, target_in(folder, names[str(a.get("id"))])) for a in items]


@app.command()
def download(
    ctx: typer.Context,
    message_id: MessageArg,
    attachment_id: Annotated[int | None, typer.Argument(
        metavar="[ATTACHMENT_ID]", min=1, show_default=False,
        help="One attachment (default: all of the message's).")] = None,
    sandbox: SandboxOpt = None,
    dir_: Annotated[Path, typer.Option(
        "--dir", metavar="DIR", file_okay=False,
        help="Folder to save into (created if missing).")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Save attachments under their own file names, made safe.

    Names lose any folder part (`../../etc/passwd` is saved as `passwd`,
    `C:\\evil.bat` as `evil.bat`), control characters, leading dots and
    Windows-reserved names; a nameless attachment becomes `attachment-<id>`.
    Nothing is written outside DIR. If any target file exists, nothing is
    downloaded and the command exits 2, unless --force. Prints what was saved.

    \b
    Examples:
      mailtrap sandbox attachments download 42 --dir ./out
      mailtrap sandbox attachments download 42 7 --force
    """
    from mailtrap_cli.filenames import make_folder, refuse_existing, save

    state = get_state(ctx)
    sid = _sandbox(state, sandbox)
    client = state.client()
    if attachment_id is not None:
        items = [attachments.get_attachment(client, sid, message_id, attachment_id)]
    else:
        items = attachments.list_attachments(client, sid, message_id)
    if not items:
        state.out.info(f"message {message_id} has no attachments")
        state.out.emit([], SAVED)
        return
    make_folder(dir_)
    targets = plan(items, dir_)
    refuse_existing((target for _, target in targets), force=force)
    saved = []
    for attachment, target in targets:
        size = save(target, attachments.download(client, sid, message_id, attachment),
                    force=force)
        state.out.success(f"saved {target.name} ({size} bytes)")
        saved.append({"id": attachment.get("id"), "filename": attachment.get("filename"),
                      "path": str(target), "bytes": size})
    state.out.emit(saved, SAVED)
