"""`send batch --reconcile`: settle chunks whose outcome is unknown from the email logs.

A chunk is unknown when its request left and no answer came back (a timeout, a
5xx, a dropped connection, a killed run). The email logs say what really went
out: each recipient of such a chunk is looked up among messages sent since the
run that sent the chunk began (less CLOCK_SKEW), with the same subject and
category when those are known. Then, per chunk:

- every row found: sent (with the message ids from the logs);
- no row found, and the logs are known to be complete past the chunk (they
  hold a message sent after the chunk gave up, or that was SETTLE seconds ago): the
  request never went out, and the rows are released so a rerun sends them;
- some rows found, some not: the found ones are sent; the others stay unknown
  (the API may have refused them, or the logs may not show them yet);
- nothing found and the logs may still be catching up: all stay unknown.

The same address twice in one chunk is matched once per log entry; rows left
over stay unknown. Everything is written to the journal as ordinary `done`
and `released` records, so the next run reads it like any other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mailtrap_cli.batch.journal import Journal, Resume, describe, runs
from mailtrap_cli.batch.reader import Record
from mailtrap_cli.message import RECIPIENT_FIELDS, merge_base

CLOCK_SKEW = timedelta(minutes=2)
SETTLE = 600.0          # seconds after which missing log entries mean "never sent"
LOOKUP_GROUP = 50       # addresses per email-log query (keeps the URL short)

# (addresses, since ISO time, subject or None, category or None) -> log entries
Lookup = Callable[[list[str], str, "str | None", "str | None"], Iterable[dict[str, Any]]]
# ISO time -> whether the logs hold any message sent at or after it
Newer = Callable[[str], bool]


@dataclass
class ChunkOutcome:
    chunk: int
    rows: int
    sent: int = 0
    released: int = 0
    undecided: int = 0
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"chunk": self.chunk, "rows": self.rows, "sent": self.sent,
                "released": self.released, "undecided": self.undecided,
                "reason": self.reason}


@dataclass
class Report:
    chunks: list[ChunkOutcome] = field(default_factory=list)
    missing_rows: int = 0        # unknown rows the input no longer has

    def totals(self) -> dict[str, int]:
        return {"sent": sum(c.sent for c in self.chunks),
                "released": sum(c.released for c in self.chunks),
                "undecided": sum(c.undecided for c in self.chunks)
                + self.missing_rows}

    def as_dict(self) -> dict[str, Any]:
        return {**self.totals(), "chunks": [c.as_dict() for c in self.chunks],
                "missing_rows": self.missing_rows}


def chunk_times(path: Path) -> dict[int, tuple[str | None, str | None]]:
    """chunk -> (when its run began, when its outcome was recorded unknown)."""
    times: dict[int, tuple[str | None, str | None]] = {}
    run_at: str | None = None
    with open(path, "rb") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            kind, chunk = record.get("type"), record.get("chunk")
            if kind == "run":
                run_at = record.get("at")
            elif kind == "pending" and isinstance(chunk, int):
                times[chunk] = (run_at, None)
            elif kind == "unknown" and isinstance(chunk, int):
                times[chunk] = (times.get(chunk, (run_at, None))[0], record.get("at"))
    return times


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def addresses(item: dict[str, Any]) -> list[str]:
    return [a["email"].strip().lower() for f in RECIPIENT_FIELDS for a in item.get(f) or []
            if isinstance(a, dict) and isinstance(a.get("email"), str)]


def reconcile(journal_path: Path, resume: Resume, records: Iterable[Record],
              build: Callable[[dict[str, Any]], tuple[Any, str | None]],
              base: dict[str, Any] | None, lookup: Lookup, newer: Newer,
              writer: Journal | None, *, now: datetime | None = None,
              settle: float = SETTLE) -> Report:
    """Decide what can be decided; `writer` None is a dry run (nothing recorded)."""
    now = now or datetime.now(timezone.utc)
    times = chunk_times(journal_path)
    wanted: dict[int, dict[int, list[str]]] = {}      # chunk -> row -> addresses
    messages: dict[int, tuple[str | None, str | None]] = {}
    for record in records:
        chunk = resume.unknown.get(record.row)
        if chunk is None or record.data is None:
            continue
        item, error = build(record.data)
        if item is None or error:
            continue
        wanted.setdefault(chunk, {})[record.row] = addresses(item)
        if chunk not in messages:
            merged = merge_base(base or {}, item)
            subject = None if merged.get("template_uuid") else merged.get("subject")
            messages[chunk] = (subject, merged.get("category"))
    report = Report()
    by_chunk: dict[int, list[int]] = {}
    for row, chunk in resume.unknown.items():
        by_chunk.setdefault(chunk, []).append(row)
    for chunk in sorted(by_chunk):
        rows = sorted(by_chunk[chunk])
        known = wanted.get(chunk, {})
        report.missing_rows += len([r for r in rows if r not in known])
        if not known:
            continue
        outcome = _settle(chunk, known, messages.get(chunk, (None, None)),
                          times.get(chunk, (None, None)), lookup, newer, writer, now,
                          settle)
        report.chunks.append(outcome)
    return report


def _settle(chunk: int, rows: dict[int, list[str]], message: tuple[str | None, str | None],
            times: tuple[str | None, str | None], lookup: Lookup, newer: Newer,
            writer: Journal | None, now: datetime, settle: float) -> ChunkOutcome:
    started = _parse(times[0]) or _parse(times[1]) or now - timedelta(days=1)
    gave_up = _parse(times[1]) or started
    since = _iso(started - CLOCK_SKEW)
    subject, category = message
    everyone = sorted({a for found in rows.values() for a in found})
    pool: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(everyone), LOOKUP_GROUP):
        for entry in lookup(everyone[start:start + LOOKUP_GROUP], since, subject, category):
            to = str(entry.get("to") or "").strip().lower()
            pool.setdefault(to, []).append(entry)
    sent: list[tuple[int, list[str]]] = []
    missing: list[int] = []
    for row, wanted in sorted(rows.items()):
        ids: list[str] = []
        for address in wanted:
            if pool.get(address):
                ids.append(str(pool[address].pop(0).get("message_id")))
        if ids:
            sent.append((row, ids))
        else:
            missing.append(row)
    outcome = ChunkOutcome(chunk, len(rows), sent=len(sent))
    if not missing:
        outcome.reason = "every recipient is in the email logs"
    elif sent:
        outcome.undecided = len(missing)
        outcome.reason = (f"rows {describe(runs(missing))} are not in the email logs while "
                          f"{len(sent)} of the same request are: the API may have refused "
                          "them, or the logs do not show them yet")
    else:
        # The journal keeps whole seconds: a message of the same second is not "later".
        complete = (now - gave_up).total_seconds() >= settle or \
            newer(_iso(gave_up + timedelta(seconds=1)))
        if complete:
            outcome.released = len(missing)
            outcome.reason = "no recipient is in the email logs: the request never went out"
        else:
            outcome.undecided = len(missing)
            outcome.reason = ("no recipient is in the email logs yet, and the chunk is "
                              f"recent: try again in {int(settle // 60)} minutes")
    if writer is not None:
        if sent:
            writer.done(chunk, sent, [])
        if outcome.released:
            writer.write({"type": "released", "chunk": chunk, "rows": runs(missing),
                          "reason": "reconciled: not in the email logs"})
    return outcome
