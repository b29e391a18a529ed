"""Sending: POST /api/send and /api/batch on the transactional, bulk or sandbox host."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client

STREAMS = ("transactional", "bulk")   # the sending streams, named once


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


def send_call(payload: dict[str, Any], *, stream: str = "transactional",
              sandbox_id: int | None = None, preview: Any = None) -> Call:
    """One message, as a Call (`--dry-run` prints it; `preview` is the body shown).
    Not retried after a timeout or 5xx: the API has no idempotency key."""
    host, suffix = target(stream, sandbox_id)
    return Call("POST", "/api/send" + suffix, payload, host=host, preview=preview,
                expect=_sent)


def send(client: Client, payload: dict[str, Any], *, stream: str = "transactional",
         sandbox_id: int | None = None) -> dict[str, Any]:
    """One message, sent now."""
    return send_call(payload, stream=stream, sandbox_id=sandbox_id).send(client)


def batch_call(payload: dict[str, Any], *, stream: str = "transactional",
               sandbox_id: int | None = None) -> Call:
    """Up to 500 messages: {"base": {...}, "requests": [...]}; answers per message."""
    host, suffix = target(stream, sandbox_id)
    return Call("POST", "/api/batch" + suffix, payload, host=host, expect=dict)


def batch(client: Client, payload: dict[str, Any], *, stream: str = "transactional",
          sandbox_id: int | None = None) -> dict[str, Any]:
    """One batch request, sent now."""
    return batch_call(payload, stream=stream, sandbox_id=sandbox_id).send(client)
