"""`mailtrap suppressions opt-outs list|create|delete`: tracking opt-outs."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api import suppressions
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.suppressions.common import (
    EmailFilterOpt,
    SinceOpt,
    UntilOpt,
    iso_time,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt
from mailtrap_cli.output import View

app = Typer(help="Tracking opt-outs: addresses whose opens and clicks are not tracked.")

OPT_OUTS = View(columns=[("id", "ID"), ("email", "EMAIL"), ("domain_id", "DOMAIN"),
                         ("created_at", "CREATED")])
ONE = View(flat=lambda r: r.get("data", r) if isinstance(r, dict) else r)


@app.command("list")
def list_(ctx: typer.Context, email: EmailFilterOpt = None, since: SinceOpt = None,
          until: UntilOpt = None, limit: LimitOpt = None, all_: AllOpt = False) -> None:
    """List tracking opt-outs (--all follows the cursor, streaming).

    \b
    Examples:
      mailtrap suppressions opt-outs list --all -o jsonl
    """
    state = get_state(ctx)
    state.out.emit(suppressions.iter_opt_outs(
        state.client(), email=email, start_time=iso_time(since, "--since"),
        end_time=iso_time(until, "--until"), limit=limit, all_pages=all_), OPT_OUTS)


@app.command()
def create(ctx: typer.Context,
           email: Annotated[str, typer.Argument(metavar="EMAIL", help="Address to opt out.")],
           domain: Annotated[int | None, typer.Option(
               "--domain", metavar="ID", min=1, help="Only for this domain.")] = None,
           dry_run: DryRunOpt = False) -> None:
    """Stop tracking opens and clicks for an address.

    \b
    Examples:
      mailtrap suppressions opt-outs create ann@example.com --domain 435
    """
    from mailtrap_cli.message import is_valid_email

    if not is_valid_email(email):
        raise UsageError(f"'{email}' is not a valid email address")
    get_state(ctx).perform(suppressions.create_opt_out(email, domain), dry_run=dry_run,
                           done=f"opted {email} out of tracking", view=ONE)


@app.command()
def delete(ctx: typer.Context,
           opt_out_id: Annotated[str, typer.Argument(metavar="OPT_OUT_ID",
                                                     help="Opt-out id.")],
           yes: YesOpt = False, dry_run: DryRunOpt = False) -> None:
    """Remove a tracking opt-out.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap suppressions opt-outs delete 0b7c… --yes
    """
    get_state(ctx).perform(suppressions.delete_opt_out(opt_out_id), dry_run=dry_run,
                           confirm=f"Remove tracking opt-out {opt_out_id}?",
                           done=f"removed tracking opt-out {opt_out_id}")
