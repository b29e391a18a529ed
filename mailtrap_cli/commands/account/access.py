"""`mailtrap account access`: users, invites and API tokens with their levels."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api import account
from mailtrap_cli.commands.account.accounts import LEVELS
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer, YesOpt, id_arg
from mailtrap_cli.output import View

app = Typer(help="Who can reach the account: users, invites and API tokens.")

AccessArg = id_arg("ACCESS_ID", "Account access id (from `account access list`).")
IdsOpt = Annotated[list[str] | None, typer.Option(metavar="ID")]


def who(access: dict[str, Any]) -> str:
    spec = access.get("specifier") or {}
    return str(spec.get("email") or spec.get("name") or spec.get("id") or "")


def resources_text(access: dict[str, Any]) -> str:
    return ", ".join(f"{r.get('resource_type')}:{r.get('resource_id')}="
                     f"{LEVELS.get(r.get('access_level'), r.get('access_level'))}"
                     for r in access.get("resources") or [])


ACCESS = View(columns=[("id", "ID"), ("specifier_type", "TYPE"), ("who", "WHO"),
                       ("levels", "RESOURCES")],
              row=lambda a: {**a, "who": who(a), "levels": resources_text(a)})


@app.command("list")
def list_(ctx: typer.Context,
          project: Annotated[list[str] | None, typer.Option(
              "--project", metavar="ID", help="Only accesses to this project (repeatable).")
          ] = None,
          sandbox: Annotated[list[str] | None, typer.Option(
              "--sandbox", metavar="ID", help="Only accesses to this sandbox (repeatable).")
          ] = None,
          domain: Annotated[list[str] | None, typer.Option(
              "--domain", metavar="ID", help="Only accesses to this domain (repeatable).")
          ] = None) -> None:
    """List users, invites and API tokens with their resources and levels.

    \b
    Examples:
      mailtrap account access list
      mailtrap account access list --sandbox 123 -o json
    """
    state = get_state(ctx)
    state.out.emit(account.list_accesses(state.client(), project_ids=project,
                                         sandbox_ids=sandbox, domain_ids=domain), ACCESS)


@app.command()
def remove(ctx: typer.Context, access_id: AccessArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Remove an access: a user loses the account; an invite or API token is deleted.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap account access remove 4788 --yes
    """
    get_state(ctx).perform(account.remove_access(access_id), dry_run=dry_run,
                           confirm=f"Remove account access {access_id}?",
                           done=f"removed account access {access_id}")
