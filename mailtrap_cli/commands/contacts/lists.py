"""`mailtrap contacts lists`: list, get, create, update, delete."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

import typer

from mailtrap_cli.api import contacts as api
from mailtrap_cli.commands.contacts.common import LIST_VIEW
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt

app = Typer(help="Contact lists: list, get, create, update, delete.")

ListArg = Annotated[str, typer.Argument(metavar="ID|NAME", help="The list, by id or name.")]
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="List name (up to 255 characters).")]


def _one(client: object, value: str) -> int:
    return api.resolve_list_ids(client, [value])[0]   # type: ignore[arg-type]


@app.command("list")
def list_(ctx: typer.Context, search: Annotated[str | None, typer.Option(
        "--search", metavar="PREFIX", help="Only lists whose name starts with PREFIX.")] = None,
          limit: LimitOpt = None, all_: AllOpt = False) -> None:
    """List contact lists.

    The API answers every list at once, so --all changes nothing.

    \b
    Examples:
      mailtrap contacts lists list
      mailtrap contacts lists list --search cust -o json | jq '.[].id'
    """
    state = get_state(ctx)
    items = api.list_lists(state.client(), search)
    state.out.emit(list(islice(items, limit)) if limit else items, LIST_VIEW)


@app.command()
def get(ctx: typer.Context, list_: ListArg) -> None:
    """Show one contact list.

    \b
    Examples:
      mailtrap contacts lists get 12
      mailtrap contacts lists get Customers
    """
    state = get_state(ctx)
    client = state.client()
    state.out.emit(api.get_list(client, _one(client, list_)), LIST_VIEW)


@app.command()
def create(ctx: typer.Context, name: NameArg, dry_run: DryRunOpt = False) -> None:
    """Create a contact list.

    \b
    Examples:
      mailtrap contacts lists create "Newsletter"
      id=$(mailtrap contacts lists create Beta -o json | jq .id)
    """
    get_state(ctx).perform(api.create_list(name.strip()), dry_run=dry_run,
                           done=lambda r: f"created list {r.get('id')}", view=LIST_VIEW)


@app.command()
def update(ctx: typer.Context, list_: ListArg,
           name: Annotated[str, typer.Option("--name", metavar="NAME", help="New name.")],
           dry_run: DryRunOpt = False) -> None:
    """Rename a contact list.

    \b
    Examples:
      mailtrap contacts lists update 12 --name "Former customers"
    """
    state = get_state(ctx)
    list_id = _one(state.client(), list_)
    state.perform(api.update_list(list_id, name.strip()), dry_run=dry_run,
                  done=f"updated list {list_id}", view=LIST_VIEW)


@app.command()
def delete(ctx: typer.Context, list_: ListArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a contact list (its contacts stay).

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap contacts lists delete 12 --yes
    """
    state = get_state(ctx)
    list_id = _one(state.client(), list_)
    state.perform(api.delete_list(list_id), dry_run=dry_run,
                  confirm=f"Delete contact list {list_id}?", done=f"deleted list {list_id}")
