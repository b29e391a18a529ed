"""Sending: POST /api/send and /api/batch on the transactional, bulk or sandbox host."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.client import Client

STREAMS = ("transactional", "bulk")


def target(stream: str = "transactional", sandbox_id: int | None = None) -> tuple[str, str]:
    """(host, path suffix) for a stream, or for a sandbox when sandbox_id is given."""
    if sandbox_id is not None:
        return "sandbox", f"/{int(sandbox_id)}"
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}")
    return ("bulk" if stream == "bulk" else "send"), ""


def _sent(body: Any) -> str | None:
    """Why a 2xx answer to a send does not say it was sent (None when it does)."""
    if not isinstance(body, dict) or body.get("success") is not True \
            or not isinstance(body.get("message_ids"), list):
        return 'an answer without "success": true and "message_ids"'
    return None


def send(client: Client, payload: dict[str, Any], *, stream: str = "transactional",
         sandbox_id: int | None = None) -> dict[str, Any]:
    """One message. Not retried after a timeout or 5xx: the API has no idempotency key."""
    host, suffix = target(stream, sandbox_id)
    return client.post(host, "/api/send" + suffix, json=payload, expect=_sent)


def batch(client: Client, payload: dict[str, Any], *, stream: str = "transactional",
          sandbox_id: int | None = None) -> dict[str, Any]:
    """Up to 500 messages: {"base": {...}, "requests": [...]}; answers per message."""
    host, suffix = target(stream, sandbox_id)
    return client.post(host, "/api/batch" + suffix, json=payload, expect=dict)
