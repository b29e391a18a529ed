"""Suppressions (/api/suppressions, `last_id` cursor, up to 1000 per answer) and
tracking opt-outs (/api/tracking_opt_outs, SDK-only: {data, last_id})."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client
from mailtrap_cli.api.pagination import paginate

PAGE = 1000


def _filters(email: str | None, start_time: str | None, end_time: str | None
             ) -> dict[str, Any]:
    return {"email": email, "start_time": start_time, "end_time": end_time}


def iter_suppressions(client: Client, *, email: str | None = None,
                      start_time: str | None = None, end_time: str | None = None,
                      limit: int | None = None, all_pages: bool = False) -> Iterator[Any]:
    return paginate(client, "api", "/api/suppressions", scheme="last_id",
                    params=_filters(email, start_time, end_time), limit=limit,
                    all_pages=all_pages, page_size=PAGE)


def create(email: str, domain_id: int, sending_stream: str, kind: str | None = None) -> Call:
    body: dict[str, Any] = {"email": email, "domain_id": int(domain_id),
                            "sending_stream": sending_stream}
    if kind:
        body["type"] = kind
    return Call("POST", "/api/suppressions", body)


def delete(suppression_id: str) -> Call:
    return Call("DELETE", f"/api/suppressions/{suppression_id}")


def iter_opt_outs(client: Client, *, email: str | None = None,
                  start_time: str | None = None, end_time: str | None = None,
                  limit: int | None = None, all_pages: bool = False) -> Iterator[Any]:
    return paginate(client, "api", "/api/tracking_opt_outs", scheme="body_last_id",
                    params=_filters(email, start_time, end_time), limit=limit,
                    all_pages=all_pages)


def create_opt_out(email: str, domain_id: int | None = None) -> Call:
    body: dict[str, Any] = {"email": email}
    if domain_id is not None:
        body["domain_id"] = int(domain_id)
    return Call("POST", "/api/tracking_opt_outs", body)


def delete_opt_out(opt_out_id: str) -> Call:
    return Call("DELETE", f"/api/tracking_opt_outs/{opt_out_id}")
