"""The journal: one JSON object per line, appended, flushed and fsynced as it happens.

    {"type": "header", "version": 1, "fingerprint": ..., "input": ..., "target": ...}
    {"type": "run", "at": ...}                          each invocation
    {"type": "pending", "chunk": 7, "rows": [[1001, 1500]]}   before the request
    {"type": "done", "chunk": 7, "sent": [[1001, ["<message id>"]], ...],
                     "rejected": [[1007, ["<error>"]], ...]}  the API answered
    {"type": "unknown", "chunk": 7, "reason": ...}      timeout, 5xx, connection lost
    {"type": "released", "chunk": 7, "reason": ...}     refused (429 ...): not delivered
    {"type": "released", "chunk": 7, "rows": [[1001, 1500]], "reason": ...}
                                                        reconciled (--reconcile): these
                                                        rows never went out
    {"type": "fingerprint", "fingerprint": ...}         resumed with --force on new input

`rows` are runs [first, last] of row numbers (CSV/JSONL line numbers, or the
position in a batch JSON's `requests`). A `pending` chunk without an outcome
(the process died mid-request) reads as unknown: it may have been delivered.
The latest record about a row wins; a sent row is never sent again.

One run at a time: a run holds an exclusive OS lock (flock) on `<journal>.lock`
for as long as it writes, so a second run on the same journal refuses at once
(exit 2) instead of sending every row a second time. The OS drops the lock when
the process ends, however it ends, so a killed run never blocks the next one.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailtrap_cli.api.errors import UsageError

VERSION = 1
INTERRUPTED = "the run ended before the answer was recorded (killed, crashed or interrupted)"


def runs(rows: Iterable[int]) -> list[list[int]]:
    """Increasing row numbers -> [[first, last], ...] of consecutive runs."""
    out: list[list[int]] = []
    for row in rows:
        if out and row == out[-1][1] + 1:
            out[-1][1] = row
        else:
            out.append([row, row])
    return out


def expand(pairs: Iterable[Iterable[int]]) -> Iterator[int]:
    for first, last in pairs:
        yield from range(first, last + 1)


def describe(pairs: list[list[int]]) -> str:
    """[[1, 500], [502, 502]] -> '1-500, 502'."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in pairs)


class IntervalSet:
    """Row numbers as merged [first, last] runs: a resume over millions of sent
    rows costs a few numbers per chunk, not per row."""

    def __init__(self) -> None:
        self._pairs: list[list[int]] = []
        self._starts: list[int] = []
        self._dirty = False
        self.count = 0

    def add_runs(self, pairs: Iterable[Iterable[int]]) -> None:
        for first, last in pairs:
            self._pairs.append([first, last])
        self._dirty = True

    def _merge(self) -> None:
        merged: list[list[int]] = []
        for first, last in sorted(self._pairs):
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self._pairs = merged
        self._starts = [p[0] for p in merged]
        self.count = sum(b - a + 1 for a, b in merged)
        self._dirty = False

    def __contains__(self, row: int) -> bool:
        if self._dirty:
            self._merge()
        index = bisect.bisect_right(self._starts, row) - 1
        return index >= 0 and self._pairs[index][1] >= row

    def __len__(self) -> int:
        if self._dirty:
            self._merge()
        return self.count


