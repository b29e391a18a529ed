"""Sending stats of the built-in server, computed from its email logs.

- GET /api/stats                          SendingStats over the range
- GET /api/stats/domains                  [{domain_id, stats}]
- GET /api/stats/categories               [{category, stats}]
- GET /api/stats/email_service_providers  [{email_service_provider, stats}]
- GET /api/stats/date                     [{date, stats}], every day of the range

`start_date` and `end_date` (YYYY-MM-DD) are required; `domain_ids[]`,
`sending_streams[]`, `categories[]`, `email_service_providers[]` narrow.
Rates as upstream: delivery and bounce over messages sent; open, click and
spam over messages delivered.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from mailtrap_cli.local.router import Request, Router, api_error

MAX_DAYS = 366

_SUMS = ("COUNT(*) AS sent, SUM(delivered) AS delivered, SUM(bounced) AS bounced, "
         "SUM(opens_count > 0) AS opened, SUM(clicks_count > 0) AS clicked, SUM(spam) AS spam")


def _date(req: Request, name: str) -> date:
    value = req.arg(name)
    if not value:
        raise api_error(400, f"Missing required parameter: {name}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise api_error(400, f"Invalid {name}: {value} (expected YYYY-MM-DD)") from None


def _list(req: Request, name: str) -> list[str]:
    return [v for v in req.query.get(f"{name}[]", []) + req.query.get(name, []) if v != ""]


def _where(req: Request) -> tuple[date, date, str, list[Any]]:
    start, end = _date(req, "start_date"), _date(req, "end_date")
    if start > end:
        raise api_error(400, "start_date must not be after end_date")
    clauses = ["sent_at >= ?", "sent_at < ?"]
    args: list[Any] = [start.isoformat(), (end + timedelta(days=1)).isoformat()]
    for name, column in (("domain_ids", "domain_id"), ("sending_streams", "sending_stream"),
                         ("categories", "category"), ("email_service_providers", "esp")):
        values = _list(req, name)
        if not values:
            continue
        if name == "domain_ids":
            try:
                values = [int(v) for v in values]  # type: ignore[misc]
            except ValueError:
                raise api_error(400, "domain_ids[] must be integers") from None
        clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
        args.extend(values)
    return start, end, " AND ".join(clauses), args


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def stats_json(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    sent = int(row.get("sent") or 0)
    delivered = int(row.get("delivered") or 0)
    bounced = int(row.get("bounced") or 0)
    opened = int(row.get("opened") or 0)
    clicked = int(row.get("clicked") or 0)
    spam = int(row.get("spam") or 0)
    return {"delivery_count": delivered, "delivery_rate": _rate(delivered, sent),
            "bounce_count": bounced, "bounce_rate": _rate(bounced, sent),
            "open_count": opened, "open_rate": _rate(opened, delivered),
            "click_count": clicked, "click_rate": _rate(clicked, delivered),
            "spam_count": spam, "spam_rate": _rate(spam, delivered)}


def summary(app: Any, req: Request) -> dict[str, Any]:
    _, _, where, args = _where(req)
    return stats_json(app.store.one(f"SELECT {_SUMS} FROM email_logs WHERE {where}", args))  # noqa: S608


def _grouped(app: Any, req: Request, column: str, key: str) -> list[dict[str, Any]]:
    _, _, where, args = _where(req)
    rows = app.store.all(f"SELECT {column} AS k, {_SUMS} FROM email_logs WHERE {where} "  # noqa: S608
                         f"GROUP BY {column} ORDER BY COUNT(*) DESC, {column}", args)
    return [{key: r["k"], "stats": stats_json(r)} for r in rows]


def by_domain(app: Any, req: Request) -> list[dict[str, Any]]:
    return _grouped(app, req, "domain_id", "domain_id")


def by_category(app: Any, req: Request) -> list[dict[str, Any]]:
    return [r for r in _grouped(app, req, "category", "category") if r["category"] is not None]


def by_esp(app: Any, req: Request) -> list[dict[str, Any]]:
    return [r for r in _grouped(app, req, "esp", "email_service_provider")
            if r["email_service_provider"] is not None]


def by_date(app: Any, req: Request) -> list[dict[str, Any]]:
    start, end, where, args = _where(req)
    if (end - start).days >= MAX_DAYS:
        raise api_error(400, f"the date range is limited to {MAX_DAYS} days")
    rows = app.store.all(f"SELECT substr(sent_at, 1, 10) AS k, {_SUMS} FROM email_logs "  # noqa: S608
                         f"WHERE {where} GROUP BY k", args)
    found = {r["k"]: r for r in rows}
    days = []
    day = start
    while day <= end:
        days.append({"date": day.isoformat(), "stats": stats_json(found.get(day.isoformat()))})
        day += timedelta(days=1)
    return days


def register(router: Router) -> None:
    router.add("GET", "/api/stats", summary)
    router.add("GET", "/api/stats/domains", by_domain)
    router.add("GET", "/api/stats/categories", by_category)
    router.add("GET", "/api/stats/email_service_providers", by_esp)
    router.add("GET", "/api/stats/date", by_date)
