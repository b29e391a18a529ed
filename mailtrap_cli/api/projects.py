"""Sandbox projects: /api/projects (body wrapper `project`)."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client


def list_projects(client: Client) -> list[dict[str, Any]]:
    """Every project the token can see, each with its sandboxes (a full array)."""
    return client.get("api", "/api/projects", expect=list)


def get_project(client: Client, project_id: int) -> dict[str, Any]:
    return client.get("api", f"/api/projects/{int(project_id)}", expect=dict)


def create(name: str) -> Call:
    return Call("POST", "/api/projects", {"project": {"name": name}})


def update(project_id: int, name: str) -> Call:
    return Call("PATCH", f"/api/projects/{int(project_id)}", {"project": {"name": name}})


def delete(project_id: int) -> Call:
    """Deletes the project and its sandboxes; answers {"id": ...}."""
    return Call("DELETE", f"/api/projects/{int(project_id)}")