@dataclass
class Resume:
    """What earlier runs did, row by row."""

    sent: IntervalSet = field(default_factory=IntervalSet)
    rejected: dict[int, list[str]] = field(default_factory=dict)
    unknown: dict[int, int] = field(default_factory=dict)       # row -> chunk
    reasons: dict[int, str] = field(default_factory=dict)       # chunk -> why unknown
    next_chunk: int = 0
    damaged: int = 0                                            # unreadable lines

    def status(self, row: int) -> str | None:
        if self.rejected and row in self.rejected:
            return "rejected"
        if self.unknown and row in self.unknown:
            return "unknown"
        if row in self.sent:
            return "sent"
        return None

    def unknown_chunks(self) -> list[dict[str, Any]]:
        """Chunks with rows whose outcome is still unknown, for the summary."""
        by_chunk: dict[int, list[int]] = {}
        for row, chunk in self.unknown.items():
            by_chunk.setdefault(chunk, []).append(row)
        return [{"chunk": chunk, "rows": describe(runs(sorted(rows))), "count": len(rows),
                 "reason": self.reasons.get(chunk, INTERRUPTED), "earlier_run": True}
                for chunk, rows in sorted(by_chunk.items())]

    def apply(self, record: dict[str, Any], pending: dict[int, list[list[int]]]) -> None:
        kind = record.get("type")
        chunk = record.get("chunk")
        if isinstance(chunk, int):
            self.next_chunk = max(self.next_chunk, chunk + 1)
        if kind == "pending":
            pending[chunk] = record.get("rows") or []
        elif kind == "done":
            pending.pop(chunk, None)
            sent_rows = [pair[0] for pair in record.get("sent") or []]
            self.sent.add_runs(runs(sent_rows))
            if self.rejected or self.unknown:
                for row in sent_rows:
                    self.rejected.pop(row, None)
                    self.unknown.pop(row, None)
            for row, errors in record.get("rejected") or []:
                self.unknown.pop(row, None)
                self.rejected[row] = errors
        elif kind == "unknown":
            self._mark_unknown(chunk, pending.pop(chunk, None) or [],
                               record.get("reason") or "outcome unknown")
        elif kind == "released":
            pending.pop(chunk, None)
            for row in expand(record.get("rows") or []):   # reconciled: never went out
                self.unknown.pop(row, None)

    def _mark_unknown(self, chunk: int, pairs: list[list[int]], reason: str) -> None:
        self.reasons[chunk] = reason
        for row in expand(pairs):
            self.rejected.pop(row, None)
            self.unknown[row] = chunk

    def finish(self, pending: dict[int, list[list[int]]]) -> None:
        for chunk, pairs in pending.items():
            self._mark_unknown(chunk, pairs, INTERRUPTED)


MAX_CHUNK_ROWS = 500   # the API's batch limit: no chunk ever held more rows


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _row_runs(value: Any) -> bool:
    """[[first, last], ...] holding at most one chunk's rows."""
    if not isinstance(value, list):
        return False
    total = 0
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and _is_int(pair[0])
                and _is_int(pair[1]) and pair[0] <= pair[1]):
            return False
        total += pair[1] - pair[0] + 1
        if total > MAX_CHUNK_ROWS:
            return False
    return True


def _row_lists(value: Any, strings: bool) -> bool:
    """[[row, [text, ...]], ...] as in `done` records."""
    if not isinstance(value, list) or len(value) > MAX_CHUNK_ROWS:
        return False
    return all(isinstance(item, list) and len(item) == 2 and _is_int(item[0])
               and isinstance(item[1], list)
               and (not strings or all(isinstance(t, str) for t in item[1]))
               for item in value)


def problem(record: dict[str, Any]) -> str | None:
    """What is wrong with a parsed record's fields (an edited or foreign journal),
    or None. Unknown record types are left alone (a newer version's)."""
    kind = record.get("type")
    if not isinstance(kind, str):
        return "`type` is not text"
    if kind in ("pending", "done", "unknown", "released") and not _is_int(record.get("chunk")):
        return "`chunk` is not a chunk number"
    if kind == "pending" and not _row_runs(record.get("rows")):
        return f"`rows` is not a list of [first, last] runs of at most {MAX_CHUNK_ROWS} rows"
    if kind == "done":
        if not _row_lists(record.get("sent") or [], strings=False):
            return "`sent` is not a list of [row, [message ids]]"
        if not _row_lists(record.get("rejected") or [], strings=True):
            return "`rejected` is not a list of [row, [errors]]"
    if kind in ("unknown", "released") and not isinstance(record.get("reason") or "", str):
        return "`reason` is not text"
    if kind == "fingerprint" and not isinstance(record.get("fingerprint"), str):
        return "`fingerprint` is not text"
    return None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def load(path: Path) -> tuple[dict[str, Any] | None, Resume, int]:
    """(header, resume state, byte length of the complete lines). A torn last line
    (the process died mid-write) is ignored; other unreadable lines are counted."""
    resume = Resume()
    pending: dict[int, list[list[int]]] = {}
    header: dict[str, Any] | None = None
    good_end = 0
    offset = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle):
            offset += len(line)
            if not line.endswith(b"\n"):
                break  # torn write: as if it never happened
            good_end = offset
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if number == 0:
                if not isinstance(record, dict) or record.get("type") != "header" \
                        or not isinstance(record.get("fingerprint"), str):
                    raise UsageError(f"{path} is not a `send batch` journal",
                                     hint="pass --journal with another path, or "
                                          "--new-journal to replace it")
                header = record
                continue
            if not isinstance(record, dict):
                resume.damaged += 1
                continue
            wrong = problem(record)
            if wrong:
                raise UsageError(
                    f"journal {path}:{number + 1}: {wrong}; it was edited or is not a "
                    "journal this version wrote",
                    hint="restore the line, or pass --new-journal to start over (every "
                         "row is sent again)")
            if record.get("type") == "fingerprint":  # resumed with --force
                header = {**header, "fingerprint": record.get("fingerprint")}
            resume.apply(record, pending)
    resume.finish(pending)
    return header, resume, good_end


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _acquire(path: Path) -> int:
    """An exclusive lock for one run on the journal at `path` (a file descriptor);
    UsageError at once when another run holds it."""
    target = lock_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot lock journal {path}: {exc.strerror or exc}") from None
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise UsageError(
            f"journal {path} is in use by another `send batch` run",
            hint="wait for that run to end (a second run at once would send every row "
                 "twice), or give this one another --journal") from None
    return fd


