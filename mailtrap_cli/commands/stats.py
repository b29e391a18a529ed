"""`mailtrap stats summary|domains|categories|esps|dates`: sending stats over a range.

Tables show rates as percentages; JSON is the API's answer untouched. On a
table, `stats dates` draws a small bar chart of delivered / bounced / opened."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import typer

from mailtrap_cli.api import stats
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer
from mailtrap_cli.output import Part, View

app = Typer(help="Sending stats by day, domain, category, ESP.")

BAR = 12
FromOpt = Annotated[str | None, typer.Option(
    "--from", metavar="DATE", help="First day: YYYY-MM-DD, 7d, 30d (default: 30 days ago).")]
ToOpt = Annotated[str | None, typer.Option(
    "--to", metavar="DATE", help="Last day: YYYY-MM-DD, 1d, today (default: today).")]
DomainOpt = Annotated[list[int] | None, typer.Option(
    "--domain", metavar="ID", help="Only this domain id (repeatable).")]
StreamOpt = Annotated[list[str] | None, typer.Option(
    "--stream", metavar="STREAM", help="Only transactional or bulk (repeatable).")]
CategoryOpt = Annotated[list[str] | None, typer.Option(
    "--category", metavar="NAME", help="Only this category (repeatable).")]
EspOpt = Annotated[list[str] | None, typer.Option(
    "--esp", metavar="NAME", help="Only this email service provider, e.g. Google (repeatable).")]
METRICS = (("delivery", "DELIVERED"), ("bounce", "BOUNCED"), ("open", "OPENED"),
           ("click", "CLICKED"), ("spam", "SPAM"))


def pct(value: Any) -> str:
    return f"{value * 100:.1f}%" if isinstance(value, (int, float)) else ""


def stats_row(s: dict[str, Any]) -> dict[str, Any]:
    """Each metric as `count (rate%)`: delivery and bounce rates are of messages sent,
    open, click and spam rates of messages delivered (the API's own rates)."""
    row: dict[str, Any] = {}
    for key, _ in METRICS:
        count, rate = s.get(f"{key}_count"), pct(s.get(f"{key}_rate"))
        row[key] = f"{count} ({rate})" if rate else count
    return row


def columns(first: tuple[str, str] | None) -> list[tuple[str, str]]:
    return ([first] if first else []) + list(METRICS)


def grouped(key: str, header: str) -> View:
    return View(columns=columns((key, header)),
                row=lambda item: {key: item.get(key), **stats_row(item.get("stats") or {})})


SUMMARY = View(columns=columns(None), flat=lambda s: [stats_row(s)])


def _bar(value: int, top: int) -> str:
    if not top or not value:
        return ""
    cells = max(1, round(value / top * BAR))
    return "█" * cells


def chart(days: Iterable[dict[str, Any]]) -> Iterable[Part]:
    days = list(days)
    top = max([(d.get("stats") or {}).get("delivery_count") or 0 for d in days] or [0])
    top = max(top, *[(d.get("stats") or {}).get("bounce_count") or 0 for d in days] or [0])
    rows = []
    for day in days:
        s = day.get("stats") or {}
        row: dict[str, Any] = {"date": day.get("date")}
        for key, name in (("delivery", "delivered"), ("bounce", "bounced"), ("open", "opened")):
            count = s.get(f"{key}_count") or 0
            row[name] = f"{count:>6} {_bar(count, top)}"
        rows.append(row)
    yield Part(rows, View(columns=[("date", "DATE"), ("delivered", "DELIVERED"),
                                   ("bounced", "BOUNCED"), ("opened", "OPENED")]))


DATES = View(columns=columns(("date", "DATE")),
             row=lambda item: {"date": item.get("date"), **stats_row(item.get("stats") or {})},
             table=chart)
GROUPS = {"summary": SUMMARY, "domains": grouped("domain_id", "DOMAIN"),
          "categories": grouped("category", "CATEGORY"),
          "esps": grouped("email_service_provider", "ESP"), "dates": DATES}


def _run(ctx: typer.Context, group: str, start: str | None, end: str | None,
         domain: list[int] | None, stream: list[str] | None, category: list[str] | None,
         esp: list[str] | None) -> None:
    from datetime import date

    from mailtrap_cli.api.sending import STREAMS

    try:
        first, last = stats.date_range(start, end, date.today())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    bad = [s for s in stream or [] if s not in STREAMS]
    if bad:
        raise UsageError(f"--stream {bad[0]}: use one of {', '.join(STREAMS)}")
    state = get_state(ctx)
    query = stats.params(first, last, domain_ids=domain, streams=stream,
                         categories=category, esps=esp)
    state.out.info(f"{first} to {last}")
    state.out.emit(stats.get(state.client(), group, query), GROUPS[group])


@app.command()
def summary(ctx: typer.Context, from_: FromOpt = None, to: ToOpt = None,
            domain: DomainOpt = None, stream: StreamOpt = None, category: CategoryOpt = None,
            esp: EspOpt = None) -> None:
    """Totals over the range: delivered, bounced, opened, clicked, spam, with rates.

    \b
    Examples:
      mailtrap stats summary
      mailtrap stats summary --from 7d --stream bulk -o json | jq .delivery_rate
    """
    _run(ctx, "summary", from_, to, domain, stream, category, esp)


@app.command()
def domains(ctx: typer.Context, from_: FromOpt = None, to: ToOpt = None,
            domain: DomainOpt = None, stream: StreamOpt = None, category: CategoryOpt = None,
            esp: EspOpt = None) -> None:
    """Stats per sending domain.

    \b
    Examples:
      mailtrap stats domains --from 2026-01-01 --to 2026-01-31
    """
    _run(ctx, "domains", from_, to, domain, stream, category, esp)


@app.command()
def categories(ctx: typer.Context, from_: FromOpt = None, to: ToOpt = None,
               domain: DomainOpt = None, stream: StreamOpt = None,
               category: CategoryOpt = None, esp: EspOpt = None) -> None:
    """Stats per category.

    \b
    Examples:
      mailtrap stats categories --from 30d --category welcome --category reset
    """
    _run(ctx, "categories", from_, to, domain, stream, category, esp)


@app.command()
def esps(ctx: typer.Context, from_: FromOpt = None, to: ToOpt = None,
         domain: DomainOpt = None, stream: StreamOpt = None, category: CategoryOpt = None,
         esp: EspOpt = None) -> None:
    """Stats per email service provider (Google, Yahoo, Outlook, ...).

    \b
    Examples:
      mailtrap stats esps --from 7d
    """
    _run(ctx, "esps", from_, to, domain, stream, category, esp)


@app.command()
def dates(ctx: typer.Context, from_: FromOpt = None, to: ToOpt = None,
          domain: DomainOpt = None, stream: StreamOpt = None, category: CategoryOpt = None,
          esp: EspOpt = None) -> None:
    """Stats per day; a table draws bars of delivered, bounced and opened.

    \b
    Examples:
      mailtrap stats dates --from 14d
      mailtrap stats dates -o tsv > daily.tsv
    """
    _run(ctx, "dates", from_, to, domain, stream, category, esp)
