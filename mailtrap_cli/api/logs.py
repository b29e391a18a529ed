"""Email logs: /api/email_logs (`search_after` cursor, `filters[...]` deepObject)
and /api/email_logs/{message_id} with its events and `raw_message_url`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailtrap_cli.api.client import Client
from mailtrap_cli.api.pagination import paginate
from mailtrap_cli.api.sending import STREAMS

CHUNK = 64 * 1024
STATUSES = ("delivered", "not_delivered", "enqueued", "opted_out")
EVENTS = ("delivery", "open", "click", "bounce", "spam", "unsubscribe", "soft_bounce",
          "reject", "suspension")


def build_filters(*, status: list[str] | None = None, to: str | None = None,
                  sender: str | None = None, subject_contains: str | None = None,
                  category: list[str] | None = None, since: str | None = None,
                  until: str | None = None, events: list[str] | None = None,
                  stream: str | None = None, domain_id: int | None = None
                  ) -> dict[str, Any]:
    """Readable filters -> the API's {field: {operator, value}} (times as ISO 8601).

    An address with `@` inside matches exactly (case-insensitive); anything else
    (`example.com`, `@example.com`, `alice`) is a part of the address.
    ValueError for a status, event or stream the API does not know."""
    for name, given, known in (("status", status, STATUSES), ("event", events, EVENTS)):
        bad = [v for v in given or [] if v not in known]
        if bad:
            raise ValueError(f"unknown {name} {bad[0]!r}: use one of {', '.join(known)}")
    if stream is not None and stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}: use transactional or bulk")
    filters: dict[str, Any] = {}
    if since:
        filters["sent_after"] = since
    if until:
        filters["sent_before"] = until
    for field, value in (("to", to), ("from", sender)):
        if value:
            exact = "@" in value and not value.startswith("@")
            filters[field] = {"operator": "ci_equal" if exact else "ci_contain",
                              "value": value}
    if subject_contains:
        filters["subject"] = {"operator": "ci_contain", "value": subject_contains}
    if status:
        filters["status"] = {"operator": "equal",
                             "value": status[0] if len(status) == 1 else list(status)}
    if category:
        filters["category"] = {"operator": "equal",
                               "value": category[0] if len(category) == 1 else list(category)}
    if events:
        filters["events"] = {"operator": "include_event",
                             "value": events[0] if len(events) == 1 else list(events)}
    if stream:
        filters["sending_stream"] = {"operator": "equal", "value": stream}
    if domain_id is not None:
        filters["domain_id"] = {"operator": "equal", "value": int(domain_id)}
    return filters


def filter_params(filters: dict[str, Any]) -> list[tuple[str, Any]]:
    """{field: {operator, value}} and {sent_after: "..."} as the API's query pairs:
    filters[field][operator]=op, filters[field][value]=v or filters[field][value][]=a&..."""
    pairs: list[tuple[str, Any]] = []
    for field, spec in filters.items():
        if not isinstance(spec, dict):
            pairs.append((f"filters[{field}]", spec))
            continue
        pairs.append((f"filters[{field}][operator]", spec["operator"]))
        value = spec.get("value")
        if isinstance(value, list):
            pairs.extend((f"filters[{field}][value][]", v) for v in value)
        elif value is not None:
            pairs.append((f"filters[{field}][value]", value))
    return pairs


def list_page(client: Client, filters: dict[str, Any], search_after: str | None = None
              ) -> dict[str, Any]:
    """One page: {messages, total_count, next_page_cursor}."""
    query: dict[str, Any] = {}
    for key, value in filter_params(filters):
        query.setdefault(key, [])
        query[key].append(value)
    if search_after:
        query["search_after"] = search_after
    return client.get("api", "/api/email_logs", params=query)


def iter_logs(client: Client, filters: dict[str, Any], *, limit: int | None = None,
              all_pages: bool = False) -> Iterator[Any]:
    """Entries newest first, page after page over `search_after` (streamed)."""
    query: dict[str, Any] = {}
    for key, value in filter_params(filters):
        query.setdefault(key, [])
        query[key].append(value)
    return paginate(client, "api", "/api/email_logs", scheme="search_after", params=query,
                    limit=limit, all_pages=all_pages, items_key="messages")


def get(client: Client, message_id: str) -> dict[str, Any]:
    return client.get("api", f"/api/email_logs/{message_id}")


def download(client: Client, url: str) -> Iterator[bytes]:
    """The bytes at a signed URL (raw_message_url). The token is sent only to the
    API's own host: a signed storage URL needs none and must not see it."""
    from urllib.parse import urlsplit

    own = urlsplit(client.url("api", "/")).netloc
    headers: dict[str, Any] = {"Accept": "*/*"}
    if urlsplit(url).netloc != own:
        headers["Authorization"] = None
    response = client.request("GET", "api", url, raw=True, stream=True, headers=headers)
    try:
        yield from response.iter_content(CHUNK)
    finally:
        response.close()


def find_sent(client: Client, addresses: list[str], since: str, subject: str | None = None,
              category: str | None = None) -> Iterator[Any]:
    """Log entries to any of `addresses` sent at or after `since` (ISO 8601), with
    that subject and category when given: every page (send batch --reconcile)."""
    filters: dict[str, Any] = {"sent_after": since,
                               "to": {"operator": "ci_equal", "value": list(addresses)}}
    if subject:
        filters["subject"] = {"operator": "ci_equal", "value": subject}
    if category:
        filters["category"] = {"operator": "equal", "value": category}
    return iter_logs(client, filters, all_pages=True)


def any_since(client: Client, since: str) -> bool:
    """Whether the logs hold any message sent at or after `since` (one small page)."""
    body = list_page(client, {"sent_after": since})
    return bool(isinstance(body, dict) and body.get("messages"))