def _release(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)   # closing drops the flock


class Journal:
    """Append-only writer; every record reaches the disk before the call returns."""

    def __init__(self, path: Path, handle: Any, lock_fd: int | None = None) -> None:
        self.path = path
        self._handle = handle
        self._lock = threading.Lock()
        self._lock_fd = lock_fd

    @classmethod
    def open(cls, path: str | Path, header: dict[str, Any], *, new: bool = False,
             force: bool = False, write: bool = True) -> tuple[Journal | None, Resume, str | None]:
        """(journal, what earlier runs did, note for the user). `header` must carry a
        `fingerprint`; a journal of another input or message is refused unless
        `force` (resume anyway) or `new` (move it aside and start over)."""
        path = Path(path)
        lock_fd = _acquire(path) if write else None
        try:
            return cls._open(path, header, new=new, force=force, write=write, lock_fd=lock_fd)
        except BaseException:
            _release(lock_fd)
            raise

    @classmethod
    def _open(cls, path: Path, header: dict[str, Any], *, new: bool, force: bool, write: bool,
              lock_fd: int | None) -> tuple[Journal | None, Resume, str | None]:
        note = None
        exists = path.exists() and path.stat().st_size > 0
        if exists and new:
            if write:
                aside = path.with_name(f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}.old")
                os.replace(path, aside)
                note = f"previous journal moved to {aside}"
            exists = False
        resume = Resume()
        good_end = 0
        old: dict[str, Any] | None = None
        if exists:
            try:
                old, resume, good_end = load(path)
            except OSError as exc:
                raise UsageError(f"cannot read journal {path}: {exc.strerror or exc}") from None
            if old is not None and old.get("fingerprint") != header["fingerprint"] and not force:
                raise UsageError(
                    f"journal {path} belongs to a different input, message or destination "
                    f"(it records {len(resume.sent)} rows as sent)",
                    hint="rerun with the same file and flags; or pass --new-journal to start "
                         "over (every row is sent again), or --force to resume anyway, "
                         "matching rows by line number")
            exists = old is not None
        if not write:
            return None, resume, note
        adopt = old is not None and old.get("fingerprint") != header["fingerprint"]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "r+b" if exists else "wb")  # noqa: SIM115 - owned by Journal
        except OSError as exc:
            raise UsageError(f"cannot write journal {path}: {exc.strerror or exc}") from None
        if exists:
            handle.truncate(good_end)  # drop a torn last line before appending
            handle.seek(good_end)
        journal = cls(path, handle, lock_fd)
        if not exists:
            journal.write({"type": "header", "version": VERSION, "created": _now(), **header})
            _sync_dir(path.parent)
        if adopt:  # --force: from now on this journal belongs to the new input
            journal.write({"type": "fingerprint", "fingerprint": header["fingerprint"],
                           "at": _now()})
        journal.write({"type": "run", "at": _now(), "pid": os.getpid()})
        return journal, resume, note

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self._handle.write(line.encode("utf-8"))
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def pending(self, chunk: int, rows: list[int]) -> None:
        self.write({"type": "pending", "chunk": chunk, "rows": runs(rows)})

    def done(self, chunk: int, sent: list[tuple[int, list[str]]],
             rejected: list[tuple[int, list[str]]]) -> None:
        self.write({"type": "done", "chunk": chunk, "sent": sent, "rejected": rejected,
                    "at": _now()})

    def unknown(self, chunk: int, reason: str) -> None:
        self.write({"type": "unknown", "chunk": chunk, "reason": reason, "at": _now()})

    def released(self, chunk: int, reason: str) -> None:
        self.write({"type": "released", "chunk": chunk, "reason": reason})

    def close(self) -> None:
        with self._lock:
            self._handle.close()
            _release(self._lock_fd)
            self._lock_fd = None

    def __del__(self) -> None:
        # A run that stopped between opening and closing (an error on the way)
        # must not keep the journal locked for the rest of the process.
        _release(getattr(self, "_lock_fd", None))


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
