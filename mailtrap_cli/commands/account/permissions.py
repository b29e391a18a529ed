"""`mailtrap account permissions`: the resource tree, and changing an access's levels."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from mailtrap_cli.api import account
from mailtrap_cli.api.errors import NotFoundError, UsageError
from mailtrap_cli.commands.account.accounts import LEVELS
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer, YesOpt, id_arg
from mailtrap_cli.output import View

app = Typer(help="Permissions: the resource tree, and setting an access's levels.")

AccessArg = id_arg("ACCESS_ID", "Account access id (from `account access list`).")
RESOURCE_TYPES = ("account", "billing", "project", "sandbox", "domain",
                  "email_campaign_permission_scope")
LEVEL_NAMES = {"admin": "admin", "viewer": "viewer", "100": "admin", "10": "viewer"}


def flatten(nodes: list[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    """The tree as rows, each name indented by its depth."""
    rows: list[dict[str, Any]] = []
    for node in nodes or []:
        rows.append({"resource": "  " * depth + str(node.get("name")),
                     "type": node.get("type"), "id": node.get("id"),
                     "access": LEVELS.get(node.get("access_level"), node.get("access_level"))})
        rows.extend(flatten(node.get("resources") or [], depth + 1))
    return rows


TREE = View(columns=[("resource", "RESOURCE"), ("type", "TYPE"), ("id", "ID"),
                     ("access", "YOUR ACCESS")], flat=flatten)
CHANGES = View(columns=[("resource", "RESOURCE"), ("before", "NOW"), ("after", "AFTER")])


@app.command()
def resources(ctx: typer.Context) -> None:
    """Show the resources the token administers, as an indented tree.

    \b
    Examples:
      mailtrap account permissions resources
      mailtrap account permissions resources -o json | jq '..|.id? // empty'
    """
    state = get_state(ctx)
    state.out.emit(account.resources(state.client()), TREE)


def _target(spec: str, flag: str) -> tuple[str, str]:
    kind, sep, rid = spec.partition(":")
    if not sep or not rid or kind not in RESOURCE_TYPES:
        raise UsageError(f"{flag} {spec!r}: use TYPE:ID with TYPE one of "
                         f"{', '.join(RESOURCE_TYPES)}", hint="e.g. sandbox:123")
    return kind, rid


def parse_changes(grant: list[str], revoke: list[str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for spec in grant:
        target, sep, level = spec.rpartition("=")
        if not sep or level.lower() not in LEVEL_NAMES:
            raise UsageError(f"--grant {spec!r}: use TYPE:ID=LEVEL with LEVEL admin or viewer",
                             hint="e.g. --grant sandbox:123=viewer")
        kind, rid = _target(target, "--grant")
        items.append({"resource_type": kind, "resource_id": rid,
                      "access_level": LEVEL_NAMES[level.lower()]})
    for spec in revoke:
        kind, rid = _target(spec, "--revoke")
        items.append({"resource_type": kind, "resource_id": rid, "_destroy": True})
    return items


def read_file(state: Any, path: str) -> list[dict[str, Any]]:
    text = state.io.read_text(path, "--file")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"--file {path}: not JSON ({exc})") from None
    if isinstance(data, dict):
        data = data.get("permissions")
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise UsageError(f"--file {path}: expected a list of permissions or "
                         "{\"permissions\": [...]}")
    return data


def diff(access: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each requested permission changes, read against the access's resources."""
    now = {(r.get("resource_type"), str(r.get("resource_id"))):
           LEVELS.get(r.get("access_level"), str(r.get("access_level")))
           for r in access.get("resources") or []}
    rows = []
    for item in items:
        key = (item.get("resource_type"), str(item.get("resource_id")))
        before = now.get(key, "-")
        level = item.get("access_level")
        after = "-" if item.get("_destroy") else \
            LEVELS.get(level, LEVEL_NAMES.get(str(level).lower(), str(level)))
        rows.append({"resource": f"{key[0]}:{key[1]}", "before": before, "after": after})
    return rows


@app.command("set")
def set_(ctx: typer.Context, access_id: AccessArg,
         grant: Annotated[list[str] | None, typer.Option(
             "--grant", metavar="TYPE:ID=LEVEL",
             help="Give a level (admin or viewer) on a resource; repeatable.")] = None,
         revoke: Annotated[list[str] | None, typer.Option(
             "--revoke", metavar="TYPE:ID", help="Take a resource away; repeatable.")] = None,
         file: Annotated[str | None, typer.Option(
             "--file", metavar="FILE|-",
             help="The permissions as JSON: the API's list (or {\"permissions\": [...]}).")
         ] = None,
         yes: YesOpt = False, dry_run: DryRunOpt = False) -> None:
    """Change an access's permissions; shows what changes, then asks.

    A resource given again is updated, a new one is added (the API's rules).
    Off a terminal --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap account permissions set 4788 --grant sandbox:123=viewer --revoke project:9
      mailtrap account permissions set 4788 --file perms.json --yes
    """
    state = get_state(ctx)
    items = parse_changes(grant or [], revoke or [])
    if file is not None:
        items.extend(read_file(state, file))
    if not items:
        raise UsageError("nothing to change", hint="give --grant, --revoke or --file")
    found = [a for a in account.list_accesses(state.client()) if a.get("id") == access_id]
    if not found:
        raise NotFoundError(f"account access {access_id} not found",
                            hint="see `mailtrap account access list`")
    changes = diff(found[0], items)
    state.out.info(f"changes to account access {access_id}:")
    for row in changes:
        state.out.info(f"  {row['resource']}: {row['before']} -> {row['after']}")
    state.perform(account.set_permissions(access_id, items), dry_run=dry_run,
                  confirm=f"Apply {len(items)} permission change(s) to access {access_id}?",
                  done=f"updated the permissions of account access {access_id}")
