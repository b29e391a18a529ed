"""`mailtrap contacts sync FILE --list L`: make a list's members match a file."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from mailtrap_cli.api import contacts as api
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.contacts.common import IntervalOpt, Reporter, WaitTimeoutOpt, stdin_of
from mailtrap_cli.commands.contacts.importing import (
    FileArg,
    FormatOpt,
    MapOpt,
    SkipOpt,
    bad_rows_text,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, OwnTimeoutCommand, Typer, YesOpt
from mailtrap_cli.output import View

app = Typer(leaf=True)


def plan_row(plan: Any) -> Any:
    if not isinstance(plan, dict):
        return plan
    return {k: v for k, v in plan.items() if k not in ("examples", "imports")}


PLAN_VIEW = View(row=plan_row)


def _show_plan(state: Any, plan: Any, name: str) -> None:
    out = state.out
    out.info(f"plan for list {name}: add {len(plan.adds):,}, update {len(plan.updates):,}, "
             f"remove {len(plan.removals):,}, unchanged {plan.unchanged:,}")
    examples = plan.summary()["examples"]
    for email in examples["add"]:
        out.info(f"  + {email}")
    for item in examples["update"]:
        changes = " ".join(f"{k}={v}" for k, v in item["fields"].items())
        out.info(f"  ~ {item['email']}: {changes}")
    for email in examples["remove"]:
        out.info(f"  - {email}")
    shown = sum(len(v) for v in examples.values())
    if plan.count() > shown:
        out.info(f"  ... and {plan.count() - shown:,} more")


@app.command("sync", cls=OwnTimeoutCommand)
def sync_(ctx: typer.Context, file: FileArg,
          list_: Annotated[str, typer.Option(
              "--list", metavar="ID|NAME", help="The list to make match the file.")],
          fmt: FormatOpt = None, map_: MapOpt = None, skip_invalid: SkipOpt = False,
          keep: Annotated[bool, typer.Option(
              "--keep", help="Add and update only: remove nobody from the list.")] = False,
          yes: YesOpt = False, dry_run: DryRunOpt = False,
          timeout: WaitTimeoutOpt = 3600.0, interval: IntervalOpt = 2.0) -> None:
    """Make a list's members match a file: adds, field updates, removals.

    Reads the list's members (an export of the list), compares them with the
    file by address, and shows the plan on stderr: contacts to add to the list
    (with their fields), members whose fields differ (only the file's columns
    are compared), and members missing from the file, to take off the list
    (the contacts stay in the account; --keep leaves them on it). Then, after
    a confirmation (--yes off a terminal, exit 3 without it), carries it out
    as imports and waits for them. --dry-run stops after the plan.

    A rerun works the plan out again from the account, so an interrupted sync
    is finished by running it again.

    \b
    Examples:
      mailtrap contacts sync crm-export.csv --list Customers --dry-run
      mailtrap contacts sync crm-export.csv --list Customers --yes
      mailtrap contacts sync leads.jsonl --list 12 --keep --yes
    """
    from mailtrap_cli.contacts_import import export, sync
    from mailtrap_cli.contacts_import.engine import (
        Importer,
        Options,
        failed_imports,
        follow,
        send_all,
    )
    from mailtrap_cli.contacts_import.rows import Schema, parse_map

    state = get_state(ctx)
    client = state.client()
    lists = api.list_lists(client)
    list_id = api.resolve_list_ids(client, [list_], lists)[0]
    name = next((f"{x['name']} ({list_id})" for x in lists if x.get("id") == list_id),
                str(list_id))
    schema = Schema.of(api.list_fields(client), lists)
    reporter = Reporter(state.out, "sync")
    importer = Importer(client, Options(file, fmt, parse_map(map_ or []),
                                        skip_invalid=skip_invalid), schema,
                        on_progress=reporter, stdin=stdin_of(state, file))
    try:
        checked = importer.check()
        if checked.bad and not skip_invalid:
            raise UsageError(f"{checked.bad:,} bad row(s) in {importer.label}; nothing was "
                             "changed:\n" + bad_rows_text(checked, importer.label),
                             hint="fix them, or pass --skip-invalid to sync the other rows")
        if checked.bad:
            state.out.warn(f"skipping {checked.bad:,} bad row(s):\n"
                           + bad_rows_text(checked, importer.label))
        client.deadline = time.monotonic() + timeout
        job = export.start(client, api.export_filters([list_id]))
        job = export.wait(client, job, timeout=timeout, interval=interval)
        current = sync.members(export.csv_rows(export.decompressed(
            api.download(client, job["url"]))), schema)
        desired = (row.contact for row in importer.reader.rows() if row.contact)
        plan = sync.plan(desired, current, list_id)
    finally:
        importer.close()
    if keep:
        plan.removals = []
    summary = plan.summary()
    if plan.empty:
        reporter.close()
        state.out.success(f"list {name} already matches {importer.label} "
                          f"({plan.unchanged:,} contacts)")
        state.out.emit(summary, PLAN_VIEW)
        return
    _show_plan(state, plan, name)
    if dry_run:
        reporter.close()
        state.out.info("dry run: nothing was changed")
        state.out.emit(summary, PLAN_VIEW)
        return
    try:
        state.confirm(f"Apply this plan to list {name}?", yes)
        imports = send_all(client, plan.contacts(), total=plan.count(), on_progress=reporter)
        follow(client, imports, timeout=timeout, interval=interval, on_progress=reporter)
    finally:
        reporter.close()
    summary["imports"] = [{"id": i.import_id, "contacts": i.count, "status": i.status}
                          for i in imports]
    state.out.success(f"synced list {name}: added {len(plan.adds):,}, updated "
                      f"{len(plan.updates):,}, removed {len(plan.removals):,}")
    state.out.emit(summary, PLAN_VIEW)
    failure = failed_imports(imports)
    if failure is not None:
        raise failure
