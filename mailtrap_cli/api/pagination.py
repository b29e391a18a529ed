"""One iterator over the API's four pagination schemes (API-NOTES.md).

- "page":         ?page=N (1-based), bare array, a full page means maybe more
- "last_id":      ?last_id=<id of the last item>, bare array or {data: [...]}
- "search_after": ?search_after=<next_page_cursor>, {data, next_page_cursor}
- "token":        ?token=<pagination.next_token>&per_page=N, {data, pagination}
- "body_last_id": ?last_id=<body.last_id>, {data, last_id}; null at the end
- "auto":         whichever of the above each answer shows (`mailtrap api --paginate`,
                  which does not know the endpoint): see `follow`

`limit` caps the items yielded; `all_pages=False` stops after the first page
(unless `limit` asks for more). Items are yielded as they arrive, so JSONL
output streams in constant memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mailtrap_cli.api.client import Client


def _items(body: Any, key: str | None) -> list[Any]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        if key and isinstance(body.get(key), list):
            return body[key]
        for name in ("data", "items", "messages", "results"):
            if isinstance(body.get(name), list):
                return body[name]
    return []


def _advance(seen: set[Any], params: dict[str, Any], name: str, cursor: Any) -> bool:
    """Set the next cursor; False when it was already used (no progress)."""
    key = (name, str(cursor))
    if key in seen:
        return False
    seen.add(key)
    params[name] = cursor
    return True


class Pages(Iterator[Any]):
    """The items of the pages asked for, one at a time. Once iterated, `more` tells
    whether it stopped at a page while the API showed there is more (the output
    then says "showing 30; --all for every page")."""

    def __init__(self) -> None:
        self.more = False
        self._items: Iterator[Any] = iter(())

    def __next__(self) -> Any:
        return next(self._items)


def paginate(client: Client, host: str, path: str, *, scheme: str,
             params: dict[str, Any] | None = None, limit: int | None = None,
             all_pages: bool = False, page_size: int | None = None,
             items_key: str | None = None, id_key: str = "id",
             per_page: int | None = None) -> Pages:
    pages = Pages()
    if scheme == "auto":
        pages._items = _limited(follow(client, host, path, params or {}), limit)
    else:
        pages._items = _walk(pages, client, host, path, scheme=scheme, params=params,
                             limit=limit, all_pages=all_pages, page_size=page_size,
                             items_key=items_key, id_key=id_key, per_page=per_page)
    return pages


def _has_more(scheme: str, body: Any, items: list[Any], page_size: int | None) -> bool:
    """Whether the answer says another page exists (page schemes: a full page)."""
    if scheme in ("page", "last_id"):
        return page_size is not None and len(items) >= page_size
    if not isinstance(body, dict):
        return False
    if scheme == "search_after":
        return bool(body.get("next_page_cursor"))
    if scheme == "token":
        pagination = body.get("pagination")
        return isinstance(pagination, dict) and bool(pagination.get("next_token"))
    if scheme == "body_last_id":
        return body.get("last_id") is not None
    return False


def _walk(pages: Pages, client: Client, host: str, path: str, *, scheme: str,
          params: dict[str, Any] | None, limit: int | None, all_pages: bool,
          page_size: int | None, items_key: str | None, id_key: str,
          per_page: int | None) -> Iterator[Any]:
    params = dict(params or {})
    if scheme == "token" and per_page:
        params["per_page"] = per_page
    yielded = 0
    page = int(params.get("page") or 1)
    cursors: set[Any] = set()  # a cursor seen twice means the endpoint ignores it: stop
    while True:
        if scheme == "page":
            params["page"] = page
        body = client.get(host, path, params=params, expect=(list, dict))
        items = _items(body, items_key)
        if scheme == "page" and items:
            # An endpoint that ignores ?page hands back the same page: stop there.
            mark = ("page", repr(items[0]), repr(items[-1]), len(items))
            if mark in cursors:
                return
            cursors.add(mark)
        for item in items:
            if limit is not None and yielded >= limit:
                return
            yield item
            yielded += 1
        if limit is not None and yielded >= limit:
            return
        if not all_pages and limit is None:
            pages.more = bool(items) and _has_more(scheme, body, items, page_size)
            return
        if not items:
            return
        if scheme == "page":
            if page_size is not None and len(items) < page_size:
                return
            page += 1
        elif scheme == "last_id":
            if page_size is not None and len(items) < page_size:
                return
            last = items[-1]
            if not isinstance(last, dict) or last.get(id_key) is None:
                return
            if not _advance(cursors, params, "last_id", last[id_key]):
                return
        elif scheme == "search_after":
            cursor = body.get("next_page_cursor") if isinstance(body, dict) else None
            if not cursor:
                return
            if not _advance(cursors, params, "search_after", cursor):
                return
        elif scheme == "token":
            pagination = body.get("pagination") if isinstance(body, dict) else None
            token = pagination.get("next_token") if isinstance(pagination, dict) else None
            if not token:
                return
            if not _advance(cursors, params, "token", token):
                return
        elif scheme == "body_last_id":
            cursor = body.get("last_id") if isinstance(body, dict) else None
            if cursor is None:
                return
            if not _advance(cursors, params, "last_id", cursor):
                return
        else:
            raise ValueError(f"unknown pagination scheme {scheme!r}")


def _limited(items: Iterator[Any], limit: int | None) -> Iterator[Any]:
    for count, item in enumerate(items):
        if limit is not None and count >= limit:
            return
        yield item


def follow(client: Client, host: str, path: str, params: dict[str, Any]) -> Iterator[Any]:
    """Every page of an endpoint whose scheme is not known, read from its answers: a
    bare array by `last_id` of its last item (sandbox messages, suppressions) or
    by `page` when one was given or items have no id; an object by
    `next_page_cursor` (email logs), `pagination.next_token` (campaigns) or a body
    `last_id` (inbound, tracking opt-outs); any other answer is yielded whole, once.
    A page seen before ends it (an endpoint that ignores the cursor)."""
    params = dict(params)
    by_page = "page" in params
    try:
        page = int(params.get("page") or 1)
    except (TypeError, ValueError):
        page = 1
    seen: set[str] = set()
    while True:
        body = client.get(host, path, params=params)
        if isinstance(body, list):
            items = body
        elif isinstance(body, dict):
            items = next((body[k] for k in ("data", "messages") if isinstance(body.get(k), list)),
                         None)
            if items is None:
                yield body
                return
        else:
            yield body
            return
        if not items:
            return
        mark = json.dumps([items[0], items[-1]], sort_keys=True, default=str)
        if mark in seen:
            return
        seen.add(mark)
        yield from items
        if isinstance(body, list):
            last = items[-1]
            if not by_page and isinstance(last, dict) and last.get("id") is not None:
                params["last_id"] = last["id"]
            else:
                page += 1
                params["page"] = page
            continue
        pagination = body.get("pagination") if isinstance(body.get("pagination"), dict) else {}
        if body.get("next_page_cursor"):
            params["search_after"] = body["next_page_cursor"]
        elif pagination.get("next_token"):
            params["token"] = pagination["next_token"]
        elif body.get("last_id") is not None:
            params["last_id"] = body["last_id"]
        else:
            return
