"""`mailtrap inbound inboxes`: list, get, create, update, delete (in a --folder)."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api import inbound
from mailtrap_cli.commands.inbound.common import FolderOpt, NameArg, check_name
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer, YesOpt, id_arg
from mailtrap_cli.output import View

app = Typer(help="Inbound inboxes (each with its own address): list, get, create, update, "
                 "delete.")

InboxArg = id_arg("INBOX_ID", "Inbound inbox id.")
INBOXES = View(columns=[("id", "ID"), ("name", "NAME"), ("address", "ADDRESS")])


@app.command("list")
def list_(ctx: typer.Context, folder: FolderOpt) -> None:
    """List the inboxes of a folder with their addresses.

    \b
    Examples:
      mailtrap inbound inboxes list --folder 1
      mailtrap inbound inboxes list --folder 1 -o json | jq -r '.[].address'
    """
    state = get_state(ctx)
    state.out.emit(inbound.list_inboxes(state.client(), folder), INBOXES)


@app.command()
def get(ctx: typer.Context, inbox_id: InboxArg, folder: FolderOpt) -> None:
    """Show one inbox.

    \b
    Examples:
      mailtrap inbound inboxes get 7 --folder 1
    """
    state = get_state(ctx)
    state.out.emit(inbound.get_inbox(state.client(), folder, inbox_id), INBOXES)


@app.command()
def create(ctx: typer.Context, name: NameArg, folder: FolderOpt,
           dry_run: DryRunOpt = False) -> None:
    """Create an inbox; its address is generated from the name.

    \b
    Examples:
      mailtrap inbound inboxes create "Support tickets" --folder 1
      addr=$(mailtrap inbound inboxes create Replies --folder 1 -o json | jq -r .address)
    """
    get_state(ctx).perform(inbound.create_inbox(folder, check_name(name)), dry_run=dry_run,
                           done=lambda r: f"created inbox {r.get('id')}: {r.get('address')}",
                           view=INBOXES)


@app.command()
def update(ctx: typer.Context, inbox_id: InboxArg, folder: FolderOpt,
           name: Annotated[str, typer.Option("--name", metavar="NAME", help="New name.")],
           dry_run: DryRunOpt = False) -> None:
    """Rename an inbox (its address stays).

    \b
    Examples:
      mailtrap inbound inboxes update 7 --folder 1 --name Tickets
    """
    get_state(ctx).perform(inbound.update_inbox(folder, inbox_id, check_name(name)),
                           dry_run=dry_run, done=f"renamed inbox {inbox_id}", view=INBOXES)


@app.command()
def delete(ctx: typer.Context, inbox_id: InboxArg, folder: FolderOpt, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete an inbox and its messages.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap inbound inboxes delete 7 --folder 1 --yes
    """
    get_state(ctx).perform(inbound.delete_inbox(folder, inbox_id), dry_run=dry_run,
                           confirm=f"Delete inbox {inbox_id} and its messages?",
                           done=f"deleted inbox {inbox_id}")
