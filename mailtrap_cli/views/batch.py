"""What `send batch` shows: the progress bar and row messages on stderr, the summary.

Events arrive from worker threads; one lock keeps lines whole. Row problems
print as `file:line: reason` (the first MAX_LINES of them; the summary and the
journal hold the rest).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from mailtrap_cli.batch.reader import where
from mailtrap_cli.batch.runner import Chunk, Events, Totals

MAX_LINES = 20


class BatchProgress(Events):
    def __init__(self, out: Any, kind: str, label: str, total: int | None) -> None:
        self.out = out
        self.kind = kind
        self.label = label
        self._lock = threading.Lock()
        self._lines = 0
        self._hidden = 0
        self._throttle_notes = 0
        self._progress = None
        self._task = None
        self.total = total

    # -- progress bar ------------------------------------------------------
    def __enter__(self) -> BatchProgress:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = self.out.progress(
            TextColumn("sending"), BarColumn(), MofNCompleteColumn(),
            TextColumn("rows"), TextColumn("{task.fields[rate]}"),
            TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn())
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("send", total=self.total, rate="")
            self._started = time.monotonic()
            self._done = 0
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self._hidden:
            self.out.warn(f"{self._hidden} more row problem(s) not shown: see the summary "
                          "(`rejected_rows`) and the journal")

    def progress(self, rows: int) -> None:
        if self._progress is None:
            return
        with self._lock:
            self._done += rows
            elapsed = max(time.monotonic() - self._started, 1e-6)
            self._progress.update(self._task, advance=rows,
                                  rate=f"{self._done / elapsed:,.0f} rows/s")

    # -- row and chunk messages -------------------------------------------
    def _say(self, text: str, *, always: bool = False) -> None:
        with self._lock:
            if not always and self._lines >= MAX_LINES:
                self._hidden += 1
                return
            self._lines += 1
            if self._progress is not None:
                self._progress.console.print(text, markup=False, highlight=False)
            else:
                self.out.warn(text)

    def where(self, row: int) -> str:
        return where(self.kind, self.label, row)

    def invalid(self, row: int, error: str) -> None:
        self._say(f"{self.where(row)}: {error} (not sent)")

    def rejected(self, row: int, errors: list[str]) -> None:
        self._say(f"{self.where(row)}: rejected by the API: {'; '.join(errors)}")

    def unknown(self, chunk: Chunk, reason: str) -> None:
        rows = f"{self.where(chunk.rows[0])} to {chunk.rows[-1]}"
        self._say(f"chunk {chunk.index} ({len(chunk.rows)} rows, {rows}): outcome unknown: "
                  f"{reason}; not resent", always=True)

    def throttled(self, delay: float, reason: str) -> None:
        with self._lock:
            self._throttle_notes += 1
            if self._throttle_notes > 3:
                return
        if not self.out.quiet:
            self._say(f"{reason}: slowing down, next try in {delay:.1f}s", always=True)


def summary(totals: Totals, *, view: BatchProgress, journal: str, elapsed: float,
            earlier_unknown: list[dict[str, Any]],
            earlier_rejected: list[tuple[int, list[str]]]) -> dict[str, Any]:
    """The result as data: counts for this run, then what is still not sent."""
    rejected_rows = [{"row": item["row"], "where": view.where(item["row"]),
                      "errors": item["errors"], "sent": item["sent"]}
                     for item in totals.rejected_rows]
    rejected_rows += [{"row": row, "where": view.where(row), "errors": errors,
                       "sent": True, "earlier_run": True}
                      for row, errors in earlier_rejected[:max(0, 100 - len(rejected_rows))]]
    return {
        "sent": totals.sent,
        "rejected": totals.rejected + totals.invalid,
        "unknown": totals.unknown,
        "invalid": totals.invalid,
        "skipped_already_sent": totals.skipped_sent,
        "skipped_rejected": totals.skipped_rejected,
        "skipped_unknown": totals.skipped_unknown,
        "chunks": totals.chunks,
        "requests": totals.requests,
        "throttled": totals.throttled,
        "complete": not totals.interrupted and totals.fatal is None,
        "elapsed": round(elapsed, 3),
        "journal": journal,
        "rejected_rows": rejected_rows,
        "unknown_chunks": totals.unknown_chunks + earlier_unknown,
    }


def outcome_line(data: dict[str, Any]) -> str:
    parts = [f"{data['sent']} sent"]
    if data["rejected"]:
        parts.append(f"{data['rejected']} rejected")
    if data["unknown"]:
        parts.append(f"{data['unknown']} unknown")
    skipped = data["skipped_already_sent"] + data["skipped_rejected"] + data["skipped_unknown"]
    if skipped:
        parts.append(f"{skipped} skipped (done by an earlier run)")
    return ", ".join(parts)
