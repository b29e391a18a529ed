"""Helpers shared by the sandbox projects / sandboxes / smtp-test commands."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Annotated, Any

import typer

from mailtrap_cli.api.errors import UsageError

MASK = "********"
SANDBOX_COLUMNS = [("id", "id"), ("name", "name"), ("project_id", "project"),
                   ("username", "username"), ("emails_count", "emails"),
                   ("emails_unread_count", "unread"), ("status", "status")]
ShowPasswordOpt = Annotated[bool, typer.Option(
    "--show-password", help="Show the SMTP password (masked as ******** otherwise, JSON too).")]


def mask_sandbox(sandbox: Any, show: bool) -> bool:
    """Mask a sandbox's password in place unless `show`; True when something was masked."""
    if show or not isinstance(sandbox, dict) or not sandbox.get("password"):
        return False
    sandbox["password"] = MASK
    return True


def mask(data: Any, show: bool) -> bool:
    """Mask every sandbox password in a sandbox, a project, or a list of either."""
    items = data if isinstance(data, list) else [data]
    masked = False
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("sandboxes"), list):
            for sandbox in item["sandboxes"]:
                masked = mask_sandbox(sandbox, show) or masked
        if "password" in item:
            masked = mask_sandbox(item, show) or masked
    return masked


def emit_masked(state: Any, data: Any, show: bool, **kw: Any) -> None:
    """Emit sandbox data with passwords masked (and say so on stderr)."""
    if mask(data, show):
        state.out.info("SMTP password masked; pass --show-password to see it")
    state.out.emit(data, **kw)


def limited(items: Iterable[Any], limit: int | None) -> list[Any]:
    """--limit on an endpoint that answers a full array (--all is then a no-op)."""
    return list(islice(items, limit)) if limit is not None else list(items)


def run(state: Any, call: Any, dry_run: bool) -> Any:
    """Print the call for --dry-run (returns None), else send it and return the answer."""
    if dry_run:
        state.dry_run(call.method, call.host, call.path, params=call.params, body=call.body)
        return None
    return call.send(state.client())


def check_name(name: str, what: str, shortest: int = 1) -> str:
    """Project names are 2-100 characters (API); say so before sending anything."""
    name = name.strip()
    if not shortest <= len(name) <= 100:
        raise UsageError(f"{what} name must be {shortest}-100 characters, got {len(name)}")
    return name


def as_rows(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Projects as one table row each: the sandboxes as a count and their ids."""
    for item in items:
        sandboxes = item.get("sandboxes") or []
        yield {"id": item.get("id"), "name": item.get("name"),
               "sandboxes": len(sandboxes),
               "sandbox_ids": " ".join(str(s.get("id")) for s in sandboxes if s)}
