"""`mailtrap templates pull|diff|push DIR`: templates kept as files in git.

The folder format and the plans are mailtrap_cli/template_files.py's; these
commands fetch, print and send.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mailtrap_cli.api import templates
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer, YesOpt
from mailtrap_cli.output import View

app = Typer(leaf=True)

DirArg = Annotated[Path, typer.Argument(metavar="DIR", file_okay=False,
                                        help="Folder holding one folder per template.")]
PULL_VIEW = View(columns=[("action", "action"), ("folder", "folder"), ("id", "id"),
                          ("name", "name")])


def _local(root: Path) -> list[Any]:
    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.template_files import TemplateFilesError, read_dir

    try:
        return read_dir(root)
    except TemplateFilesError as exc:
        raise UsageError(str(exc)) from None


@app.command()
def pull(ctx: typer.Context, folder: DirArg) -> None:
    """Write every template into DIR, one folder each.

    Each folder holds template.json (id, uuid, name, subject, category),
    body.html and body.txt. Folders are named after the templates (safe on every system; duplicates
    get the id) and keep their name on later pulls, so renames do not move
    files. Templates deleted remotely are reported; their folders stay.

    \b
    Examples:
      mailtrap templates pull emails/
      mailtrap templates pull emails/ && git -C emails diff --stat
    """
    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.template_files import TemplateFilesError, pull_into

    state = get_state(ctx)
    remote = templates.list_templates(state.client())
    try:
        rows = pull_into(folder, remote)
    except TemplateFilesError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write into {folder}: {exc.strerror or exc}") from None
    counts = {a: sum(r["action"] == a for r in rows)
              for a in ("created", "updated", "unchanged", "deleted-remotely")}
    state.out.success(f"pulled {len(remote)} templates into {folder}: {counts['created']} new, "
                      f"{counts['updated']} updated, {counts['unchanged']} unchanged")
    for row in rows:
        if row["action"] == "deleted-remotely":
            state.out.warn(f"{row['folder']}/: template {row['id'] or row['uuid']} no longer "
                           "exists remotely (delete the folder, or push to create it again)")
    state.out.emit(rows, PULL_VIEW)


def _colour(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(f"\x1b[1m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("+"):
            out.append(f"\x1b[32m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("-"):
            out.append(f"\x1b[31m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("@@"):
            out.append(f"\x1b[36m{line.rstrip(chr(10))}\x1b[0m\n")
        else:
            out.append(line)
    return "".join(out)


@app.command()
def diff(ctx: typer.Context, folder: DirArg) -> None:
    """Diff DIR against Mailtrap's templates (exit 1 when they differ).

    A unified diff per file, remote (a/) against local (b/), coloured on a
    terminal. Exit 0 when equal and 1 when different, like `git diff
    --exit-code`, so CI can fail on drift. With -o json, one object per
    template that differs (action, folder, id, changed fields).

    \b
    Examples:
      mailtrap templates diff emails/
      mailtrap templates diff emails/ > /dev/null || echo "templates drifted"
    """
    from mailtrap_cli.template_files import match, unified_diff

    state = get_state(ctx)
    local = _local(folder)
    pairs = match(local, templates.list_templates(state.client()))
    differing = [p for p in pairs if p.kind != "unchanged"]
    text = "".join(unified_diff(p) for p in differing)
    if text and state.out.stdout_tty and not state.out.no_color:
        text = _colour(text)
    state.out.document(text, [p.to_dict() for p in differing])
    if differing:
        state.out.info(f"{len(differing)} of {len(pairs)} templates differ")
        raise typer.Exit(1)
    state.out.info(f"{len(pairs)} templates, no differences")


def _plan_rows(pairs: list[Any], prune: bool) -> list[dict[str, Any]]:
    rows = []
    for pair in pairs:
        row = pair.to_dict()
        if pair.kind == "remote-only":
            row["action"] = "delete" if prune else "remote-only"
        if "changed" in row:
            row["changed"] = ",".join(row["changed"]) if pair.kind == "update" else ""
        rows.append(row)
    return rows


@app.command()
def push(ctx: typer.Context, folder: DirArg, yes: YesOpt = False, dry_run: DryRunOpt = False,
         prune: Annotated[bool, typer.Option(
             "--prune", help="Also delete templates that exist only remotely (asks again).")
         ] = False) -> None:
    """Create and update templates from DIR, after showing the plan.

    The plan (create / update / unchanged / remote-only) goes to stderr; then
    it asks on a terminal, or needs --yes. --dry-run prints the requests and
    sends nothing. Created templates get their id and uuid written to their
    template.json, so pushing again sends nothing.

    \b
    Examples:
      mailtrap templates push emails/ --dry-run
      mailtrap templates push emails/ --yes
      mailtrap templates push emails/ --prune --yes
    """
    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.template_files import match, problems, update_fields

    state = get_state(ctx)
    local = _local(folder)
    wrong = [text for item in local for text in problems(item)]
    if wrong:
        raise UsageError("; ".join(wrong[:5]) + (" …" if len(wrong) > 5 else ""),
                         hint="nothing was sent; shorten them and push again")
    pairs = match(local, templates.list_templates(state.client()))
    creates = [p for p in pairs if p.kind == "create"]
    updates = [p for p in pairs if p.kind == "update"]
    remote_only = [p for p in pairs if p.kind == "remote-only"]
    deletes = remote_only if prune else []
    _say_plan(state, folder, pairs, prune)
    if not creates and not updates and not deletes:
        state.out.success("nothing to push")
        state.out.emit([])
        return
    calls = ([(p, templates.create(**p.local.fields())) for p in creates]
             + [(p, templates.update(int(p.remote["id"]), **update_fields(p))) for p in updates])
    removals = [(p, templates.delete(int(p.remote["id"]))) for p in deletes]
    if dry_run:
        for _pair, call in calls + removals:
            state.show_call(call)
        return
    if calls:
        what = " and ".join(part for part in (
            f"create {len(creates)}" if creates else "", f"update {len(updates)}" if updates
            else "") if part)
        state.confirm(f"Push to Mailtrap: {what} template(s)?", yes)
    if removals:
        names = ", ".join(str(p.remote.get("name")) for p, _ in removals[:5])
        more = "…" if len(removals) > 5 else ""
        state.confirm(f"Delete {len(removals)} remote-only templates ({names}{more})?", yes)
    state.out.emit(_send_all(state, calls, removals), PULL_VIEW)


def _say_plan(state: Any, folder: Path, pairs: list[Any], prune: bool) -> None:
    """The plan on stderr: counts, then one line per template that would change."""
    count = {kind: sum(p.kind == kind for p in pairs)
             for kind in ("create", "update", "unchanged", "remote-only")}
    state.out.info(f"plan for {folder}: {count['create']} to create, {count['update']} to "
                   f"update, {count['unchanged']} unchanged, " + (
                       f"{count['remote-only']} to delete" if prune
                       else f"{count['remote-only']} remote-only"))
    for row in _plan_rows(pairs, prune):
        if row["action"] != "unchanged":
            extra = f" ({row['changed']})" if row.get("changed") else ""
            note = f" - {row['note']}" if row.get("note") else ""
            state.out.info(f"  {row['action']:<12} {row['folder'] or row['name']}{extra}{note}")
    if count["remote-only"] and not prune:
        state.out.info(f"  {count['remote-only']} remote-only templates are kept (--prune "
                       "deletes them)")


def _send_all(state: Any, calls: list[Any], removals: list[Any]) -> list[dict[str, Any]]:
    """Send the creates and updates, then the deletes; created ids go into their
    template.json at once, so a push stopped halfway never creates twice."""
    from mailtrap_cli.api.errors import MailtrapError
    from mailtrap_cli.template_files import set_identity

    done: list[dict[str, Any]] = []
    client = state.client()
    for pair, call in calls:
        try:
            result = call.send(client)
        except MailtrapError as exc:
            exc.message = f"{pair.local.folder.name}: {exc.message}"
            exc.hint = (f"{len(done)} template(s) were pushed before it; fix it and push "
                        "again (pushed ones are not sent twice)")
            raise
        if pair.kind == "create" and isinstance(result, dict):
            set_identity(pair.local, result)
        state.out.success(f"{'created' if pair.kind == 'create' else 'updated'} "
                          f"{pair.local.folder.name} (id {result.get('id')})")
        done.append({"action": pair.kind, "folder": pair.local.folder.name,
                     "id": result.get("id"), "uuid": result.get("uuid"),
                     "name": result.get("name")})
    for pair, call in removals:
        call.send(client)
        state.out.success(f"deleted template {pair.remote.get('id')} ({pair.remote.get('name')})")
        done.append({"action": "delete", "folder": None, "id": pair.remote.get("id"),
                     "uuid": pair.remote.get("uuid"), "name": pair.remote.get("name")})
    return done
