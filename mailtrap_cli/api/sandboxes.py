"""Sandboxes (formerly inboxes): /api/sandboxes and /api/projects/{id}/sandboxes.

Reads are plain functions; every mutation is a `Call` so commands can show it
with --dry-run or send it. All answer the sandbox object (TestingSandbox).
"""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client

# PATCH /api/sandboxes/{id}/<action>, no body.
ACTIONS = ("clean", "all_read", "reset_credentials", "toggle_email_username",
           "reset_email_username")


def path(sandbox_id: int, action: str | None = None) -> str:
    base = f"/api/sandboxes/{int(sandbox_id)}"
    return f"{base}/{action}" if action else base


def list_sandboxes(client: Client) -> list[dict[str, Any]]:
    """Every sandbox the token can see (a full array, not paginated)."""
    return client.get("api", "/api/sandboxes", expect=list)


def get_sandbox(client: Client, sandbox_id: int) -> dict[str, Any]:
    return client.get("api", path(sandbox_id), expect=dict)


def search_messages(client: Client, sandbox_id: int, search: str) -> list[dict[str, Any]]:
    """First page of the sandbox's messages matching `search` (subject, to)."""
    return client.get("api", path(sandbox_id) + "/messages", params={"search": search},
                      expect=list)


def create(project_id: int, name: str) -> Call:
    return Call("POST", f"/api/projects/{int(project_id)}/sandboxes", {"sandbox": {"name": name}})


def update(sandbox_id: int, *, name: str | None = None,
           email_username: str | None = None) -> Call:
    fields = {k: v for k, v in {"name": name, "email_username": email_username}.items()
              if v is not None}
    return Call("PATCH", path(sandbox_id), {"sandbox": fields})


def delete(sandbox_id: int) -> Call:
    return Call("DELETE", path(sandbox_id))


def action(sandbox_id: int, name: str) -> Call:
    """One of ACTIONS, e.g. action(5, "clean") deletes every message of sandbox 5."""
    if name not in ACTIONS:
        raise ValueError(f"unknown sandbox action {name!r}")
    return Call("PATCH", path(sandbox_id, name))
