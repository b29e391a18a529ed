"""The import journal: one JSON object per line, appended and fsynced as it happens.

    {"type": "header", "version": 1, "kind": "contacts import", "fingerprint": ...}
    {"type": "run", "at": ...}
    {"type": "pending", "chunk": 3, "rows": [[100002, 150001]]}      before the POST
    {"type": "submitted", "chunk": 3, "import_id": 41, "rows": [...], "count": 50000}
    {"type": "released", "chunk": 3, "reason": ...}    refused: nothing was imported
    {"type": "finished", "chunk": 3, "import_id": 41, "status": "finished",
     "created": 10, "updated": 49990, "over_limit": 0}

Rows are line numbers, as runs. A rerun skips the rows of submitted chunks and
follows their imports to the end. A chunk left `pending` (the answer was lost)
is sent again: an import is an upsert by address, so that creates nothing twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.batch.journal import IntervalSet, _now, _sync_dir, runs

VERSION = 1
KIND = "contacts import"


@dataclass
class Submitted:
    chunk: int
    import_id: int
    count: int
    status: str = "created"
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Resume:
    submitted: IntervalSet = field(default_factory=IntervalSet)
    imports: dict[int, Submitted] = field(default_factory=dict)   # chunk -> import
    next_chunk: int = 0

    def apply(self, record: dict[str, Any]) -> None:
        chunk = record.get("chunk")
        if isinstance(chunk, int):
            self.next_chunk = max(self.next_chunk, chunk + 1)
        kind = record.get("type")
        if kind == "submitted":
            self.submitted.add_runs(record.get("rows") or [])
            self.imports[chunk] = Submitted(chunk, int(record["import_id"]),
                                            int(record.get("count") or 0))
        elif kind == "finished" and chunk in self.imports:
            item = self.imports[chunk]
            item.status = record.get("status") or "finished"
            item.counts = {k: int(record.get(k) or 0)
                           for k in ("created", "updated", "over_limit")}


class ImportJournal:
    def __init__(self, path: Path, handle: Any) -> None:
        self.path = path
        self._handle = handle

    @classmethod
    def open(cls, path: str | Path, fingerprint: str, *, new: bool = False,
             write: bool = True, source: str = "") -> tuple[ImportJournal | None, Resume]:
        path = Path(path)
        resume = Resume()
        exists = path.exists() and path.stat().st_size > 0
        if exists and new and write:
            path.unlink()
            exists = False
        good_end = 0
        if exists:
            header, resume, good_end = _load(path)
            if header.get("fingerprint") != fingerprint and not resume.imports:
                # nothing submitted under the old file or options: start over
                resume = Resume()
                if write:
                    path.unlink()
                exists = False
            elif header.get("fingerprint") != fingerprint:
                raise UsageError(
                    f"journal {path} belongs to another file or other options "
                    f"({len(resume.submitted)} rows recorded as submitted)",
                    hint="rerun with the same file and flags, or pass --new-journal to start "
                         "over")
        if not write:
            return None, resume
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "r+b" if exists else "wb")  # noqa: SIM115 - owned by the journal
        except OSError as exc:
            raise UsageError(f"cannot write journal {path}: {exc.strerror or exc}") from None
        journal = cls(path, handle)
        if exists:
            handle.truncate(good_end)
            handle.seek(good_end)
        else:
            journal.write({"type": "header", "version": VERSION, "kind": KIND,
                           "fingerprint": fingerprint, "input": source, "created": _now()})
            _sync_dir(path.parent)
        journal.write({"type": "run", "at": _now(), "pid": os.getpid()})
        return journal, resume

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        self._handle.write(line.encode("utf-8"))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def pending(self, chunk: int, rows: list[int]) -> None:
        self.write({"type": "pending", "chunk": chunk, "rows": runs(rows)})

    def submitted(self, chunk: int, import_id: int, rows: list[int]) -> None:
        self.write({"type": "submitted", "chunk": chunk, "import_id": import_id,
                    "rows": runs(rows), "count": len(rows), "at": _now()})

    def released(self, chunk: int, reason: str) -> None:
        self.write({"type": "released", "chunk": chunk, "reason": reason})

    def finished(self, chunk: int, import_id: int, status: str, counts: dict[str, int]) -> None:
        self.write({"type": "finished", "chunk": chunk, "import_id": import_id,
                    "status": status, **counts, "at": _now()})

    def close(self) -> None:
        self._handle.close()


def _load(path: Path) -> tuple[dict[str, Any], Resume, int]:
    resume = Resume()
    header: dict[str, Any] | None = None
    good_end = offset = 0
    try:
        handle = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"cannot read journal {path}: {exc.strerror or exc}") from None
    with handle:
        for number, line in enumerate(handle):
            offset += len(line)
            if not line.endswith(b"\n"):
                break           # a torn last line: as if never written
            good_end = offset
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if number == 0:
                if not isinstance(record, dict) or record.get("kind") != KIND:
                    raise UsageError(f"{path} is not a contacts import journal",
                                     hint="pass --journal with another path")
                header = record
            elif isinstance(record, dict):
                resume.apply(record)
    if header is None:
        raise UsageError(f"{path} is not a contacts import journal")
    return header, resume, good_end
