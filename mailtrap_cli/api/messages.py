"""Sandbox messages: /api/sandboxes/{sandbox_id}/messages[/{message_id}[/...]].

Reads are plain functions; mutations are `Call`s, so commands can show them
with --dry-run or send them. Bodies are fetched from the `*_path` the message
object gives (upstream often points them under /api/testing_message_parts/...),
falling back to the canonical path only when the field is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client
from mailtrap_cli.api.errors import APIError
from mailtrap_cli.api.pagination import paginate

PAGE_SIZE = 30
# CLI format -> (field of the message object, canonical path suffix)
BODY_FORMATS: dict[str, tuple[str, str]] = {
    "text": ("txt_path", "body.txt"),
    "html": ("html_path", "body.html"),
    "html-source": ("html_source_path", "body.htmlsource"),
    "raw": ("raw_path", "body.raw"),
    "eml": ("download_path", "body.eml"),
}


def path(sandbox_id: int, message_id: int | None = None, action: str | None = None) -> str:
    base = f"/api/sandboxes/{int(sandbox_id)}/messages"
    if message_id is not None:
        base += f"/{int(message_id)}"
    return f"{base}/{action}" if action else base


def list_messages(client: Client, sandbox_id: int, *, search: str | None = None,
                  page: int | None = None, last_id: int | None = None,
                  limit: int | None = None, all_pages: bool = False) -> Iterator[dict[str, Any]]:
    """Newest first, 30 per page. Follows `last_id` across pages (stable while new
    mail arrives) unless a starting `page` is given."""
    params: dict[str, Any] = {"search": search or None}
    if page is not None:
        params["page"] = page
        scheme = "page"
    else:
        params["last_id"] = last_id
        scheme = "last_id"
    return paginate(client, "api", path(sandbox_id), scheme=scheme, params=params,
                    limit=limit, all_pages=all_pages, page_size=PAGE_SIZE)


def first_page(client: Client, sandbox_id: int, *, search: str | None = None,
               last_id: int | None = None) -> list[dict[str, Any]]:
    params = {"search": search or None, "last_id": last_id}
    return client.get("api", path(sandbox_id), params=params, expect=list)


def get_message(client: Client, sandbox_id: int, message_id: int) -> dict[str, Any]:
    return client.get("api", path(sandbox_id, message_id), expect=dict)


def mail_headers(client: Client, sandbox_id: int, message_id: int) -> dict[str, Any]:
    return client.get("api", path(sandbox_id, message_id, "mail_headers"), expect=dict)


def spam_report(client: Client, sandbox_id: int, message_id: int) -> dict[str, Any]:
    return client.get("api", path(sandbox_id, message_id, "spam_report"), expect=dict)


def analyze(client: Client, sandbox_id: int, message_id: int) -> dict[str, Any]:
    return client.get("api", path(sandbox_id, message_id, "analyze"), expect=dict)


def mark_read(sandbox_id: int, message_id: int, is_read: bool = True) -> Call:
    # The spec sends is_read as a string.
    return Call("PATCH", path(sandbox_id, message_id),
                {"message": {"is_read": "true" if is_read else "false"}})


def delete(sandbox_id: int, message_id: int) -> Call:
    return Call("DELETE", path(sandbox_id, message_id))


def forward(sandbox_id: int, message_id: int, email: str) -> Call:
    return Call("POST", path(sandbox_id, message_id, "forward"), {"email": email})


def follow_path(client: Client, given: Any, fallback: str) -> str:
    """The path the API returned, if it is one we may send the token to.

    Relative paths are followed on the API host. An absolute URL is followed
    only when it is on one of the configured hosts; anything else (another
    host, a non-string) falls back to the canonical path, so the token never
    leaves for a host the user did not configure.
    """
    if not isinstance(given, str) or not given.strip():
        return fallback
    given = given.strip()
    if given.startswith("/") and not given.startswith("//"):
        return given
    parts = urlsplit(given)
    if parts.scheme in ("http", "https"):
        origin = f"{parts.scheme}://{parts.netloc}"
        for base in client.hosts.values():
            base_parts = urlsplit(base)
            if origin == f"{base_parts.scheme}://{base_parts.netloc}":
                return given
    return fallback


def body_path(client: Client, sandbox_id: int, message_id: int, fmt: str,
              message: dict[str, Any] | None = None) -> str:
    field, suffix = BODY_FORMATS[fmt]
    canonical = path(sandbox_id, message_id, suffix)
    return follow_path(client, (message or {}).get(field), canonical)


def fetch_body(client: Client, sandbox_id: int, message_id: int, fmt: str,
               message: dict[str, Any] | None = None) -> bytes:
    """A body's bytes as served (raises APIError with status 409 when the part
    does not exist). Pass the message object to follow its `*_path`."""
    target = body_path(client, sandbox_id, message_id, fmt, message)
    # Streamed: a large .eml may take longer than --timeout as long as it keeps
    # coming; a stalled one is cut (Client.iter_body). Held in memory: capped.
    response = client.request("GET", "api", target, raw=True, stream=True,
                              headers={"Accept": "*/*"})
    parts: list[bytes] = []
    size = 0
    for piece in client.iter_body(response):
        size += len(piece)
        if size > client.max_body:
            response.close()
            raise APIError(f"GET {target}: the body is larger than "
                           f"{client.max_body // (1024 * 1024)} MiB; it was not read")
        parts.append(piece)
    return b"".join(parts)
