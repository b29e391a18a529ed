"""`mailtrap contacts fields`: list, get, create, update, delete."""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

import typer

from mailtrap_cli.api import contacts as api
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.contacts.common import FIELD_VIEW
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt

app = Typer(help="Contact fields: list, get, create, update, delete.")

FieldArg = Annotated[str, typer.Argument(metavar="ID|MERGE_TAG", help="The field, by id or "
                                                                    "merge tag.")]
TagOpt = Annotated[str | None, typer.Option(
    "--merge-tag", metavar="TAG", help="The name used in templates and imports "
    "(default: from the name, e.g. first_name).")]


def _field_id(client: Any, value: str) -> int:
    if value.strip().isdigit():
        return int(value)
    for item in api.list_fields(client):
        if item.get("merge_tag") == value or str(item.get("name", "")).casefold() == \
                value.casefold():
            return int(item["id"])
    raise UsageError(f"no contact field with merge tag {value!r}",
                     hint="see `mailtrap contacts fields list`")


@app.command("list")
def list_(ctx: typer.Context, limit: LimitOpt = None, all_: AllOpt = False) -> None:
    """List contact fields with their merge tags and data types.

    \b
    Examples:
      mailtrap contacts fields list
      mailtrap contacts fields list -o json | jq -r '.[].merge_tag'
    """
    state = get_state(ctx)
    items = api.list_fields(state.client())
    state.out.emit(list(islice(items, limit)) if limit else items, FIELD_VIEW)


@app.command()
def get(ctx: typer.Context, field: FieldArg) -> None:
    """Show one contact field.

    \b
    Examples:
      mailtrap contacts fields get first_name
    """
    state = get_state(ctx)
    client = state.client()
    state.out.emit(api.get_field(client, _field_id(client, field)), FIELD_VIEW)


@app.command()
def create(ctx: typer.Context,
           name: Annotated[str, typer.Argument(metavar="NAME", help="Field name (up to 80).")],
           data_type: Annotated[str, typer.Option(
               "--type", metavar="TYPE", help="text, integer, float, boolean or date "
               "(fixed once created).")] = "text",
           merge_tag: TagOpt = None, dry_run: DryRunOpt = False) -> None:
    """Create a contact field (an account has at most 40).

    \b
    Examples:
      mailtrap contacts fields create "First name"
      mailtrap contacts fields create Birthday --type date --merge-tag birthday
    """
    if data_type not in api.DATA_TYPES:
        raise UsageError(f"--type: {data_type!r} is not one of {', '.join(api.DATA_TYPES)}")
    get_state(ctx).perform(api.create_field(name.strip(), data_type, merge_tag),
                           dry_run=dry_run, view=FIELD_VIEW,
                           done=lambda r: f"created field {r.get('merge_tag')}")


@app.command()
def update(ctx: typer.Context, field: FieldArg,
           name: Annotated[str | None,
                           typer.Option("--name", metavar="NAME", help="New name.")] = None,
           merge_tag: TagOpt = None, dry_run: DryRunOpt = False) -> None:
    """Rename a contact field or its merge tag (its data type cannot change).

    \b
    Examples:
      mailtrap contacts fields update first_name --merge-tag given_name
    """
    if name is None and merge_tag is None:
        raise UsageError("nothing to change: pass --name or --merge-tag")
    state = get_state(ctx)
    field_id = _field_id(state.client(), field)
    state.perform(api.update_field(field_id, name=name, merge_tag=merge_tag), dry_run=dry_run,
                  done=f"updated field {field_id}", view=FIELD_VIEW)


@app.command()
def delete(ctx: typer.Context, field: FieldArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a contact field and every contact's value of it.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap contacts fields delete shoe_size --yes
    """
    state = get_state(ctx)
    field_id = _field_id(state.client(), field)
    state.perform(api.delete_field(field_id), dry_run=dry_run,
                  confirm=f"Delete contact field {field} and its values?",
                  done=f"deleted field {field_id}")
