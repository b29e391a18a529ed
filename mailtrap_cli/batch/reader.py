"""Input readers: CSV and JSONL stream row by row; batch JSON is loaded whole.

Every reader yields Records in file order. `row` identifies the record in the
journal and in messages: the line where it starts for CSV and JSONL (so
`file:line: reason` points at it), the 1-based position in `requests` for the
API's batch JSON (the API's own format, written by people or small scripts:
it is loaded whole; large sends belong in CSV or JSONL).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, Any

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.message import MAX_MESSAGE_BYTES, loads_json

KINDS = ("json", "csv", "jsonl")
STDIN = "-"


@dataclass
class Record:
    row: int
    data: dict[str, Any] | None     # None when the row could not be read
    error: str | None = None
    size: int = 0                   # bytes as sent, to keep a chunk under 50 MB


def sent_size(value: Any) -> int:
    """Bytes of `value` in the request body, which goes out as ASCII-escaped JSON: a
    non-ASCII character there takes 6 or 12 bytes, not its 2 to 4 in UTF-8."""
    if isinstance(value, str):   # CSV fields: the C escaper, without json.dumps' overhead
        return len(encode_basestring_ascii(value))
    return len(json.dumps(value))


def label_of(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def where(kind: str, label: str, row: int) -> str:
    """`file:12` for line-based input, `file: requests[11]` for batch JSON."""
    return f"{label}: requests[{row - 1}]" if kind == "json" else f"{label}:{row}"


def _open_binary(path: str) -> IO[bytes]:
    if path == STDIN:
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the reader that owns it
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def is_regular(path: str) -> bool:
    """A file that can be read twice (hashed, then sent): not stdin, a pipe or a device.
    UsageError when there is nothing to read."""
    if path == STDIN:
        return False
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"cannot read {path}: it is a folder")
    if not target.exists():
        raise UsageError(f"cannot read {path}: no such file")
    return target.is_file()


def scan(path: str, block: int = 1 << 20) -> tuple[str, int]:
    """(sha256 of the file, number of lines) in one pass, without holding the file."""
    digest = hashlib.sha256()
    lines = 0
    last = b"\n"
    with _open_binary(path) as handle:
        while True:
            data = handle.read(block)
            if not data:
                break
            digest.update(data)
            lines += data.count(b"\n")
            last = data[-1:]
    if last != b"\n":
        lines += 1
    return digest.hexdigest(), lines


def _valid_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a surrogate escape: the bytes were not UTF-8
        return False
    return True


class CsvInput:
    """A CSV file with a header line; `email` required, `name` optional, every
    other column a variable. The header is read (and checked) on open."""

    kind = "csv"

    def __init__(self, path: str) -> None:
        self.path = path
        self.label = label_of(path)
        self.base: dict[str, Any] | None = None
        self._binary = _open_binary(path)
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig",
                                      errors="surrogateescape", newline="")
        # csv's default field limit (128 KiB) would refuse a large template variable
        # (an HTML block per row); a field up to the message limit is fine.
        csv.field_size_limit(max(csv.field_size_limit(), MAX_MESSAGE_BYTES))
        self._reader = csv.reader(self._text)
        self.columns = self._header()

    def _header(self) -> list[str]:
        try:
            for fields in self._reader:
                if any(f.strip() for f in fields):
                    break
            else:
                raise UsageError(f"{self.label}: the file is empty",
                                 hint="the first line must name the columns, one of them `email`")
        except csv.Error as exc:
            raise UsageError(f"{self.label}:{self._reader.line_num}: {exc}") from None
        if not all(_valid_text(f) for f in fields):
            raise UsageError(f"{self.label}:{self._reader.line_num}: not valid UTF-8")
        columns = []
        for name in fields:
            key = name.strip()
            if key.lower() in ("email", "name"):
                key = key.lower()
            columns.append(key)
        if "email" not in columns:
            found = ", ".join(c or "(empty)" for c in columns[:20])
            if len(columns) > 20:
                found += f", … ({len(columns)} columns)"
            raise UsageError(
                f"{self.label}: no `email` column in the header line (found: {found})",
                hint="the first line must name the columns: `email`, optionally `name`, and "
                     "any variables")
        # Counted once: 100,000 columns must not cost 10^10 comparisons.
        counts = Counter(columns)
        duplicates = sorted(c for c, n in counts.items() if n > 1)[:20]
        if duplicates:
            raise UsageError(f"{self.label}: the header repeats column "
                             f"{', '.join(repr(c) for c in duplicates)}")
        if "" in columns:
            raise UsageError(f"{self.label}: the header has a column without a name",
                             hint="name every column, or remove the empty one")
        return columns

    def close(self) -> None:
        if self.path == STDIN:
            self._text.detach()   # leave stdin itself open
        else:
            self._text.close()

    def records(self) -> Iterator[Record]:
        reader = self._reader
        width = len(self.columns)
        previous = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Record(previous + 1, None, f"unreadable CSV: {exc}")
                if reader.line_num == previous:
                    return
                previous = reader.line_num
                continue
            start, previous = previous + 1, reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            size = sum(sent_size(f) + len(c) + 4
                       for c, f in zip(self.columns, fields, strict=False))
            if len(fields) != width:
                yield Record(start, None, f"{len(fields)} fields, but the header has {width}",
                             size)
                continue
            if not all(_valid_text(f) for f in fields):
                yield Record(start, None, "not valid UTF-8", size)
                continue
            yield Record(start, dict(zip(self.columns, fields, strict=True)), None, size)


class JsonlInput:
    """One JSON object per line: a recipient (`email`, `name`, variables) or a
    full request item (with `to`, `cc` or `bcc`). Blank lines are skipped."""

    kind = "jsonl"

    def __init__(self, path: str) -> None:
        self.path = path
        self.label = label_of(path)
        self.base: dict[str, Any] | None = None
        self._binary = _open_binary(path)

    def close(self) -> None:
        if self.path != STDIN:
            self._binary.close()

    def records(self) -> Iterator[Record]:
        for number, line in enumerate(self._binary, 1):
            text = line.strip()
            if not text:
                continue
            try:
                value = loads_json(text)
            except UnicodeDecodeError:
                yield Record(number, None, "not valid UTF-8", len(text))
                continue
            except json.JSONDecodeError as exc:
                yield Record(number, None, f"invalid JSON: {exc.msg} (column {exc.colno})",
                             len(text))
                continue
            except ValueError as exc:   # NaN, Infinity
                yield Record(number, None, f"invalid JSON: {exc}", len(text))
                continue
            if not isinstance(value, dict):
                yield Record(number, None, "expected a JSON object", len(text))
                continue
            yield Record(number, value, None, sent_size(value))


class BatchJsonInput:
    """The API's own batch body, `{"base": {...}, "requests": [...]}`, loaded whole."""

    kind = "json"

    def __init__(self, path: str) -> None:
        self.path = path
        self.label = label_of(path)
        handle = _open_binary(path)
        try:
            raw = handle.read()
        finally:
            if path != STDIN:
                handle.close()
        try:
            body = loads_json(raw)
        except UnicodeDecodeError:
            raise UsageError(f"{self.label}: not valid UTF-8") from None
        except json.JSONDecodeError as exc:
            raise UsageError(f"{self.label}:{exc.lineno}: invalid JSON: {exc.msg} "
                             f"(column {exc.colno})") from None
        except ValueError as exc:   # NaN, Infinity
            raise UsageError(f"{self.label}: invalid JSON: {exc}") from None
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            raise UsageError(f"{self.label}: expected the API's batch body: "
                             '{"base": {...}, "requests": [...]}',
                             hint="for one recipient per row use --csv or --jsonl")
        base = body.get("base")
        if base is not None and not isinstance(base, dict):
            raise UsageError(f"{self.label}: `base` must be a JSON object")
        self.base = base
        self._requests: list[Any] = body["requests"]

    @property
    def count(self) -> int:
        return len(self._requests)

    def close(self) -> None:
        self._requests = []

    def records(self) -> Iterator[Record]:
        for index, item in enumerate(self._requests, 1):
            if not isinstance(item, dict):
                yield Record(index, None, "expected a JSON object")
                continue
            yield Record(index, item, None, sent_size(item))


Input = CsvInput | JsonlInput | BatchJsonInput


def open_input(kind: str, path: str) -> Input:
    """Open the input and check what can be checked before anything is sent."""
    if kind == "csv":
        return CsvInput(path)
    if kind == "jsonl":
        return JsonlInput(path)
    return BatchJsonInput(path)
