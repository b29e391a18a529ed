"""Sending stats: /api/stats[/domains|/categories|/email_service_providers|/date].

`start_date` and `end_date` (YYYY-MM-DD) are required; the filters are arrays
sent as `name[]=value` repeated."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from mailtrap_cli.api.client import Client

DEFAULT_DAYS = 30
_DAYS = re.compile(r"^(\d{1,4})d$")

GROUPS = {"summary": "/api/stats", "domains": "/api/stats/domains",
          "categories": "/api/stats/categories",
          "esps": "/api/stats/email_service_providers", "dates": "/api/stats/date"}


def params(start_date: str, end_date: str, *, domain_ids: list[int] | None = None,
           streams: list[str] | None = None, categories: list[str] | None = None,
           esps: list[str] | None = None) -> dict[str, Any]:
    return {"start_date": start_date, "end_date": end_date,
            "domain_ids[]": [int(d) for d in domain_ids or []] or None,
            "sending_streams[]": list(streams or []) or None,
            "categories[]": list(categories or []) or None,
            "email_service_providers[]": list(esps or []) or None}


def get(client: Client, group: str, query: dict[str, Any]) -> Any:
    """`group` is one of GROUPS; the answer is returned untouched."""
    return client.get("api", GROUPS[group], params=query)


def day(value: str, today: date) -> date:
    """`2026-01-31`, `7d` (7 days before today), `today`; ValueError otherwise."""
    text = value.strip().lower()
    if text == "today":
        return today
    found = _DAYS.match(text)
    if found:
        return today - timedelta(days=int(found.group(1)))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{value}' is not a date: use YYYY-MM-DD, a number of days ago "
                         "(7d, 30d) or 'today'") from None


def date_range(start: str | None, end: str | None, today: date) -> tuple[str, str]:
    """(start_date, end_date); by default the last 30 days up to today."""
    last = day(end, today) if end else today
    first = day(start, today) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValueError(f"--from {first} is after --to {last}")
    return first.isoformat(), last.isoformat()
