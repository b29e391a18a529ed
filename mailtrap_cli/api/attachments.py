"""Attachments of sandbox messages: .../messages/{message_id}/attachments[/{id}].

Attachment objects carry `download_path`: the bytes are fetched from there
(followed like the message `*_path` fields), streamed in chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailtrap_cli.api.client import Client
from mailtrap_cli.api.messages import follow_path
from mailtrap_cli.api.messages import path as message_path

CHUNK = 64 * 1024


def path(sandbox_id: int, message_id: int, attachment_id: int | None = None) -> str:
    base = message_path(sandbox_id, message_id, "attachments")
    return base if attachment_id is None else f"{base}/{int(attachment_id)}"


def list_attachments(client: Client, sandbox_id: int, message_id: int, *,
                     attachment_type: str | None = None) -> list[dict[str, Any]]:
    """Every attachment of a message (a full array, not paginated)."""
    body = client.get("api", path(sandbox_id, message_id),
                      params={"attachment_type": attachment_type}, expect=list)
    return body


def get_attachment(client: Client, sandbox_id: int, message_id: int,
                   attachment_id: int) -> dict[str, Any]:
    return client.get("api", path(sandbox_id, message_id, attachment_id), expect=dict)


def download(client: Client, sandbox_id: int, message_id: int,
             attachment: dict[str, Any]) -> Iterator[bytes]:
    """The attachment's bytes in chunks, from its `download_path`."""
    canonical = path(sandbox_id, message_id, attachment.get("id")) + "/download"
    target = follow_path(client, attachment.get("download_path"), canonical)
    response = client.request("GET", "api", target, raw=True, stream=True,
                              headers={"Accept": "*/*"})
    yield from client.iter_body(response, CHUNK)
