"""`mailtrap domains check`: every DNS record with what to set and whether it passes."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from mailtrap_cli.api import domains
from mailtrap_cli.api.errors import MailtrapError, TimedOutError
from mailtrap_cli.commands.domains.crud import DomainArg
from mailtrap_cli.context import get_state
from mailtrap_cli.options import OwnTimeoutCommand, Typer
from mailtrap_cli.output import View

app = Typer(leaf=True)

RECORDS = View(columns=[("key", "RECORD"), ("type", "TYPE"), ("domain", "NAME"),
                        ("value", "VALUE"), ("status", "STATUS")],
               flat=lambda d: d.get("dns_records") or [])


class DnsNotReady(MailtrapError):
    """Exit 1: a pipeline step waiting on DNS fails until every record passes."""


@app.command(cls=OwnTimeoutCommand)
def check(ctx: typer.Context, domain_id: DomainArg,
          wait: Annotated[bool, typer.Option(
              "--wait", help="Check again until every record passes (or --timeout).")] = False,
          timeout: Annotated[float, typer.Option(
              "--timeout", metavar="SECONDS", min=1,
              help="With --wait: give up after this long (exit 9).")] = 600,
          interval: Annotated[float, typer.Option(
              "--interval", metavar="SECONDS", min=0.1,
              help="With --wait: seconds between checks.")] = 15) -> None:
    """Show each DNS record (SPF, DKIM, DMARC, tracking, ...) and whether it passes.

    Exit 0 only when every record passes, 1 when some do not, and with --wait
    9 when --timeout passes first: a pipeline can wait for DNS to propagate.

    \b
    Examples:
      mailtrap domains check 435
      mailtrap domains check 435 --wait --timeout 1800 --interval 60
    """
    state = get_state(ctx)
    client = state.client()
    deadline = time.monotonic() + timeout
    domain: dict[str, Any] = domains.get_domain(client, domain_id)
    said = ""
    while wait and domains.failing_records(domain):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        failing = ", ".join(str(r.get("key")) for r in domains.failing_records(domain))
        if failing != said:  # said again only when the set of waiting records changes
            state.out.info(f"waiting for {failing} (every {interval:g}s, up to {timeout:g}s)")
            said = failing
        time.sleep(min(interval, left))
        domain = domains.get_domain(client, domain_id)
    state.out.emit(domain, RECORDS)
    failing = domains.failing_records(domain)
    name = domain.get("domain_name", domain_id)
    if not failing:
        state.out.success(f"every DNS record of {name} passes")
        return
    what = ", ".join(f"{r.get('key')} ({r.get('status')})" for r in failing)
    if wait:
        raise TimedOutError(f"{name}: gave up after {timeout:g}s; not passing: {what}",
                            hint="DNS changes can take hours; check the values above")
    raise DnsNotReady(f"{name}: not passing: {what}",
                      hint=f"set the records above, then `mailtrap domains check "
                           f"{domain_id} --wait`")

