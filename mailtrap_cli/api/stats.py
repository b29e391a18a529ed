"""Sending stats: /api/stats[/domains|/categories|/email_service_providers|/date].

`start_date` and `end_date` (YYYY-MM-DD) are required; the filters are arrays
sent as `name[]=value` repeated."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.client import Client

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
