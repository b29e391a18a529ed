"""What the sandbox commands share: the password mask, name checks, and the views
of sandboxes and projects."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Annotated, Any

import typer

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.options import id_arg
from mailtrap_cli.output import View

MASK = "********"
ShowPasswordOpt = Annotated[bool, typer.Option(
    "--show-password", help="Show the SMTP password (masked as ******** otherwise, JSON too).")]
SandboxArg = id_arg("SANDBOX_ID", "Sandbox id.", default_from="sandbox_id")
RequiredSandboxArg = id_arg("SANDBOX_ID", "Sandbox id.")
MASKED_NOTE = "SMTP password masked; pass --show-password to see it"


def _mask_sandbox(sandbox: Any) -> bool:
    if not isinstance(sandbox, dict) or not sandbox.get("password"):
        return False
    sandbox["password"] = MASK
    return True


def mask_passwords(data: Any) -> bool:
    """Mask every sandbox password in a sandbox, a project, or a list of either."""
    items = data if isinstance(data, list) else [data]
    masked = False
    for item in items:
        if not isinstance(item, dict):
            continue
        sandboxes = item.get("sandboxes")
        for sandbox in sandboxes if isinstance(sandboxes, list) else []:
            masked = _mask_sandbox(sandbox) or masked
        if "password" in item:
            masked = _mask_sandbox(item) or masked
    return masked


def sandbox_view(show_password: bool) -> View:
    """A sandbox or a list of them; the password masked unless --show-password."""
    return View(columns=SANDBOX_COLUMNS, mask=None if show_password else mask_passwords,
                masked=MASKED_NOTE)


def project_view(show_password: bool, *, rows: bool = False) -> View:
    """Projects: JSON holds them whole (sandboxes included). With `rows` (a list),
    a table row shows the sandboxes as a count and their ids."""
    return View(row=project_row if rows else None,
                mask=None if show_password else mask_passwords, masked=MASKED_NOTE)


SANDBOX_COLUMNS = [("id", "id"), ("name", "name"), ("project_id", "project"),
                   ("username", "username"), ("emails_count", "emails"),
                   ("emails_unread_count", "unread"), ("status", "status")]


def project_row(item: Any) -> Any:
    if not isinstance(item, dict) or "sandboxes" not in item:
        return item
    sandboxes = item.get("sandboxes") or []
    return {"id": item.get("id"), "name": item.get("name"), "sandboxes": len(sandboxes),
            "sandbox_ids": " ".join(str(s.get("id")) for s in sandboxes if s)}


def limited(items: Iterable[Any], limit: int | None) -> list[Any]:
    """--limit on an endpoint that answers a full array (--all is then a no-op)."""
    return list(islice(items, limit)) if limit is not None else list(items)


def check_name(name: str, what: str, shortest: int = 1) -> str:
    """Project names are 2-100 characters (API); say so before sending anything."""
    name = name.strip()
    if not shortest <= len(name) <= 100:
        raise UsageError(f"{what} name must be {shortest}-100 characters, got {len(name)}")
    return name
