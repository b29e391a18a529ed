"""`mailtrap account billing`: this cycle's usage against the plan's limits."""

from __future__ import annotations

from typing import Any

import typer

from mailtrap_cli.api import account
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer
from mailtrap_cli.output import View

app = Typer(leaf=True)

NEAR_LIMIT = 0.8
AREAS = (("sending", "sending"), ("testing", "sandbox"), ("marketing", "marketing"))


def usage_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per counter: area, plan, what, current, limit, used %."""
    rows = []
    for key, label in AREAS:
        area = data.get(key)
        if not isinstance(area, dict):
            continue
        plan = (area.get("plan") or {}).get("name")
        for what, counter in (area.get("usage") or {}).items():
            if not isinstance(counter, dict):
                continue
            current, limit = counter.get("current"), counter.get("limit")
            share = current / limit if isinstance(current, int) and limit else None
            rows.append({"area": label, "plan": plan,
                         "counter": what.replace("_count", "").replace("_", " "),
                         "current": current, "limit": limit,
                         "used": f"{share:.0%}" if share is not None else "",
                         "share": share})
    return rows


USAGE = View(columns=[("area", "AREA"), ("plan", "PLAN"), ("counter", "COUNTER"),
                      ("current", "USED"), ("limit", "LIMIT"), ("used", "%")],
             flat=usage_rows)


@app.command()
def billing(ctx: typer.Context) -> None:
    """Usage of this billing cycle against the plan limits (sending, sandbox, marketing).

    A counter at 80% of its limit or more is also named on stderr as a warning.

    \b
    Examples:
      mailtrap account billing
      mailtrap account billing -o json | jq .sending.usage
    """
    state = get_state(ctx)
    data = account.billing_usage(state.client())
    for row in usage_rows(data):
        if row["share"] is not None and row["share"] >= NEAR_LIMIT:
            state.out.warn(f"{row['area']} {row['counter']}: {row['used']} of the plan's "
                           f"{row['limit']} used")
    cycle = data.get("billing") or {}
    if cycle.get("cycle_end"):
        state.out.info(f"billing cycle {cycle.get('cycle_start', '?')[:10]} to "
                       f"{cycle['cycle_end'][:10]}")
    state.out.emit(data, USAGE)
