"""`mailtrap suppressions list|create|delete`."""

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

app = Typer(leaf=True)

SUPPRESSIONS = View(columns=[("id", "ID"), ("email", "EMAIL"), ("type", "TYPE"),
                             ("sending_stream", "STREAM"), ("domain_name", "DOMAIN"),
                             ("created_at", "CREATED")])
KINDS = ("hard bounce", "unsubscription", "spam complaint", "manual import")
IdArg = Annotated[str, typer.Argument(metavar="SUPPRESSION_ID", help="Suppression id (a UUID).")]


@app.command("list")
def list_(ctx: typer.Context, email: EmailFilterOpt = None, since: SinceOpt = None,
          until: UntilOpt = None, limit: LimitOpt = None, all_: AllOpt = False) -> None:
    """List suppressed addresses (1000 a page; --all follows the cursor, streaming).

    \b
    Examples:
      mailtrap suppressions list --email ann@example.com
      mailtrap suppressions list --since 7d --all -o jsonl | jq -r .email
    """
    state = get_state(ctx)
    state.out.emit(suppressions.iter_suppressions(
        state.client(), email=email, start_time=iso_time(since, "--since"),
        end_time=iso_time(until, "--until"), limit=limit, all_pages=all_), SUPPRESSIONS)


@app.command()
def create(ctx: typer.Context,
           email: Annotated[str, typer.Argument(metavar="EMAIL", help="Address to suppress.")],
           domain: Annotated[int, typer.Option("--domain", metavar="ID", min=1,
                                               help="Domain id it is suppressed for.")],
           stream: Annotated[str, typer.Option(
               "--stream", metavar="STREAM", help="transactional or bulk.")] = "transactional",
           kind: Annotated[str | None, typer.Option(
               "--type", metavar="TYPE",
               help="Reason: hard bounce, unsubscription, spam complaint, manual import "
                    "(default).")] = None,
           dry_run: DryRunOpt = False) -> None:
    """Suppress an address: nothing more is sent to it from the domain and stream.

    \b
    Examples:
      mailtrap suppressions create ann@example.com --domain 435
      mailtrap suppressions create ann@example.com --domain 435 --stream bulk --type unsubscription
    """
    from mailtrap_cli.api.sending import STREAMS
    from mailtrap_cli.message import is_valid_email

    if not is_valid_email(email):
        raise UsageError(f"'{email}' is not a valid email address")
    if stream not in STREAMS:
        raise UsageError(f"--stream must be one of {', '.join(STREAMS)}")
    if kind is not None and kind not in KINDS:
        raise UsageError(f"--type must be one of: {', '.join(KINDS)}")
    get_state(ctx).perform(suppressions.create(email, domain, stream, kind), dry_run=dry_run,
                           done=lambda r: f"suppressed {email} "
                                          f"({(r.get('data') or {}).get('id', '')})",
                           view=View(flat=lambda r: r.get("data", r)))


@app.command()
def delete(ctx: typer.Context, suppression_id: IdArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Remove a suppression, so the address can receive mail again.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap suppressions delete 64d71bf3-1276-417b-86e1-8e66f138acfe --yes
    """
    get_state(ctx).perform(suppressions.delete(suppression_id), dry_run=dry_run,
                           confirm=f"Remove suppression {suppression_id}?",
                           done=lambda r: f"removed the suppression of {r.get('email')}",
                           view=SUPPRESSIONS)
