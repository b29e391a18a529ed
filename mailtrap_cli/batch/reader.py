"""Input readers: CSV and JSONL stream row by row, batch JSON request by request.

Every reader yields Records in file order. `row` identifies the record in the
journal and in messages: the line where it starts for CSV and JSONL (so
`file:line: reason` points at it), the 1-based position in `requests` for the
API's batch JSON.
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


class _JsonStream:
    """Reads one JSON value at a time from a file, holding a block and the value
    being read, never the whole file. `line` numbers errors as json.loads would."""

    BLOCK = 1 << 16

    def __init__(self, handle: IO[bytes], label: str) -> None:
        import codecs

        self.handle = handle
        self.label = label
        self._decode = codecs.getincrementaldecoder("utf-8-sig")("strict").decode
        self._json = json.JSONDecoder(parse_constant=_refuse_constant)
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1          # the line where `buf` starts

    def _more(self, size: int = BLOCK) -> bool:
        """Read another block (dropping what was read); False at the end of the file."""
        if self.eof:
            return False
        data = self.handle.read(size)
        try:
            text = self._decode(data, final=not data)
        except UnicodeDecodeError:
            raise UsageError(f"{self.label}: not valid UTF-8") from None
        if self.pos:
            self.line += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += text
        if not data:
            self.eof = True
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def where(self, pos: int | None = None) -> int:
        return self.line + self.buf.count("\n", 0, self.pos if pos is None else pos)

    def value(self) -> Any:
        """The next JSON value. It is complete only when something follows it (a
        number cut at the end of a block would parse too), or at the end of the file."""
        self.peek()
        size = self.BLOCK
        while True:
            try:
                value, end = self._json.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof:
                    self.pos = end
                    return value
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise UsageError(f"{self.label}:{self.where(exc.pos)}: invalid JSON: "
                                     f"{exc.msg} (column {exc.colno})") from None
            except ValueError as exc:   # NaN, Infinity
                raise UsageError(f"{self.label}:{self.where()}: invalid JSON: {exc}") from None
            self._more(size)
            size *= 2           # a large value: fewer, larger reads


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class BatchJsonInput:
    """The API's own batch body, `{"base": {...}, "requests": [...]}`, read as a
    stream: the base first, then one request at a time. When `requests` comes
    before `base` in the file, a first pass finds the base (a pipe, which can be
    read once, then keeps the requests in memory)."""

    kind = "json"

    def __init__(self, path: str) -> None:
        self.path = path
        self.label = label_of(path)
        self.base: dict[str, Any] | None = None
        self.count: int | None = None       # known when a first pass went through them
        self._held: list[Any] | None = None
        self._stream = self._open()
        if self._to_requests(self._stream):
            return
        # `requests` came first: go through it to the base, then start again.
        held: list[Any] | None = [] if self.path == STDIN else None
        count = 0
        for item in self._items(self._stream):
            count += 1
            if held is not None:
                held.append(item)
        self._finish(self._stream)
        self.count = count
        if held is not None:
            self._held = held
            return
        self._close_stream()
        self._stream = self._open()
        self._to_requests(self._stream, again=True)

    def _open(self) -> _JsonStream:
        stream = _JsonStream(_open_binary(self.path), self.label)
        if not stream.take("{"):
            self._close(stream)
            raise self._not_a_batch()
        return stream

    def _not_a_batch(self) -> UsageError:
        return UsageError(f"{self.label}: expected the API's batch body: "
                          '{"base": {...}, "requests": [...]}',
                          hint="for one recipient per row use --csv or --jsonl")

    def _close(self, stream: _JsonStream) -> None:
        if self.path != STDIN:
            stream.handle.close()

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._close(self._stream)
            self._stream = None

    def _key(self, stream: _JsonStream, first: bool) -> str | None:
        """The next key of the top-level object, None after its `}`."""
        if stream.take("}"):
            return None
        if not first and not stream.take(","):
            raise UsageError(f"{self.label}:{stream.where()}: invalid JSON: expected ',' or "
                             "'}' between the top-level fields")
        if stream.peek() != '"':
            raise UsageError(f"{self.label}:{stream.where()}: invalid JSON: expected a "
                             "field name")
        key = stream.value()
        if not stream.take(":"):
            raise UsageError(f"{self.label}:{stream.where()}: invalid JSON: expected ':'")
        return key

    def _to_requests(self, stream: _JsonStream, again: bool = False) -> bool:
        """Read up to the `[` of `requests`; True when the base is known by then."""
        first = True
        while True:
            key = self._key(stream, first)
            first = False
            if key is None:
                raise self._not_a_batch()
            if key == "requests":
                if not stream.take("["):
                    raise self._not_a_batch()
                return again or self.base is not None
            value = stream.value()
            if key == "base" and not again:
                if value is not None and not isinstance(value, dict):
                    raise UsageError(f"{self.label}: `base` must be a JSON object")
                self.base = value

    def _items(self, stream: _JsonStream) -> Iterator[Any]:
        """The items of `requests`, after its `[`."""
        if stream.take("]"):
            return
        while True:
            yield stream.value()
            if stream.take(","):
                continue
            if stream.take("]"):
                return
            raise UsageError(f"{self.label}:{stream.where()}: invalid JSON: expected ',' or "
                             "']' between the requests")

    def _finish(self, stream: _JsonStream) -> None:
        """The rest of the top-level object, after `requests`: the base may be there."""
        while True:
            key = self._key(stream, False)
            if key is None:
                break
            value = stream.value()
            if key == "base":
                if value is not None and not isinstance(value, dict):
                    raise UsageError(f"{self.label}: `base` must be a JSON object")
                self.base = value
        if stream.peek():
            raise UsageError(f"{self.label}:{stream.where()}: invalid JSON: extra data after "
                             "the batch body")

    def close(self) -> None:
        self._held = None
        self._close_stream()

    def records(self) -> Iterator[Record]:
        """Each request in turn. Invalid JSON after some were read ends the stream
        with one unreadable record: what was read is sent, the rest is not."""
        if self._held is not None:
            items: Iterator[Any] = iter(self._held)
        else:
            items = self._items(self._stream) if self._stream is not None else iter(())
        index = 0
        try:
            for index, item in enumerate(items, 1):
                if not isinstance(item, dict):
                    yield Record(index, None, "expected a JSON object")
                    continue
                yield Record(index, item, None, sent_size(item))
            if self._held is None and self._stream is not None:
                self._finish(self._stream)
        except UsageError as exc:
            yield Record(index + 1, None, f"{exc.message}; the rest of the file was not read")


Input = CsvInput | JsonlInput | BatchJsonInput


def open_input(kind: str, path: str) -> Input:
    """Open the input and check what can be checked before anything is sent."""
    if kind == "csv":
        return CsvInput(path)
    if kind == "jsonl":
        return JsonlInput(path)
    return BatchJsonInput(path)
