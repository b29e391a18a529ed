"""`mailtrap domains list|get|create|update|delete|instructions`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api import domains
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, LimitOpt, Typer, YesOpt, id_arg
from mailtrap_cli.output import View

app = Typer(leaf=True)

DomainArg = id_arg("DOMAIN_ID", "Domain id.")


def _failing(domain: dict[str, Any]) -> str:
    bad = [r.get("key") for r in domains.failing_records(domain)]
    return ", ".join(str(k) for k in bad) if bad else "-"


DOMAINS = View(columns=[("id", "ID"), ("domain_name", "DOMAIN"),
                        ("compliance_status", "STATUS"), ("dns_verified", "DNS OK"),
                        ("failing", "NOT PASSING")],
               row=lambda d: {**d, "failing": _failing(d)})
DOMAIN = View(row=lambda d: {k: v for k, v in d.items() if k not in ("dns_records",
                                                                      "permissions")})


@app.command("list")
def list_(ctx: typer.Context, limit: LimitOpt = None) -> None:
    """List sending domains with their compliance and DNS status.

    The API answers every domain at once; --limit keeps the first N.

    \b
    Examples:
      mailtrap domains list
      mailtrap domains list -o json | jq -r '.[] | select(.dns_verified | not) .domain_name'
    """
    state = get_state(ctx)
    found = domains.list_domains(state.client())
    state.out.emit(found[:limit] if limit else found, DOMAINS)


@app.command()
def get(ctx: typer.Context, domain_id: DomainArg) -> None:
    """Show one domain's settings and status (`domains check` shows its DNS records).

    \b
    Examples:
      mailtrap domains get 435
    """
    state = get_state(ctx)
    state.out.emit(domains.get_domain(state.client(), domain_id), DOMAIN)


@app.command()
def create(ctx: typer.Context,
           name: Annotated[str, typer.Argument(metavar="DOMAIN", help="e.g. example.com")],
           dry_run: DryRunOpt = False) -> None:
    """Add a sending domain; then set its DNS records (`domains check ID` lists them).

    \b
    Examples:
      mailtrap domains create example.com
      id=$(mailtrap domains create example.com -o json | jq .id)
    """
    name = name.strip().rstrip(".")
    if not name or "." not in name or " " in name:
        raise UsageError(f"'{name}' is not a domain name", hint="e.g. example.com")
    get_state(ctx).perform(domains.create(name), dry_run=dry_run,
                           done=lambda d: f"created domain {d.get('id')} ({name}); next: "
                                          f"`mailtrap domains check {d.get('id')}`",
                           view=DOMAIN)


def _flag(name: str, help: str) -> Any:
    return Annotated[bool | None, typer.Option(f"--{name}/--no-{name}", help=help,
                                               show_default=False)]


@app.command()
def update(ctx: typer.Context, domain_id: DomainArg,
           open_tracking: _flag("open-tracking", "Track opens.") = None,
           click_tracking: _flag("click-tracking", "Track link clicks.") = None,
           auto_unsubscribe: _flag("auto-unsubscribe",
                                   "Add an unsubscribe link automatically.") = None,
           dry_run: DryRunOpt = False) -> None:
    """Change a domain's tracking settings.

    \b
    Examples:
      mailtrap domains update 435 --no-click-tracking
      mailtrap domains update 435 --open-tracking --auto-unsubscribe
    """
    settings = {key: value for key, value in (
        ("open_tracking_enabled", open_tracking), ("click_tracking_enabled", click_tracking),
        ("auto_unsubscribe_link_enabled", auto_unsubscribe)) if value is not None}
    if not settings:
        raise UsageError("nothing to change",
                         hint="give --[no-]open-tracking, --[no-]click-tracking or "
                              "--[no-]auto-unsubscribe")
    get_state(ctx).perform(domains.update(domain_id, settings), dry_run=dry_run,
                           done=f"updated domain {domain_id}", view=DOMAIN)


@app.command()
def delete(ctx: typer.Context, domain_id: DomainArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a sending domain: mail from it can no longer be sent.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap domains delete 435 --yes
    """
    get_state(ctx).perform(domains.delete(domain_id), dry_run=dry_run,
                           confirm=f"Delete domain {domain_id}?",
                           done=f"deleted domain {domain_id}")


@app.command()
def instructions(ctx: typer.Context, domain_id: DomainArg,
                 email: Annotated[str, typer.Option(
                     "--email", metavar="ADDRESS",
                     help="Who gets the DNS setup instructions (your DNS admin).")],
                 dry_run: DryRunOpt = False) -> None:
    """Email the domain's DNS setup instructions to someone.

    \b
    Examples:
      mailtrap domains instructions 435 --email devops@example.com
    """
    from mailtrap_cli.message import is_valid_email

    if not is_valid_email(email):
        raise UsageError(f"'{email}' is not a valid email address")
    get_state(ctx).perform(domains.send_instructions(domain_id, email), dry_run=dry_run,
                           done=f"sent the setup instructions of domain {domain_id} to {email}")
