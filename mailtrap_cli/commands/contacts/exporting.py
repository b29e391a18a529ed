"""`mailtrap contacts export`: start an export, wait for it, stream the file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from mailtrap_cli.api import contacts as api
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.contacts.common import IntervalOpt, ListsOpt, WaitTimeoutOpt
from mailtrap_cli.context import get_state
from mailtrap_cli.options import OwnTimeoutCommand, Typer

app = Typer(leaf=True)


def _write_rows(state: Any, chunks: Any, fmt: str, out: Path | None) -> int:
    """Write the export as CSV (the bytes as they come), JSONL or a JSON array."""
    from mailtrap_cli.contacts_import.export import csv_rows

    count = 0
    target = None
    if out is not None:
        part = out.with_name(out.name + ".part")
        target = open(part, "wb")  # noqa: SIM115 - closed below, renamed when complete

    def write(data: bytes) -> None:
        if target is not None:
            target.write(data)
        else:
            state.out.raw(data)

    try:
        if fmt == "csv":
            for chunk in chunks:
                count += chunk.count(b"\n")
                write(chunk)
            count = max(0, count - 1)   # the header line
        else:
            if fmt == "json":
                write(b"[")
            for row in csv_rows(chunks):
                line = json.dumps(row, ensure_ascii=False)
                if fmt == "json":
                    write((",\n" if count else "\n").encode() + line.encode("utf-8"))
                else:
                    write(line.encode("utf-8") + b"\n")
                count += 1
            if fmt == "json":
                write(b"\n]\n")
    except BaseException:
        if target is not None:
            target.close()
            os.unlink(part)
        raise
    if target is not None:
        target.close()
        os.replace(part, out)   # only a complete file gets the name
    return count


@app.command("export", cls=OwnTimeoutCommand)
def export_(ctx: typer.Context, list_: ListsOpt = None,
            status: Annotated[str | None, typer.Option(
                "--status", metavar="subscribed|unsubscribed",
                help="Only contacts with this subscription status.")] = None,
            wait: Annotated[bool, typer.Option(
                "--wait/--no-wait", help="Wait for the file and stream it (default), or "
                "only start the export and print its id.")] = True,
            export_id: Annotated[int | None, typer.Option(
                "--id", min=1, metavar="EXPORT_ID",
                help="Fetch an export started earlier instead of starting one.")] = None,
            out: Annotated[Path | None, typer.Option(
                "--out", metavar="FILE", help="Write to FILE (only once complete) instead "
                "of stdout.", dir_okay=False)] = None,
            fmt: Annotated[str | None, typer.Option(
                "--format", metavar="csv|jsonl|json",
                help="CSV as the API makes it (default), or JSON objects, one per row "
                "(also with -o jsonl / -o json).")] = None,
            timeout: WaitTimeoutOpt = 600.0, interval: IntervalOpt = 2.0) -> None:
    """Export contacts (all, or by list and status) as CSV or JSONL.

    The API builds the file in the background and allows one export at a
    time. This starts one, polls until it is ready, then streams the .csv.gz
    decompressed to stdout or --out, checking that nothing is missing (a cut
    download is an error, and --out is written only when complete). Exit 9 if
    --timeout passes first; fetch it later with --id.

    \b
    Examples:
      mailtrap contacts export > contacts.csv
      mailtrap contacts export --list Newsletter --status subscribed --out subs.csv
      mailtrap contacts export -o jsonl | jq -r .email
      mailtrap contacts export --no-wait            # prints the export id
      mailtrap contacts export --id 42 --out later.csv
    """
    from mailtrap_cli.contacts_import import export

    fmt = fmt or get_state(ctx).out.json_asked() or "csv"
    if fmt not in ("csv", "jsonl", "json"):
        raise UsageError(f"--format: {fmt!r} is not csv, jsonl or json")
    if status is not None and status not in api.STATUSES:
        raise UsageError(f"--status: {status!r} is not subscribed or unsubscribed")
    state = get_state(ctx)
    client = state.client()
    if export_id is not None:
        if list_ or status:
            raise UsageError("--id fetches an export that exists: its filters are set")
        job = api.get_export(client, export_id)
    else:
        filters = api.export_filters(api.resolve_list_ids(client, list_ or []), status)
        job = export.start(client, filters)
        state.out.info(f"started contacts export {job.get('id')}")
    if not wait:
        state.out.emit(job)
        return
    client.deadline = time.monotonic() + timeout
    job = export.wait(client, job, timeout=timeout, interval=interval)
    client.deadline = None
    count = _write_rows(state, export.decompressed(api.download(client, job["url"])), fmt, out)
    where = f" to {out}" if out else ""
    state.out.success(f"exported {count:,} contact(s){where} (export {job.get('id')})")
