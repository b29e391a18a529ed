"""The one place that prints.

Data goes to stdout as a rich table (TTY), JSON, JSONL or TSV; everything
human (hints, progress, warnings, errors) goes to stderr. JSON is written
with json.dumps, never through rich markup, and is the API's objects whole.
Everything else a person reads (table cells, TSV, hints, warnings, errors)
has its control characters made visible (safetext.visible): a subject with
`ESC[2J` or OSC 52 is shown, not obeyed by the terminal.
rich is imported only when a table or a progress bar is actually drawn.

A command hands `emit` its data and a `View` that says how the data reads as
a table: which columns, how one item becomes a row, what is masked. The mode
(table, JSON, JSONL, TSV) is decided here; no command branches on it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import IO as Stream
from typing import Any

from mailtrap_cli.io import IO
from mailtrap_cli.safetext import visible

MODES = ("auto", "table", "json", "jsonl", "tsv")
JSON_MODES = ("json", "jsonl")
Column = str | tuple[str, str]


@dataclass(frozen=True)
class Part:
    """One table of a view drawn as several (`messages analyze`), or a note when
    `data` is a string (said on stderr as a success line)."""

    data: Any
    view: View | None = None
    title: str | None = None


@dataclass(frozen=True)
class View:
    """How data reads for a person; JSON and JSONL always get the data whole.

    - `columns`: (key, header) pairs, or keys, for tables and TSV; `a.b` reaches
      into nested objects. None: every scalar field of the first item.
    - `key`: the columns a table keeps however narrow the terminal (default: the
      first); the others are shown in order while they fit, cut with `…`.
    - `row`: one item -> the row a table or TSV shows (computed columns).
    - `mask`: changes the data in place for every mode (passwords); returns True
      when it hid something, and `masked` is then said on stderr.
    - `flat`: the whole answer -> what a table or TSV shows instead (a report's
      rules list, a headers object's inner dict).
    - `table`: the whole answer -> Parts, for a table drawn as several (TSV
      still uses `flat`).
    """

    columns: Sequence[Column] | None = None
    key: Sequence[str] = ()
    row: Callable[[Any], Any] | None = None
    mask: Callable[[Any], bool] | None = None
    masked: str | None = None
    flat: Callable[[Any], Any] | None = None
    table: Callable[[Any], Iterable[Part | str]] | None = None
    # A table printed row by row as items arrive (`logs tail`), columns cut to
    # widths fixed up front, instead of one table drawn at the end.
    live: dict[str, int] | None = None


PLAIN = View()


def dumps(value: Any, *, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


def pluck(item: Any, key: str) -> Any:
    """`a.b.c` lookup through nested dicts; missing parts give None. A scalar
    item (a list of strings) is its own `value` column."""
    if not isinstance(item, dict) and key == "value":
        return item
    value = item
    for part in key.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _infer_columns(item: Any) -> list[tuple[str, str]]:
    if not isinstance(item, dict):
        return [("value", "value")]
    cols = [(k, k) for k, v in item.items() if not isinstance(v, (dict, list))]
    return cols or [(k, k) for k in item]


def _norm_columns(columns: Sequence[Column] | None, first: Any) -> list[tuple[str, str]]:
    if not columns:
        return _infer_columns(first)
    return [(c, c) if isinstance(c, str) else (c[0], c[1]) for c in columns]


def primed(items: Iterable[Any]) -> Iterator[Any]:
    """The first item fetched before anything is printed, so an error on the
    first page (a missing sandbox) leaves stdout empty instead of a dangling
    JSON `[`; the rest stays lazy (--all streams in constant memory)."""
    iterator = iter(items)
    first = next(iterator, _END)
    return iter(()) if first is _END else chain([first], iterator)


_END = object()


class Output:
    def __init__(self, mode: str = "auto", *, quiet: bool = False, no_color: bool = False,
                 stdout: Stream[str] | None = None, stderr: Stream[str] | None = None,
                 io: IO | None = None) -> None:
        if io is None:
            io = IO(quiet=quiet, no_color=no_color)
            if stdout is not None:
                io.stdout = stdout
            if stderr is not None:
                io.stderr = stderr
        self.io = io
        self.fields: list[str] | None = None   # --fields a,b: only these columns / keys
        self.requested = mode
        self.mode = self._resolve(mode)

    # -- environment -----------------------------------------------------
    @property
    def stdout(self) -> Stream[str]:
        return self.io.stdout

    @property
    def stderr(self) -> Stream[str]:
        return self.io.stderr

    @property
    def quiet(self) -> bool:
        return self.io.quiet

    @property
    def no_color(self) -> bool:
        return self.io.no_color or bool(os.environ.get("NO_COLOR"))

    @property
    def stdout_tty(self) -> bool:
        return self.io.stdout_tty

    @property
    def stderr_tty(self) -> bool:
        return self.io.stderr_tty

    def _resolve(self, mode: str) -> str:
        if mode == "auto":
            return "table" if self.stdout_tty else "json"
        return mode

    def _color(self, code: str, text: str) -> str:
        if self.no_color or not self.stderr_tty:
            return text
        return f"\033[{code}m{text}\033[0m"

    # -- human side: stderr ------------------------------------------------
    def info(self, message: str) -> None:
        if not self.quiet:
            print(visible(message, lines=True), file=self.stderr, flush=True)

    def success(self, message: str) -> None:
        if not self.quiet:
            print(self._color("32", "✓") + " " + visible(message, lines=True),
                  file=self.stderr, flush=True)

    def warn(self, message: str) -> None:
        print(self._color("33", "warning:") + " " + visible(message, lines=True),
              file=self.stderr, flush=True)

    def error(self, message: str, hint: str | None = None) -> None:
        # One line each: text from a server cannot start a fake `hint:` line.
        print(self._color("31", "error:") + " " + visible(message), file=self.stderr,
              flush=True)
        if hint:
            print(self._color("2", "hint:") + " " + visible(hint), file=self.stderr,
                  flush=True)

    def console(self, *, stderr: bool = True) -> Any:
        from rich.console import Console

        no_color = self.no_color
        # no_color alone keeps bold and other non-colour styles: no escapes at all.
        extra: dict[str, Any] = {"color_system": None} if no_color else {}
        return Console(file=self.stderr if stderr else self.stdout,
                       no_color=no_color, force_terminal=None,
                       highlight=False, soft_wrap=False, **extra)

    def progress(self, *columns: Any, transient: bool = False) -> Any:
        """A rich Progress on stderr, or None when stderr is not a TTY or -q."""
        if self.quiet or not self.stderr_tty:
            return None
        from rich.progress import Progress

        return Progress(*columns, console=self.console(), transient=transient)

    # -- data side: stdout ------------------------------------------------
    def emit(self, data: Any, view: View | None = None, *,
             columns: Sequence[Column] | None = None, title: str | None = None) -> None:
        """Render data: a dict (one object), a list or iterator (many), or a scalar."""
        view = view or (View(columns=columns) if columns else PLAIN)
        source = data
        if isinstance(data, Iterator):
            data = primed(data)
        if view.mask is not None and data is not None:
            data = _masking(data, view) if isinstance(data, Iterator) else \
                self._mask_now(data, view)
        if self.fields:
            count = self._emit_fields(data, view, title)
        elif self.mode in JSON_MODES or data is None:
            count = self._emit_data(data, None, title)
        elif self.mode == "table" and view.table is not None:
            count = 0
            for part in view.table(data):
                if isinstance(part, str):
                    self.success(part)
                else:
                    self._emit_data(part.data, part.view or PLAIN, part.title)
        else:
            count = self._emit_data(view.flat(data) if view.flat else data, view, title)
        if getattr(source, "more", False):
            # The API has more than the page that was asked for (DESIGN: a list cut at
            # a page says so on stderr).
            self.info(f"showing {count}; --all for every page")

    def _mask_now(self, data: Any, view: View) -> Any:
        if view.mask(data) and view.masked:  # type: ignore[misc]
            self.info(view.masked)
        return data

    def _emit_data(self, data: Any, view: View | None, title: str | None) -> int:
        view = view or PLAIN
        if isinstance(data, dict):
            self._emit_one(view.row(data) if view.row else data)
            return 1
        if isinstance(data, (list, tuple, Iterator)):
            rows = (view.row(item) for item in data) if view.row and self.mode not in \
                JSON_MODES else data
            if view.live and self.mode == "table":
                return self._live(rows, view)
            return self._emit_many(rows, view.columns, title, view.key)
        if data is None:
            return 0
        if self.mode in JSON_MODES:
            self._write(dumps(data, indent=None) + "\n")  # a scalar is still JSON
        else:
            self._write(visible(cell(data)) + "\n")
        return 1

    def _emit_fields(self, data: Any, view: View, title: str | None) -> int:
        """--fields a,b.c: only those, in that order; JSON gets objects with just those
        keys (`a.b` reaches into nested objects and keeps its dotted name)."""
        fields = list(self.fields or [])
        if self.mode not in JSON_MODES and view.flat is not None:
            data = view.flat(data)

        def pick(item: Any) -> Any:
            if not isinstance(item, dict):
                return item
            row = view.row(item) if view.row and self.mode not in JSON_MODES else {}
            return {f: pluck(item, f) if pluck(item, f) is not None else pluck(row, f)
                    for f in fields}

        if isinstance(data, dict):
            self._emit_one(pick(data))
            return 1
        if isinstance(data, (list, tuple, Iterator)):
            return self._emit_many((pick(item) for item in data), [(f, f) for f in fields],
                                   title, fields[:1])
        return self._emit_data(data, None, title)

    def lines(self, values: Sequence[str]) -> None:
        """Values a script reads one per line (`wait --extract`); a JSON list when
        JSON or JSONL was asked for by name."""
        if self.requested in JSON_MODES:
            self._emit_many(values, None, None)
        else:
            self.text("\n".join(values))

    def follow(self, items: Iterable[dict[str, Any]], line: Callable[[dict[str, Any]], str]
               ) -> None:
        """Items as they come (`messages list --follow`): one JSON object a line in
        JSON modes (so piped output is JSONL), else `line(item)` for a person."""
        for item in items:
            if self.mode in JSON_MODES:
                self._write(dumps(item, indent=None) + "\n")
            else:
                self._write(line(item) + "\n")

    def named_lines(self, values: dict[str, Any]) -> None:
        """Several named values a script reads (`wait --extract link --extract code`):
        one line each in order (a list gives a line per item); one JSON object when
        JSON or JSONL was asked for by name."""
        if self.requested in JSON_MODES:
            self._emit_one(values)
            return
        flat: list[str] = []
        for value in values.values():
            flat += [str(v) for v in value] if isinstance(value, list) else [str(value)]
        self.text("\n".join(flat))

    def json_asked(self) -> str | None:
        """"json" or "jsonl" when asked for by name (-o), else None: for data with a
        native format of its own (an export's CSV) that JSON replaces only on request."""
        return self.requested if self.requested in JSON_MODES else None

    def text(self, value: str) -> None:
        """Plain text data (a body, a token) to stdout, as it is."""
        self._write(value if value.endswith("\n") else value + "\n")

    def document(self, text: str, data: Any) -> None:
        """Text a person or a file reads (a diff, a rendered body) as it is; `data`
        as JSON instead when -o json or jsonl was asked for by name."""
        if self.requested in JSON_MODES:
            self._emit_data(data, None, None)
        elif text:
            self._write(text)

    def record(self, obj: dict[str, Any], line: Callable[[dict[str, Any]], str]) -> None:
        """One record of a live stream (`webhooks listen`): `line(obj)` on a
        terminal, else one compact JSON line, written at once."""
        if self.mode == "table":
            self._write(line(obj) + "\n")
        else:
            self._write(dumps(obj, indent=None) + "\n")

    def raw(self, data: bytes) -> None:
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is not None:
            self.stdout.flush()
            buffer.write(data)
            buffer.flush()
        else:
            self.stdout.write(data.decode("utf-8", "replace"))

    def _write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _emit_one(self, obj: dict[str, Any]) -> None:
        if self.mode in ("json",):
            self._write(dumps(obj) + "\n")
        elif self.mode == "jsonl":
            self._write(dumps(obj, indent=None) + "\n")
        elif self.mode == "tsv":
            for key, value in obj.items():
                self._write(f"{_tsv(str(key))}\t{_tsv(cell(value))}\n")
        else:
            self._table_kv(obj)

    def _emit_many(self, items: Iterable[Any], columns: Sequence[Column] | None,
                   title: str | None, key: Sequence[str] = ()) -> int:
        """Many items in the mode; returns how many."""
        count = 0
        if self.mode == "json":
            # Stream the array so --all stays in constant memory.
            self.stdout.write("[")
            for item in items:
                self.stdout.write(("\n" if not count else ",\n") + _indent(dumps(item)))
                count += 1
            self._write("\n]\n" if count else "]\n")
        elif self.mode == "jsonl":
            for item in items:
                self._write(dumps(item, indent=None) + "\n")
                count += 1
        elif self.mode == "tsv":
            cols: list[tuple[str, str]] | None = None
            for item in items:
                if cols is None:
                    cols = _norm_columns(columns, item)
                    self._write("\t".join(_tsv(h) for _, h in cols) + "\n")
                self._write("\t".join(_tsv(cell(pluck(item, k))) for k, _ in cols) + "\n")
                count += 1
            if cols is None and columns:
                # An empty list still has its header row: `cut`, `awk` and
                # spreadsheets see the same columns either way.
                self._write("\t".join(_tsv(h) for _, h in _norm_columns(columns, None)) + "\n")
        else:
            rows = list(items)
            count = len(rows)
            self._table(rows, columns, title, key)
        return count

    def _live(self, items: Iterable[Any], view: View) -> int:
        """One line a row, as rows come; a cell longer than its width is cut with …."""
        cols = _norm_columns(view.columns, None)
        widths = view.live or {}

        def fit(text: str, key: str) -> str:
            width = widths.get(key)
            if width is None:
                return text
            return (text[:width - 1] + "…" if len(text) > width else text).ljust(width)

        self._write("  ".join(fit(h, k) for k, h in cols).rstrip() + "\n")
        count = 0
        for item in items:
            line = "  ".join(fit(visible(cell(pluck(item, k))).replace("\n", " "), k)
                             for k, _ in cols)
            self._write(line.rstrip() + "\n")
            count += 1
        return count

    def _table(self, items: list[Any], columns: Sequence[Column] | None,
               title: str | None, key: Sequence[str] = ()) -> None:
        if not items:
            self.info("(no results)")
            return
        from rich.table import Table

        console = self.console(stderr=False)
        cols = _norm_columns(columns, items[0])
        # Visible first: widths are measured on what is shown.
        cells = [[visible(_short_time(cell(pluck(item, k)))) for k, _ in cols] for item in items]
        shown = _fitting(cols, cells, console.width, key or [cols[0][0]])
        if columns is None and len(shown) < len(cols) and all(isinstance(i, dict)
                                                               for i in items):
            # Wide objects and no view to pick columns: one key/value block each.
            for index, item in enumerate(items):
                if index:
                    self._write("\n")
                self._table_kv(item)
            return
        widths = _widths([cols[i][1] for i in shown], [[row[i] for i in shown] for row in cells],
                         console.width)
        table = Table(title=title, header_style="bold", box=None, pad_edge=False)
        for index, width in zip(shown, widths, strict=True):
            table.add_column(visible(cols[index][1]), no_wrap=True, overflow="ellipsis",
                             width=width)
        for row in cells:
            table.add_row(*(_markup_safe(row[index]) for index in shown))
        console.print(table)
        hidden = [cols[i][1] or cols[i][0] for i in range(len(cols)) if i not in shown]
        if hidden:
            self.info(f"({', '.join(hidden)} not shown at this width; --fields picks columns)")

    def _table_kv(self, obj: dict[str, Any]) -> None:
        from rich.table import Table

        console = self.console(stderr=False)
        rows = [(str(key), _short_time(cell(value))) for key, value in obj.items()]
        # Keys whole (they are what a reader scans for), values cut to the line.
        key_width = min(30, max((len(k) for k, _ in rows), default=1))
        value_width = max(10, min(console.width - key_width - 2 * GAP,
                                  max((len(v) for _, v in rows), default=1)))
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column("key", style="bold", no_wrap=True, width=key_width)
        table.add_column("value", no_wrap=True, overflow="ellipsis", width=value_width)
        for key, value in rows:
            table.add_row(_markup_safe(key), _markup_safe(value))
        console.print(table)


CAP = 32        # widest a column counts when deciding what fits (rich cuts it to fit)
GAP = 1         # rich's padding between columns without a box


def _fitting(cols: list[tuple[str, str]], cells: list[list[str]], width: int,
             key: Sequence[str]) -> list[int]:
    """Indexes of the columns a table of `width` shows, in their order: the key
    columns always, then the others in order while they fit."""
    natural = [max([len(header)] + [len(row[i]) for row in cells])
               for i, (_, header) in enumerate(cols)]
    keys = [i for i, (k, _) in enumerate(cols) if k in key] or [0]
    chosen = set(keys)
    used = sum(min(natural[i], CAP) for i in keys) + GAP * 2 * (len(keys) - 1)
    for i in range(len(cols)):
        if i in chosen:
            continue
        need = min(natural[i], CAP) + GAP * 2
        if used + need <= width:
            chosen.add(i)
            used += need
    return sorted(chosen)


def _widths(headers: list[str], cells: list[list[str]], width: int) -> list[int]:
    """Column widths that fit `width`: the widest columns are cut first, none below
    its header (or 6), so an id column never disappears for a long subject."""
    natural = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    floors = [min(n, max(len(h), 6)) for n, h in zip(natural, headers, strict=True)]
    available = width - GAP * 2 * (len(headers) - 1)
    if sum(natural) <= available:
        return natural
    low, high = 0, max(natural)
    while low < high:  # the largest cap at which the columns fit
        cap = (low + high + 1) // 2
        if sum(min(n, max(cap, f)) for n, f in zip(natural, floors, strict=True)) <= available:
            low = cap
        else:
            high = cap - 1
    return [min(n, max(low, f)) for n, f in zip(natural, floors, strict=True)]


_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def _short_time(text: str) -> str:
    """`2026-12-02T17:09:13.123Z` as `2026-12-02 18:09` in local time; anything else as is.
    Tables only: JSON and TSV keep the API's timestamps."""
    if len(text) < 16 or not _TIME.fullmatch(text):
        return text
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def _masking(items: Iterator[Any], view: View) -> Iterator[Any]:
    for item in items:
        view.mask(item)  # type: ignore[misc]
        yield item


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _tsv(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return visible(escaped.replace("\r", "\\r"))


def _markup_safe(text: str) -> Any:
    """A rich Text, so `[bracketed]` subjects are shown, not eaten as markup, and
    control characters are shown, not sent to the terminal."""
    from rich.text import Text

    return Text(visible(text))
