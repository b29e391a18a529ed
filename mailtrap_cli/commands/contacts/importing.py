"""`mailtrap contacts import FILE|-`: CSV or JSONL into the account's contacts.

The work (mapping, checks, chunks, journal, polling) is in
mailtrap_cli/contacts_import/; this module parses flags and reports.
"""

from __future__ import annotations

import math
import time
from typing import Annotated, Any

import typer

from mailtrap_cli.api import contacts as api
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.contacts.common import (
    IntervalOpt,
    ListsOpt,
    Reporter,
    WaitTimeoutOpt,
    stdin_of,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, OwnTimeoutCommand, Typer
from mailtrap_cli.output import View

app = Typer(leaf=True)

FileArg = Annotated[str, typer.Argument(metavar="FILE|-", help="CSV or JSONL; - for stdin.")]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", metavar="csv|jsonl", help="The file's format (default: from its name; "
    "csv for stdin).")]
MapOpt = Annotated[list[str] | None, typer.Option(
    "--map", metavar="COLUMN=TARGET", help="Map a column to `email`, `list_ids` or a "
    "field's merge tag; COLUMN=- leaves it out (repeatable).")]
SkipOpt = Annotated[bool, typer.Option(
    "--skip-invalid", help="Import the good rows when some are bad (they are listed).")]


def bad_rows_text(checked: Any, label: str) -> str:
    lines = [f"  {p}" for p in checked.problems]
    more = checked.bad - len(checked.problems)
    if more > 0:
        lines.append(f"  ... and {more:,} more")
    return "\n".join(lines)


def summary_row(summary: Any) -> Any:
    if not isinstance(summary, dict) or "imports" not in summary:
        return summary
    row = {k: v for k, v in summary.items() if k != "imports"}
    row["imports"] = " ".join(f"{i['id']}:{i['status']}" for i in summary["imports"])
    return row


SUMMARY_VIEW = View(row=summary_row)


@app.command("import", cls=OwnTimeoutCommand)
def import_(ctx: typer.Context, file: FileArg, fmt: FormatOpt = None, map_: MapOpt = None,
            list_: ListsOpt = None, skip_invalid: SkipOpt = False,
            wait: Annotated[bool, typer.Option(
                "--wait", help="Follow the imports to the end and print the counts.")] = False,
            timeout: WaitTimeoutOpt = 3600.0, interval: IntervalOpt = 2.0,
            journal: Annotated[str | None, typer.Option(
                "--journal", metavar="PATH", help="Where submitted chunks are recorded "
                "(default: FILE.import-journal.jsonl; none for stdin).")] = None,
            new_journal: Annotated[bool, typer.Option(
                "--new-journal", help="Forget an earlier run's journal and import every "
                "row again.")] = False,
            chunk_size: Annotated[int, typer.Option(
                "--chunk-size", min=1, max=api.MAX_IMPORT, metavar="N",
                help="Contacts per import request (at most 50,000).")] = api.MAX_IMPORT,
            dry_run: DryRunOpt = False) -> None:
    """Import contacts from CSV or JSONL, in requests of up to 50,000.

    Columns map to `email`, to fields by merge tag or name, and to `list_ids`
    (ids or list names); --list adds every row to lists. Every row is checked
    first (address, known field, typed value, list, the 40-field limit) and
    bad rows are listed as FILE:LINE: reason; nothing is sent while one is bad,
    unless --skip-invalid. The file streams from disk (flat memory).

    A journal records each submitted request, so running the same command again
    after an interruption sends only what was not submitted and follows the
    imports. --wait polls them to the end (progress on stderr) and prints
    created / updated / over-limit counts; exit 9 when --timeout passes first.

    \b
    Examples:
      mailtrap contacts import people.csv --list Newsletter --wait
      mailtrap contacts import crm.csv --map "E-mail=email" --map "Company=company"
      mailtrap contacts import rows.jsonl --skip-invalid --wait --timeout 600
      cat people.csv | mailtrap contacts import - --dry-run
    """
    from mailtrap_cli.contacts_import.engine import Importer, Options, failed_imports
    from mailtrap_cli.contacts_import.rows import Schema, parse_map

    state = get_state(ctx)
    client = state.client()
    mapping = parse_map(map_ or [])
    lists = api.list_lists(client)
    schema = Schema.of(api.list_fields(client), lists)
    options = Options(file, fmt, mapping, api.resolve_list_ids(client, list_ or [], lists),
                      skip_invalid=skip_invalid, chunk_size=chunk_size, journal=journal,
                      new_journal=new_journal)
    reporter = Reporter(state.out, "import")
    importer = Importer(client, options, schema, on_progress=reporter,
                        stdin=stdin_of(state, file))
    try:
        importer.load_journal(write=False)   # written once every row passed
        checked = importer.check()
        if checked.bad and not skip_invalid:
            raise UsageError(
                f"{checked.bad:,} bad row(s) in {importer.label}; nothing was sent:\n"
                + bad_rows_text(checked, importer.label),
                hint="fix them, or pass --skip-invalid to import the other rows")
        if checked.bad:
            state.out.warn(f"skipping {checked.bad:,} bad row(s):\n"
                           + bad_rows_text(checked, importer.label))
        to_send = checked.valid - checked.already
        if dry_run:
            reporter.close()
            state.out.info(f"dry run: {to_send:,} contact(s) would go in "
                           f"{math.ceil(to_send / options.chunk_size)} request(s) to "
                           "POST /api/contacts/imports; nothing was sent")
            state.out.emit({"file": importer.label, "rows": checked.rows,
                            "valid": checked.valid, "invalid": checked.bad,
                            "already_submitted": checked.already, "to_send": to_send,
                            "requests": math.ceil(to_send / options.chunk_size)})
            return
        if checked.already:
            state.out.info(f"{checked.already:,} row(s) were submitted by an earlier run "
                           f"(journal {importer.journal_path()}); sending the other "
                           f"{to_send:,}")
        imports = importer.submit()
        if wait:
            if timeout is not None:
                client.deadline = time.monotonic() + timeout
            importer.wait(imports, timeout=timeout, interval=interval)
        summary = importer.summary(imports, waited=wait)
    finally:
        reporter.close()
        importer.close()
    if wait:
        state.out.success(f"imported {summary['created']:,} new and {summary['updated']:,} "
                          f"updated contact(s) in {len(imports)} import(s)")
        if summary.get("over_limit"):
            state.out.warn(f"{summary['over_limit']:,} contact(s) were over the account's "
                           "contacts limit and not imported")
    else:
        ids = ", ".join(str(i.import_id) for i in imports)
        state.out.success(f"submitted {sum(i.count for i in imports):,} contact(s) in "
                          f"{len(imports)} import(s) ({ids or 'none'}); add --wait to "
                          "follow them")
    state.out.emit(summary, SUMMARY_VIEW)
    failure = failed_imports(imports) if wait else None
    if failure is not None:
        raise failure
