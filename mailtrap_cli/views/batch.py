"""What `send batch` shows: progress and row messages on stderr, the summary.

Progress is a bar on a terminal and, elsewhere (CI logs), a plain line every
10 s: rows done, sent, rejected, invalid, unknown, rate and ETA; -q silences
both. The ETA starts from the pace the rate limit allows and moves to the
measured rate over the first 30 s.

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


PLAIN_EVERY = 10.0   # seconds between progress lines when stderr is not a terminal


class BatchProgress(Events):
    def __init__(self, out: Any, kind: str, label: str, total: int | None,
                 pace: Any = None, totals: Totals | None = None,
                 clock: Any = time.monotonic) -> None:
        self.out = out
        self.kind = kind
        self.label = label
        self._lock = threading.Lock()
        self._lines = 0
        self._hidden = 0
        self._throttle_notes = 0
        self._progress = None
        self._task = None
        self._plain = False
        self.total = total
        self.pace = pace            # rows per second the rate limit allows now, or None
        self.totals = totals
        self._clock = clock
        self._started = clock()
        self._done = 0
        self._skipped = 0
        self._last_line = self._started

    # -- progress: a bar on a terminal, a plain line every 10 s elsewhere ---------
    def __enter__(self) -> BatchProgress:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

        self._started = self._last_line = self._clock()
        self._progress = self.out.progress(
            TextColumn("sending"), BarColumn(), MofNCompleteColumn(),
            TextColumn("rows"), TextColumn("{task.fields[rate]}"),
            TextColumn("ETA {task.fields[eta]}"), TimeElapsedColumn())
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("send", total=self.total, rate="", eta="-")
        else:
            self._plain = not self.out.quiet
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self._hidden:
            self.out.warn(f"{self._hidden} more row problem(s) not shown: see the summary "
                          "(`invalid_rows`, `rejected_rows`) and the journal")

    def skipped(self, rows: int) -> None:
        """Rows an earlier run did: they take no time, so they do not count for the rate."""
        with self._lock:
            self._skipped += rows
        self.progress(rows)

    def progress(self, rows: int) -> None:
        if self._progress is None and not self._plain:
            return
        with self._lock:
            self._done += rows
            now = self._clock()
            rate, eta = self.estimate(now)
            if self._progress is not None:
                self._progress.update(self._task, advance=rows,
                                      rate=f"{rate:,.0f} rows/s" if rate else "",
                                      eta=_clock_text(eta))
                return
            if now - self._last_line < PLAIN_EVERY:
                return
            self._last_line = now
            line = self.plain_line(rate, eta)
        self.out.info(line)

    def estimate(self, now: float) -> tuple[float | None, float | None]:
        """(rows per second, seconds left). Until a few seconds have passed, the pace
        the rate limit allows is the better guide: the first chunks come back within
        one latency of starting, which makes the measured rate look many times higher."""
        elapsed = now - self._started
        worked = self._done - self._skipped
        measured = worked / elapsed if elapsed > 0 and worked > 0 else None
        allowed = self.pace() if self.pace is not None else None
        if measured is None:
            rate = allowed
        elif allowed is None:
            rate = measured
        else:
            trust = min(1.0, elapsed / 30.0)   # the measured rate wins over 30 s
            rate = min(measured, allowed) * trust + allowed * (1 - trust)
        if self.total is None or not rate:
            return measured, None
        left = max(0, self.total - self._done)
        return measured, left / rate

    def plain_line(self, rate: float | None, eta: float | None) -> str:
        totals = self.totals
        parts = [f"{self._done:,}" + (f"/{self.total:,}" if self.total is not None else "")
                 + " rows"]
        if totals is not None:
            parts.append(f"{totals.sent:,} sent, {totals.rejected:,} rejected, "
                         f"{totals.invalid:,} invalid, {totals.unknown:,} unknown")
        if rate:
            parts.append(f"{rate:,.0f} rows/s")
        if eta is not None:
            parts.append(f"ETA {_clock_text(eta)}")
        return "sending: " + "; ".join(parts)

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
    invalid_rows = [{"row": item["row"], "where": view.where(item["row"]),
                     "errors": item["errors"]} for item in totals.invalid_rows]
    return {
        "sent": totals.sent,
        "rejected": totals.rejected,        # by the API
        "unknown": totals.unknown,
        "invalid": totals.invalid,          # never sent: the row itself is wrong
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
        "invalid_rows": invalid_rows,
        "unknown_chunks": totals.unknown_chunks + earlier_unknown,
    }


def _clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def outcome_line(data: dict[str, Any]) -> str:
    parts = [f"{data['sent']} sent"]
    if data["rejected"]:
        parts.append(f"{data['rejected']} rejected")
    if data["invalid"]:
        parts.append(f"{data['invalid']} invalid (not sent)")
    if data["unknown"]:
        parts.append(f"{data['unknown']} unknown")
    skipped = data["skipped_already_sent"] + data["skipped_rejected"] + data["skipped_unknown"]
    if skipped:
        parts.append(f"{skipped} skipped (done by an earlier run)")
    return ", ".join(parts)
