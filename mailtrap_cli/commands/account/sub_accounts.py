"""`mailtrap account sub-accounts`: an organization's sub-accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api import account
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer
from mailtrap_cli.output import View

app = Typer(help="Sub-accounts of an organization: list, create.")

OrgOpt = Annotated[int, typer.Option("--organization", metavar="ID", min=1,
                                     help="Organization id.")]
SUB_ACCOUNTS = View(columns=[("id", "ID"), ("name", "NAME")])


@app.command("list")
def list_(ctx: typer.Context, organization: OrgOpt) -> None:
    """List the sub-accounts of an organization.

    \b
    Examples:
      mailtrap account sub-accounts list --organization 42
    """
    state = get_state(ctx)
    state.out.emit(account.list_sub_accounts(state.client(), organization), SUB_ACCOUNTS)


@app.command()
def create(ctx: typer.Context,
           name: Annotated[str, typer.Argument(metavar="NAME", help="The account's name.")],
           organization: OrgOpt, dry_run: DryRunOpt = False) -> None:
    """Create a sub-account in an organization.

    \b
    Examples:
      mailtrap account sub-accounts create "QA team" --organization 42
    """
    get_state(ctx).perform(account.create_sub_account(organization, name), dry_run=dry_run,
                           done=lambda r: f"created sub-account {r.get('id')}",
                           view=SUB_ACCOUNTS)
