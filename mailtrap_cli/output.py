"""The one place that prints.

Data goes to stdout as a rich table (TTY), JSON, JSONL or TSV; everything
human (hints, progress, warnings, errors) goes to stderr. JSON is written
with json.dumps, never through rich markup, and is the API's objects whole.
rich is imported only when a table or a progress bar is actually drawn.

A command hands `emit` its data and a `View` that says how the data reads as
a table: which columns, how one item becomes a row, what is masked. The mode
(table, JSON, JSONL, TSV) is decided here; no command branches on it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import IO as Stream
from typing import Any

from mailtrap_cli.io import IO

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
    - `row`: one item -> the row a table or TSV shows (computed columns).
    - `mask`: changes the data in place for every mode (passwords); returns True
      when it hid something, and `masked` is then said on stderr.
    - `flat`: the whole answer -> what a table or TSV shows instead (a report's
      rules list, a headers object's inner dict).
    - `table`: the whole answer -> Parts, for a table drawn as several (TSV
      still uses `flat`).
    """

    columns: Sequence[Column] | None = None
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
            print(message, file=self.stderr, flush=True)

    def success(self, message: str) -> None:
        if not self.quiet:
            print(self._color("32", "✓") + " " + message, file=self.stderr, flush=True)

    def warn(self, message: str) -> None:
        print(self._color("33", "warning:") + " " + message, file=self.stderr, flush=True)

    def error(self, message: str, hint: str | None = None) -> None:
        print(self._color("31", "error:") + " " + message, file=self.stderr, flush=True)
        if hint:
            print(self._color("2", "hint:") + " " + hint, file=self.stderr, flush=True)

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
        if isinstance(data, Iterator):
            data = primed(data)
        if view.mask is not None and data is not None:
            data = _masking(data, view) if isinstance(data, Iterator) else \
                self._mask_now(data, view)
        if self.mode in JSON_MODES or data is None:
            self._emit_data(data, None, title)
            return
        if self.mode == "table" and view.table is not None:
            for part in view.table(data):
                if isinstance(part, str):
                    self.success(part)
                else:
                    self._emit_data(part.data, part.view or PLAIN, part.title)
            return
        if view.flat is not None:
            data = view.flat(data)
        self._emit_data(data, view, title)

    def _mask_now(self, data: Any, view: View) -> Any:
        if view.mask(data) and view.masked:  # type: ignore[misc]
            self.info(view.masked)
        return data

    def _emit_data(self, data: Any, view: View | None, title: str | None) -> None:
        view = view or PLAIN
        if isinstance(data, dict):
            self._emit_one(view.row(data) if view.row else data)
        elif isinstance(data, (list, tuple, Iterator)):
            rows = (view.row(item) for item in data) if view.row and self.mode not in \
                JSON_MODES else data
            if view.live and self.mode == "table":
                self._live(rows, view)
            else:
                self._emit_many(rows, view.columns, title)
        elif data is None:
            return
        elif self.mode in JSON_MODES:
            self._write(dumps(data, indent=None) + "\n")  # a scalar is still JSON
        else:
            self._write(cell(data) + "\n")

    def lines(self, values: Sequence[str]) -> None:
        """Values a script reads one per line (`wait --extract`); a JSON list when
        JSON or JSONL was asked for by name."""
        if self.requested in JSON_MODES:
            self._emit_many(values, None, None)
        else:
            self.text("\n".join(values))

    def text(self, value: str) -> None:
        """Plain text data (a body, a token) to stdout, as it is."""
        self._write(value if value.endswith("\n") else value + "\n")

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
                self._write(f"{key}\t{_tsv(cell(value))}\n")
        else:
            self._table_kv(obj)

    def _emit_many(self, items: Iterable[Any], columns: Sequence[Column] | None,
                   title: str | None) -> None:
        if self.mode == "json":
            # Stream the array so --all stays in constant memory.
            first = True
            self.stdout.write("[")
            for item in items:
                self.stdout.write(("\n" if first else ",\n") + _indent(dumps(item)))
                first = False
            self._write("]\n" if first else "\n]\n")
        elif self.mode == "jsonl":
            for item in items:
                self._write(dumps(item, indent=None) + "\n")
        elif self.mode == "tsv":
            cols: list[tuple[str, str]] | None = None
            for item in items:
                if cols is None:
                    cols = _norm_columns(columns, item)
                    self._write("\t".join(h for _, h in cols) + "\n")
                self._write("\t".join(_tsv(cell(pluck(item, k))) for k, _ in cols) + "\n")
            if cols is None and columns:
                # An empty list still has its header row: `cut`, `awk` and
                # spreadsheets see the same columns either way.
                self._write("\t".join(h for _, h in _norm_columns(columns, None)) + "\n")
        else:
            self._table(list(items), columns, title)

    def _live(self, items: Iterable[Any], view: View) -> None:
        """One line a row, as rows come; a cell longer than its width is cut with …."""
        cols = _norm_columns(view.columns, None)
        widths = view.live or {}

        def fit(text: str, key: str) -> str:
            width = widths.get(key)
            if width is None:
                return text
            return (text[:width - 1] + "…" if len(text) > width else text).ljust(width)

        self._write("  ".join(fit(h, k) for k, h in cols).rstrip() + "\n")
        for item in items:
            line = "  ".join(fit(cell(pluck(item, k)).replace("\n", " "), k) for k, _ in cols)
            self._write(line.rstrip() + "\n")

    def _table(self, items: list[Any], columns: Sequence[Column] | None,
               title: str | None) -> None:
        if not items:
            self.info("(no results)")
            return
        from rich.table import Table

        cols = _norm_columns(columns, items[0])
        table = Table(title=title, header_style="bold", box=None, pad_edge=False)
        for _, header in cols:
            table.add_column(header, overflow="fold")
        for item in items:
            table.add_row(*(_markup_safe(cell(pluck(item, k))) for k, _ in cols))
        self.console(stderr=False).print(table)

    def _table_kv(self, obj: dict[str, Any]) -> None:
        from rich.table import Table

        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column("key", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in obj.items():
            table.add_row(_markup_safe(str(key)), _markup_safe(cell(value)))
        self.console(stderr=False).print(table)


def _masking(items: Iterator[Any], view: View) -> Iterator[Any]:
    for item in items:
        view.mask(item)  # type: ignore[misc]
        yield item


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _tsv(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _markup_safe(text: str) -> Any:
    """A rich Text, so `[bracketed]` subjects are shown, not eaten as markup."""
    from rich.text import Text

    return Text(text)
