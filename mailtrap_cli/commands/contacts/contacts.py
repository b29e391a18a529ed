"""`mailtrap contacts get|create|update|delete|event`: one contact by UUID or email."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api import contacts as api
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.contacts.common import (
    CONTACT_VIEW,
    ContactArg,
    FieldsOpt,
    ListsOpt,
    data_of,
    list_ids,
    typed_fields,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer, YesOpt

app = Typer(leaf=True)   # its commands join `mailtrap contacts`


def _address(value: str, flag: str) -> str:
    from mailtrap_cli.message import is_valid_email

    value = value.strip()
    if not is_valid_email(value):
        raise UsageError(f"{flag}: {value!r} is not a valid email address")
    return value


@app.command()
def get(ctx: typer.Context, contact: ContactArg) -> None:
    """Show one contact: fields, lists, subscription status.

    \b
    Examples:
      mailtrap contacts get jane@example.com
      mailtrap contacts get 018dd5e3-f6d2-7c00-8f9b-e5c3f2d8a132 -o json | jq .fields
    """
    state = get_state(ctx)
    state.out.emit(data_of(api.get_contact(state.client(), contact)), CONTACT_VIEW)


@app.command()
def create(ctx: typer.Context,
           email: Annotated[str, typer.Argument(metavar="EMAIL", help="The address.")],
           field: FieldsOpt = None, list_: ListsOpt = None, dry_run: DryRunOpt = False) -> None:
    """Create a contact (`update` also creates: an upsert).

    \b
    Examples:
      mailtrap contacts create jane@example.com --field first_name=Jane --list Customers
      mailtrap contacts create "j+news@example.com" --field age=31 --field vip=true
    """
    state = get_state(ctx)
    client = state.client()
    call = api.create(_address(email, "EMAIL"), fields=typed_fields(client, field),
                      list_ids=list_ids(client, list_))
    result = state.perform(call, dry_run=dry_run, emit=False,
                           done=lambda r: f"created contact {data_of(r).get('email')}")
    if result is not None:
        state.out.emit(data_of(result), CONTACT_VIEW)


@app.command()
def update(ctx: typer.Context, contact: ContactArg,
           email: Annotated[str | None, typer.Option(
               "--email", metavar="EMAIL", help="A new address for the contact.")] = None,
           field: FieldsOpt = None, list_: ListsOpt = None,
           remove_list: Annotated[list[str] | None, typer.Option(
               "--remove-list", metavar="ID|NAME",
               help="Take the contact off a list, by id or name (repeatable).")] = None,
           subscribe: Annotated[bool | None, typer.Option(
               "--subscribe/--unsubscribe",
               help="Subscribe or unsubscribe the contact.", show_default=False)] = None,
           dry_run: DryRunOpt = False) -> None:
    """Update a contact, or create it when new (an upsert).

    Says whether the contact was created or updated. Fields not given stay as
    they are; `--field TAG=` clears one.

    \b
    Examples:
      mailtrap contacts update jane@example.com --field plan=pro --list VIP
      mailtrap contacts update jane@example.com --remove-list Trial --unsubscribe
      mailtrap contacts update 018dd5e3-f6d2-7c00-8f9b-e5c3f2d8a132 --email new@example.com
    """
    state = get_state(ctx)
    client = state.client()
    if email is not None:
        email = _address(email, "--email")
    elif "@" in contact:
        email = contact.strip()
    else:   # by UUID: the body names the address, so look it up
        email = data_of(api.get_contact(client, contact)).get("email")
    include, exclude = list_ids(client, list_), list_ids(client, remove_list)
    both = sorted(set(include) & set(exclude))
    if both:
        raise UsageError(f"list {', '.join(map(str, both))} is in both --list and --remove-list")
    call = api.update(contact, str(email), fields=typed_fields(client, field), include=include,
                      exclude=exclude, unsubscribed=None if subscribe is None else not subscribe)

    def said(result: Any) -> str:
        action = result.get("action", "updated") if isinstance(result, dict) else "updated"
        return f"{action} contact {data_of(result).get('email')}"

    result = state.perform(call, dry_run=dry_run, emit=False, done=said)
    if result is not None:
        state.out.emit(data_of(result), CONTACT_VIEW)


@app.command()
def delete(ctx: typer.Context, contact: ContactArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a contact.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap contacts delete jane@example.com --yes
    """
    get_state(ctx).perform(api.delete(contact), dry_run=dry_run,
                           confirm=f"Delete contact {contact}?", done=f"deleted contact {contact}")


@app.command()
def event(ctx: typer.Context, contact: ContactArg,
          name: Annotated[str, typer.Argument(metavar="NAME", help="The event's name.")],
          param: Annotated[list[str] | None, typer.Option(
              "--param", metavar="KEY=VALUE",
              help="A parameter; numbers, true/false and null are typed (repeatable).")] = None,
          dry_run: DryRunOpt = False) -> None:
    """Record a custom event for a contact.

    Events feed automations and segments.

    \b
    Examples:
      mailtrap contacts event jane@example.com purchase --param amount=49.90 --param plan=pro
      mailtrap contacts event jane@example.com login --param first=true
    """
    from mailtrap_cli.contacts_import.values import scalar, split_pair

    params: dict[str, Any] = {}
    for pair in param or []:
        try:
            key, value = split_pair(pair, "--param")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        params[key] = scalar(value)
    if not name.strip():
        raise UsageError("the event needs a NAME")
    get_state(ctx).perform(api.create_event(contact, name, params), dry_run=dry_run,
                           done=f"recorded event {name!r} for {contact}")
