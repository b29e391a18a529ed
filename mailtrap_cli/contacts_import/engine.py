"""Validate every row, send chunks of at most 50,000 contacts, follow the imports.

    importer = Importer(client, Options(path="people.csv"), schema)
    checked = importer.check()          # every row, before anything is sent
    imports = importer.submit()         # journaled POST /api/contacts/imports
    summary = importer.wait(imports, timeout=600)

The file is read once to check and once to send, streaming: memory stays flat
whatever its size (stdin is spooled to a temporary file first). Nothing is sent
while a row is bad unless `skip_invalid`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailtrap_cli.api import contacts as api
from mailtrap_cli.api.errors import (
    MailtrapError,
    PartialFailureError,
    TimedOutError,
    UsageError,
)
from mailtrap_cli.batch.reader import STDIN, is_regular, label_of
from mailtrap_cli.contacts_import.journal import ImportJournal, Resume, Submitted
from mailtrap_cli.contacts_import.rows import ContactReader, Schema, guess_format

FINAL = ("finished", "failed")
SHOWN_PROBLEMS = 50          # bad rows listed one by one; the rest are counted


@dataclass
class Options:
    path: str
    fmt: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    list_ids: list[int] = field(default_factory=list)
    skip_invalid: bool = False
    chunk_size: int = api.MAX_IMPORT
    journal: str | None = None       # default: <file>.import-journal.jsonl (none for stdin)
    new_journal: bool = False


@dataclass
class Checked:
    rows: int = 0
    valid: int = 0
    bad: int = 0
    problems: list[str] = field(default_factory=list)   # "file:line: reason", the first few
    already: int = 0                                    # valid rows submitted by earlier runs


@dataclass
class Progress:
    """What the command shows: rows sent or imports followed so far."""

    phase: str          # "checking" | "sending" | "waiting"
    done: int
    total: int | None
    note: str = ""


class Importer:
    def __init__(self, client: Any, options: Options, schema: Schema, *,
                 on_progress: Callable[[Progress], None] | None = None,
                 before_request: Callable[[], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, stdin: Any = None) -> None:
        self.client = client
        self.stdin = stdin           # a binary stream for `-` (default: sys.stdin's)
        self.options = options
        self.schema = schema
        self.label = label_of(options.path)
        self.fmt = guess_format(options.path, options.fmt)
        self.on_progress = on_progress or (lambda p: None)
        self.before_request = before_request or (lambda: None)
        self.sleep = sleep
        self._spool: str | None = None
        self.journal: ImportJournal | None = None
        self.path = self._readable(options.path)
        try:
            self.reader = ContactReader(self.path, self.fmt, schema, mapping=options.mapping,
                                        list_ids=options.list_ids, label=self.label)
            self.fingerprint = self._fingerprint()
        except BaseException:
            self.close()
            raise
        self.resume = Resume()
        self.checked = Checked()

    # -- input ---------------------------------------------------------------
    def _readable(self, path: str) -> str:
        if path != STDIN and is_regular(path):
            return path
        # stdin or a pipe: spool it once, so it can be read twice in flat memory
        handle = tempfile.NamedTemporaryFile(prefix="mailtrap-import-", suffix=".spool",  # noqa: SIM115
                                             delete=False)
        try:
            stdin = self.stdin if self.stdin is not None else sys.stdin.buffer
            source = stdin if path == STDIN else open(path, "rb")  # noqa: SIM115
            with handle:
                shutil.copyfileobj(source, handle, 1 << 20)
            if path != STDIN:
                source.close()
        except OSError as exc:
            os.unlink(handle.name)
            raise UsageError(f"cannot read {self.label}: {exc.strerror or exc}") from None
        self._spool = handle.name
        return handle.name

    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        with open(self.path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        opts = {"format": self.fmt, "map": sorted(self.options.mapping.items()),
                "lists": sorted(self.options.list_ids)}
        digest.update(json.dumps(opts, sort_keys=True).encode())
        return digest.hexdigest()

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        if self._spool:
            with contextlib.suppress(OSError):
                os.unlink(self._spool)
            self._spool = None

    def journal_path(self) -> Path | None:
        if self.options.journal:
            return Path(self.options.journal)
        if self.options.path == STDIN:
            return None
        return Path(self.options.path + ".import-journal.jsonl")

    def load_journal(self, *, write: bool) -> None:
        path = self.journal_path()
        if path is None:
            return
        if write:
            self.journal, self.resume = ImportJournal.open(
                path, self.fingerprint, new=self.options.new_journal, source=self.label)
        elif path.exists() and not self.options.new_journal:
            _, self.resume = ImportJournal.open(path, self.fingerprint, write=False)

    # -- 1. check every row --------------------------------------------------
    def check(self) -> Checked:
        checked = self.checked = Checked()
        for row in self.reader.rows():
            checked.rows += 1
            if row.contact is None:
                checked.bad += 1
                if len(checked.problems) < SHOWN_PROBLEMS:
                    checked.problems.append(f"{self.label}:{row.line}: {row.error}")
            else:
                checked.valid += 1
                if row.line in self.resume.submitted:
                    checked.already += 1
            if checked.rows % 50_000 == 0:
                self.on_progress(Progress("checking", checked.rows, None))
        return checked

    # -- 2. send -------------------------------------------------------------
    def submit(self) -> list[Submitted]:
        """POST the rows not yet submitted, in chunks; every import, old and new."""
        if self.checked.bad and not self.options.skip_invalid:
            raise UsageError(f"{self.checked.bad} bad row(s) in {self.label}; nothing was sent",
                             hint="fix them, or pass --skip-invalid to import the others")
        if self.journal is None:
            self.load_journal(write=True)
        total = self.checked.valid - self.checked.already
        sent = 0
        chunk_no = self.resume.next_chunk
        lines: list[int] = []
        batch: list[dict[str, Any]] = []
        imports = list(self.resume.imports.values())
        for row in self.reader.rows():
            if row.contact is None or row.line in self.resume.submitted:
                continue
            lines.append(row.line)
            batch.append(row.contact)
            if len(batch) >= self.options.chunk_size:
                imports.append(self._send(chunk_no, lines, batch))
                sent += len(batch)
                chunk_no += 1
                lines, batch = [], []
                self.on_progress(Progress("sending", sent, total))
        if batch:
            imports.append(self._send(chunk_no, lines, batch))
            sent += len(batch)
            self.on_progress(Progress("sending", sent, total))
        return imports

    def _send(self, chunk: int, lines: list[int], batch: list[dict[str, Any]]) -> Submitted:
        if self.journal:
            self.journal.pending(chunk, lines)
        self.before_request()
        try:
            answer = api.start_import(batch).send(self.client)
        except MailtrapError as exc:
            if self.journal and exc.status is not None and exc.status < 500:
                self.journal.released(chunk, exc.message)
            raise
        import_id = int(answer["id"]) if isinstance(answer, dict) and "id" in answer else None
        if import_id is None:
            raise MailtrapError(f"the import API answered without an id: {answer!r}"[:300])
        if self.journal:
            self.journal.submitted(chunk, import_id, lines)
        item = Submitted(chunk, import_id, len(batch), str(answer.get("status") or "created"))
        self.resume.imports[chunk] = item
        return item

    # -- 3. follow -----------------------------------------------------------
    def wait(self, imports: list[Submitted], *, timeout: float | None,
             interval: float = 2.0) -> None:
        """Poll every unfinished import until it is final. TimedOutError after `timeout`."""
        def record(item: Submitted) -> None:
            if self.journal:
                self.journal.finished(item.chunk, item.import_id, item.status, item.counts)

        follow(self.client, imports, timeout=timeout, interval=interval, sleep=self.sleep,
               before_request=self.before_request, on_progress=self.on_progress,
               on_final=record)

    # -- the result ----------------------------------------------------------
    def summary(self, imports: list[Submitted], *, waited: bool) -> dict[str, Any]:
        items = sorted(imports, key=lambda i: i.chunk)
        result: dict[str, Any] = {
            "file": self.label, "rows": self.checked.rows, "valid": self.checked.valid,
            "invalid": self.checked.bad, "already_submitted": self.checked.already,
            "imports": [{"id": i.import_id, "contacts": i.count, "status": i.status,
                         **({"created": i.counts.get("created", 0),
                             "updated": i.counts.get("updated", 0),
                             "over_limit": i.counts.get("over_limit", 0)}
                            if i.status in FINAL else {})} for i in items],
        }
        if waited:
            for key in ("created", "updated", "over_limit"):
                result[key] = sum(i.counts.get(key, 0) for i in items)
        path = self.journal_path()
        result["journal"] = str(path) if path else None
        return result


def failed_imports(imports: list[Submitted]) -> PartialFailureError | None:
    failed = [i for i in imports if i.status == "failed"]
    if not failed:
        return None
    return PartialFailureError(
        f"{len(failed)} of {len(imports)} import(s) failed: "
        + ", ".join(str(i.import_id) for i in failed))


def send_all(client: Any, contacts: Any, *, chunk_size: int = api.MAX_IMPORT,
             before_request: Callable[[], None] | None = None,
             on_progress: Callable[[Progress], None] | None = None,
             total: int | None = None) -> list[Submitted]:
    """POST `contacts` (an iterable of import contacts) in chunks, no journal
    (for `sync`, whose plan is worked out again from the account on a rerun)."""
    imports: list[Submitted] = []
    batch: list[dict[str, Any]] = []
    sent = 0

    def flush() -> None:
        nonlocal sent
        if before_request:
            before_request()
        answer = api.start_import(batch).send(client)
        imports.append(Submitted(len(imports), int(answer["id"]), len(batch),
                                 str(answer.get("status") or "created")))
        sent += len(batch)
        if on_progress:
            on_progress(Progress("sending", sent, total))

    for contact in contacts:
        batch.append(contact)
        if len(batch) >= chunk_size:
            flush()
            batch = []
    if batch:
        flush()
    return imports


def follow(client: Any, imports: list[Submitted], *, timeout: float | None,
           interval: float = 2.0, sleep: Callable[[float], None] = time.sleep,
           before_request: Callable[[], None] | None = None,
           on_progress: Callable[[Progress], None] | None = None,
           on_final: Callable[[Submitted], None] | None = None) -> None:
    """Poll every unfinished import until it is final; TimedOutError after `timeout`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    waiting = [i for i in imports if i.status not in FINAL]
    total = sum(i.count for i in imports)
    delay = max(0.01, interval)
    while True:
        for item in list(waiting):
            if before_request:
                before_request()
            answer = api.get_import(client, item.import_id)
            item.status = str(answer.get("status") or item.status)
            if item.status in FINAL:
                item.counts = {"created": int(answer.get("created_contacts_count") or 0),
                               "updated": int(answer.get("updated_contacts_count") or 0),
                               "over_limit": int(answer.get("contacts_over_limit_count")
                                                 or 0)}
                if on_final:
                    on_final(item)
                waiting.remove(item)
        done = sum(i.count for i in imports if i.status in FINAL)
        states = sorted({i.status for i in waiting})
        if on_progress:
            on_progress(Progress("waiting", done, total, ", ".join(states)))
        if not waiting:
            return
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            ids = ", ".join(str(i.import_id) for i in waiting)
            raise TimedOutError(
                f"gave up waiting after {timeout:g}s: import {ids} "
                f"{'is' if len(waiting) == 1 else 'are'} still {', '.join(states)}",
                hint="the import goes on; rerun the same command to follow it "
                     "(nothing is imported twice)")
        sleep(delay if left is None else min(delay, left))
        delay = min(delay * 1.5, max(interval, 0.01) * 5)
