"""`mailtrap inbound folders`: list, get, create, update, delete."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api import inbound
from mailtrap_cli.commands.inbound.common import NameArg, check_name
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer, YesOpt, id_arg
from mailtrap_cli.output import View

app = Typer(help="Inbound folders: list, get, create, update, delete.")

FolderArg = id_arg("FOLDER_ID", "Folder id.")
FOLDERS = View(columns=[("id", "ID"), ("name", "NAME")])


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List inbound folders.

    \b
    Examples:
      mailtrap inbound folders list
    """
    state = get_state(ctx)
    state.out.emit(inbound.list_folders(state.client()), FOLDERS)


@app.command()
def get(ctx: typer.Context, folder_id: FolderArg) -> None:
    """Show one folder.

    \b
    Examples:
      mailtrap inbound folders get 1
    """
    state = get_state(ctx)
    state.out.emit(inbound.get_folder(state.client(), folder_id), FOLDERS)


@app.command()
def create(ctx: typer.Context, name: NameArg, dry_run: DryRunOpt = False) -> None:
    """Create a folder.

    \b
    Examples:
      mailtrap inbound folders create Support
    """
    get_state(ctx).perform(inbound.create_folder(check_name(name)), dry_run=dry_run,
                           done=lambda r: f"created folder {r.get('id')}", view=FOLDERS)


@app.command()
def update(ctx: typer.Context, folder_id: FolderArg,
           name: Annotated[str, typer.Option("--name", metavar="NAME", help="New name.")],
           dry_run: DryRunOpt = False) -> None:
    """Rename a folder.

    \b
    Examples:
      mailtrap inbound folders update 1 --name "Support (EU)"
    """
    get_state(ctx).perform(inbound.update_folder(folder_id, check_name(name)),
                           dry_run=dry_run, done=f"renamed folder {folder_id}", view=FOLDERS)


@app.command()
def delete(ctx: typer.Context, folder_id: FolderArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a folder with its inboxes and their messages.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap inbound folders delete 1 --yes
    """
    get_state(ctx).perform(inbound.delete_folder(folder_id), dry_run=dry_run,
                           confirm=f"Delete folder {folder_id} with its inboxes and messages?",
                           done=f"deleted folder {folder_id}")
