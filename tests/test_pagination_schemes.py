"""The pagination iterator and `mailtrap api --paginate` against each scheme's
response shapes in the specs (API-NOTES.md), with a fake client: sandbox messages
(page / last_id), suppressions (bare array, last_id), email logs (messages +
next_page_cursor), inbound (body last_id), campaigns (pagination.next_token)."""

from __future__ import annotations

from typing import Any

import pytest

from mailtrap_cli.api.pagination import paginate


def test_api_paginate_with_a_bad_page_is_a_usage_error(cli, server):
    result = cli("api", "-X", "GET", "/api/sandboxes/1/messages", "-f", "page=abc",
                 "--paginate")
    assert result.code == 2, result
    assert result.stderr.startswith("error: page must be a number"), result
    assert result.stdout == ""


class FakeClient:
    """Answers GETs from a function of the query; records every query."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def get(self, host: str, path: str, params: dict[str, Any] | None = None,
            expect: Any = None) -> Any:
        params = dict(params or {})
        self.calls.append(params)
        return self.answer(params)


def _suppressions(total: int, size: int):
    rows = [{"id": f"00000000-0000-0000-0000-{i:012d}", "email": f"s{i}@example.com"}
            for i in range(total)]

    def answer(params: dict[str, Any]) -> list[dict[str, Any]]:
        start = 0
        if params.get("last_id"):
            start = next(i for i, r in enumerate(rows) if r["id"] == params["last_id"]) + 1
        return rows[start:start + size]

    return answer


def _email_logs(total: int, size: int):
    rows = [{"message_id": f"m{i}", "status": "delivered"} for i in range(total)]

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        start = 0
        if params.get("search_after"):
            start = next(i for i, r in enumerate(rows) if r["message_id"]
                         == params["search_after"]) + 1
        page = rows[start:start + size]
        more = start + size < total
        return {"messages": page, "total_count": total,
                "next_page_cursor": page[-1]["message_id"] if more else None}

    return answer


def _inbound(total: int, size: int):
    rows = [{"id": str(1700000000000000 + i)} for i in range(total)]

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        start = 0
        if params.get("last_id"):
            start = next(i for i, r in enumerate(rows) if r["id"] == params["last_id"]) + 1
        page = rows[start:start + size]
        more = start + size < total
        return {"data": page, "total_count": total, "last_id": page[-1]["id"] if more else None}

    return answer


def _campaigns(total: int, size: int):
    rows = [{"id": i, "name": f"c{i}"} for i in range(total)]

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        token = int(params.get("token") or 1)
        per_page = int(params.get("per_page") or size)
        page = rows[(token - 1) * per_page: token * per_page]
        more = token * per_page < total
        return {"data": page, "pagination": {"token": token, "prev_token": None,
                                             "next_token": token + 1 if more else None}}

    return answer


def _sandbox_messages(total: int):
    rows = [{"id": total - i, "subject": f"m{total - i}"} for i in range(total)]

    def answer(params: dict[str, Any]) -> list[dict[str, Any]]:
        if params.get("last_id"):
            older = [r for r in rows if r["id"] < int(params["last_id"])]
            return older[:30]
        page = int(params.get("page") or 1)
        return rows[(page - 1) * 30: page * 30]

    return answer


def _api_pages(client: FakeClient, params: dict[str, Any] | None = None) -> list[Any]:
    return list(paginate(client, "api", "/x", scheme="auto", params=params or {}))


def test_api_paginate_follows_suppressions_last_id():
    client = FakeClient(_suppressions(2500, 1000))
    items = _api_pages(client)
    assert len(items) == 2500
    assert len({i["id"] for i in items}) == 2500


def test_api_paginate_follows_email_logs_cursor():
    client = FakeClient(_email_logs(45, 20))
    items = _api_pages(client)
    assert [i["message_id"] for i in items] == [f"m{i}" for i in range(45)]
    assert len(client.calls) == 3


def test_api_paginate_follows_inbound_body_last_id():
    assert len(_api_pages(FakeClient(_inbound(25, 10)))) == 25


def test_api_paginate_follows_campaign_tokens():
    assert len(_api_pages(FakeClient(_campaigns(120, 50)))) == 120


def test_api_paginate_sandbox_messages_all_once():
    items = _api_pages(FakeClient(_sandbox_messages(75)))
    assert [i["id"] for i in items] == list(range(75, 0, -1))


def test_api_paginate_full_array_endpoint_stops():
    client = FakeClient(lambda params: [{"id": 1}, {"id": 2}])
    assert _api_pages(client) == [{"id": 1}, {"id": 2}]
    assert len(client.calls) <= 2


def test_paginate_last_id_suppressions_bare_array():
    client = FakeClient(_suppressions(2500, 1000))
    items = list(paginate(client, "api", "/api/suppressions", scheme="last_id",
                          all_pages=True, page_size=1000))
    assert len(items) == 2500
    assert len(client.calls) == 3
    assert client.calls[1]["last_id"] == items[999]["id"]


def test_paginate_search_after_email_logs():
    client = FakeClient(_email_logs(45, 20))
    items = list(paginate(client, "api", "/api/email_logs", scheme="search_after",
                          all_pages=True))
    assert len(items) == 45
    assert len(client.calls) == 3


def test_paginate_body_last_id_inbound():
    client = FakeClient(_inbound(25, 10))
    items = list(paginate(client, "api", "/api/inbound/inboxes/1/messages",
                          scheme="body_last_id", all_pages=True))
    assert len(items) == 25


def test_paginate_token_campaigns():
    client = FakeClient(_campaigns(120, 50))
    items = list(paginate(client, "api", "/api/email_campaigns", scheme="token",
                          all_pages=True, per_page=50))
    assert len(items) == 120
    assert all(c["per_page"] == 50 for c in client.calls)


def test_paginate_limit_spans_pages_and_stops():
    client = FakeClient(_sandbox_messages(75))
    items = list(paginate(client, "api", "/m", scheme="last_id", limit=40, page_size=30))
    assert len(items) == 40
    assert len(client.calls) == 2


@pytest.mark.parametrize("scheme,answer", [
    ("last_id", lambda p: [{"id": 1}, {"id": 2}]),
    ("body_last_id", lambda p: {"data": [{"id": 1}], "last_id": 7}),
    ("search_after", lambda p: {"messages": [{"id": 1}], "next_page_cursor": "c"}),
    ("token", lambda p: {"data": [{"id": 1}], "pagination": {"next_token": 2}}),
])
def test_paginate_stops_when_the_cursor_does_not_move(scheme, answer):
    client = FakeClient(answer)
    items = list(paginate(client, "api", "/x", scheme=scheme, all_pages=True))
    assert len(client.calls) <= 2
    assert len(items) <= 4


def test_paginate_page_scheme_stops_when_pages_repeat():
    same = [{"id": i} for i in range(30)]
    client = FakeClient(lambda params: same)
    items = list(paginate(client, "api", "/x", scheme="page", all_pages=True, page_size=30))
    assert len(items) == 30
    assert len(client.calls) == 2

