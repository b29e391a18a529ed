"""`mailtrap inbound rules`: forward rules of an inbox (list, create, update, delete)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api import inbound
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.inbound.common import InboxOpt
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer, YesOpt, id_arg
from mailtrap_cli.output import View

app = Typer(help="Forward rules: copy an inbox's mail to other addresses.")

RuleArg = id_arg("RULE_ID", "Forward rule id.")
RULES = View(columns=[("id", "ID"), ("email", "FORWARD TO"), ("active", "ACTIVE")])
ONE = View(columns=RULES.columns, flat=lambda r: r.get("data", r) if isinstance(r, dict) else r)


def _address(email: str) -> str:
    from mailtrap_cli.message import is_valid_email

    if not is_valid_email(email):
        raise UsageError(f"'{email}' is not a valid email address")
    return email


@app.command("list")
def list_(ctx: typer.Context, inbox: InboxOpt) -> None:
    """List an inbox's forward rules.

    \b
    Examples:
      mailtrap inbound rules list --inbox 7
    """
    state = get_state(ctx)
    state.out.emit(inbound.list_rules(state.client(), inbox), RULES)


@app.command()
def create(ctx: typer.Context,
           email: Annotated[str, typer.Argument(metavar="EMAIL", help="Forward to.")],
           inbox: InboxOpt,
           inactive: Annotated[bool, typer.Option(
               "--inactive", help="Create it switched off.")] = False,
           dry_run: DryRunOpt = False) -> None:
    """Forward the inbox's mail to an address.

    \b
    Examples:
      mailtrap inbound rules create ops@example.com --inbox 7
    """
    get_state(ctx).perform(inbound.create_rule(inbox, _address(email), not inactive),
                           dry_run=dry_run, done=f"forwarding inbox {inbox} to {email}",
                           view=ONE)


@app.command()
def update(ctx: typer.Context, rule_id: RuleArg, inbox: InboxOpt,
           email: Annotated[str | None, typer.Option(
               "--email", metavar="ADDRESS", help="New address.")] = None,
           active: Annotated[bool | None, typer.Option(
               "--active/--inactive", help="Switch the rule on or off.",
               show_default=False)] = None,
           dry_run: DryRunOpt = False) -> None:
    """Change a forward rule's address, or switch it on or off.

    \b
    Examples:
      mailtrap inbound rules update 3 --inbox 7 --inactive
    """
    changes: dict[str, Any] = {}
    if email is not None:
        changes["email"] = _address(email)
    if active is not None:
        changes["active"] = active
    if not changes:
        raise UsageError("nothing to change", hint="give --email or --active/--inactive")
    get_state(ctx).perform(inbound.update_rule(inbox, rule_id, changes), dry_run=dry_run,
                           done=f"updated forward rule {rule_id}", view=ONE)


@app.command()
def delete(ctx: typer.Context, rule_id: RuleArg, inbox: InboxOpt, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a forward rule.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap inbound rules delete 3 --inbox 7 --yes
    """
    get_state(ctx).perform(inbound.delete_rule(inbox, rule_id), dry_run=dry_run,
                           confirm=f"Delete forward rule {rule_id}?",
                           done=f"deleted forward rule {rule_id}")
