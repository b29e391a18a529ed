"""Email templates: /api/email_templates (templates.openapi.yml; body wrapper
`email_template`). Reads return the API's JSON; mutations are `Call`s."""

from __future__ import annotations

import re
from typing import Any

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client

FIELDS = ("name", "subject", "category", "body_html", "body_text")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")


def path(template_id: int | None = None) -> str:
    return "/api/email_templates" + (f"/{int(template_id)}" if template_id is not None else "")


def list_templates(client: Client) -> list[dict[str, Any]]:
    """Every template of the account, bodies included (a full array)."""
    return client.get("api", path())


def get_template(client: Client, template_id: int) -> dict[str, Any]:
    return client.get("api", path(template_id))


def is_uuid(ref: str) -> bool:
    return bool(_UUID.match(ref.strip()))


def _attributes(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown template fields: {', '.join(sorted(unknown))}")
    return {k: v for k, v in fields.items() if v is not None}


def create(**fields: Any) -> Call:
    """name, subject and category are required; body_html, body_text optional."""
    return Call("POST", path(), {"email_template": _attributes(fields)})


def update(template_id: int, **fields: Any) -> Call:
    return Call("PATCH", path(template_id), {"email_template": _attributes(fields)})


def delete(template_id: int) -> Call:
    """Answers 204 No Content."""
    return Call("DELETE", path(template_id))
