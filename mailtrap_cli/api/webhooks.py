"""Webhooks: /api/webhooks (email-sending.openapi.yml; body wrapper `webhook`,
answers wrapped in `data`). `signing_secret` comes back only from create.
Reads return the API's JSON untouched; mutations are `Call`s."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client

CREATE_FIELDS = ("url", "webhook_type", "active", "payload_format", "sending_stream",
                 "event_types", "domain_id", "inbound_inbox_id")
UPDATE_FIELDS = ("url", "active", "payload_format", "event_types", "inbound_inbox_id")


def path(webhook_id: int | None = None) -> str:
    return "/api/webhooks" + (f"/{int(webhook_id)}" if webhook_id is not None else "")


def list_webhooks(client: Client) -> dict[str, Any]:
    """{"data": [webhook, ...]}"""
    return client.get("api", path())


def get_webhook(client: Client, webhook_id: int) -> dict[str, Any]:
    """{"data": webhook}"""
    return client.get("api", path(webhook_id))


def _attributes(fields: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"unknown webhook fields: {', '.join(sorted(unknown))}")
    return {k: v for k, v in fields.items() if v is not None}


def create(**fields: Any) -> Call:
    """url and webhook_type required; sending_stream and event_types for
    email_sending, inbound_inbox_id for inbound_receiving."""
    return Call("POST", path(), {"webhook": _attributes(fields, CREATE_FIELDS)})


def update(webhook_id: int, **fields: Any) -> Call:
    return Call("PATCH", path(webhook_id), {"webhook": _attributes(fields, UPDATE_FIELDS)})


def delete(webhook_id: int) -> Call:
    """Answers {"data": webhook} of the deleted webhook."""
    return Call("DELETE", path(webhook_id))
