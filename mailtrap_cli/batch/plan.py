"""What to send: rows not done by an earlier run, valid, cut into chunks.

Runs in the caller's thread and streams: a chunk is handed on as soon as it is
full, so memory holds a few chunks whatever the size of the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mailtrap_cli.batch.journal import Resume
from mailtrap_cli.batch.reader import Record
from mailtrap_cli.batch.runner import Chunk, Events, Totals
from mailtrap_cli.message import MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, unsendable

ITEM_OVERHEAD = 64   # JSON punctuation and keys around each row's values


def plan(records: Iterable[Record], build: Callable[[dict[str, Any]], tuple[Any, str | None]],
         *, resume: Resume | None, totals: Totals, events: Events, first_index: int = 0,
         chunk_size: int = MAX_BATCH_MESSAGES, max_bytes: int = MAX_BATCH_BYTES,
         retry_rejected: bool = False, resend_unknown: bool = False) -> Iterator[Chunk]:
    index = first_index
    rows: list[int] = []
    items: list[dict[str, Any]] = []
    size = 0
    skipped = 0     # progress for skipped rows goes out in bunches, not row by row
    for record in records:
        state = resume.status(record.row) if resume is not None else None
        if state is not None and not (
                (state == "rejected" and retry_rejected) or
                (state == "unknown" and resend_unknown)):
            totals.skip(state)
            skipped += 1
            if skipped >= 1000:
                events.skipped(skipped)
                skipped = 0
            continue
        error = record.error
        item = None
        if error is None and record.data is not None:
            item, error = build(record.data)
            if error is None and item is not None:
                # A row the JSON encoder refuses would fail its whole chunk
                # (journaled "unknown" though nothing left): it is the invalid one.
                problem = unsendable(item)
                if problem:
                    item, error = None, f"cannot be sent: {problem}"
        if error is not None or item is None:
            totals.invalid_row(record.row, error or "unreadable row")
            events.invalid(record.row, error or "unreadable row")
            events.progress(1)
            continue
        weight = record.size + ITEM_OVERHEAD
        if items and size + weight > max_bytes:
            yield Chunk(index, rows, items)
            index, rows, items, size = index + 1, [], [], 0
        rows.append(record.row)
        items.append(item)
        size += weight
        if len(items) >= chunk_size:
            if skipped:
                events.skipped(skipped)
                skipped = 0
            yield Chunk(index, rows, items)
            index, rows, items, size = index + 1, [], [], 0
    if skipped:
        events.skipped(skipped)
    if items:
        yield Chunk(index, rows, items)
