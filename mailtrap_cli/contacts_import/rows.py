"""CSV or JSONL -> contacts for the import API, one row at a time.

Columns map to `email`, a field (by merge tag or field name, any case),
`list_ids` (ids or list names, separated by `,` `;` or `|`), or nothing:
`--map col=TARGET` overrides, `--map col=-` leaves a column out, and the
columns of a Mailtrap export that an import cannot set (`id`, `status`,
`created_at`, `updated_at`) are left out on their own. JSONL rows may be flat
(`{"email": ..., "first_name": ...}`) or nested (`{"email": ..., "fields":
{...}, "list_ids": [...]}`).

Every row is checked here (address, known field, typed value, list, the
40-field limit) so nothing is sent while a row is bad; a row's number is the
line where it starts, for `file:line: reason`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.batch.reader import STDIN, CsvInput, JsonlInput, Record, label_of
from mailtrap_cli.contacts_import.values import convert
from mailtrap_cli.message import is_valid_email

FORMATS = ("csv", "jsonl")
MAX_FIELDS = 40
IGNORED = frozenset({"id", "status", "created_at", "updated_at"})
LIST_COLUMNS = frozenset({"list_ids", "list_id", "lists", "list_ids_included"})
SKIP = "-"
_SPLIT = re.compile(r"[,;|]")


def guess_format(path: str, explicit: str | None) -> str:
    if explicit:
        if explicit not in FORMATS:
            raise UsageError(f"unknown format {explicit!r} (csv or jsonl)")
        return explicit
    lowered = path.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".jsonl.txt")):
        return "jsonl"
    if lowered.endswith((".csv", ".txt", ".tsv")) or path == STDIN:
        return "csv"
    raise UsageError(f"cannot tell the format of {path} from its name",
                     hint="pass --format csv or --format jsonl")


def parse_map(pairs: list[str]) -> dict[str, str]:
    """`--map col=target` flags -> {column: target}."""
    out: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise UsageError(f"--map expects COLUMN=MERGE_TAG (or COLUMN=- to leave it out), "
                             f"got {pair!r}")
        out[column.strip()] = target.strip()
    return out


@dataclass
class Schema:
    """What rows are checked against: the account's fields and lists."""

    types: dict[str, str]                              # merge tag -> data type
    names: dict[str, str] = field(default_factory=dict)  # field name (casefolded) -> tag
    lists: dict[str, int] = field(default_factory=dict)  # list name (casefolded) -> id
    list_ids: set[int] | None = None                   # None: not checked

    @classmethod
    def of(cls, fields: list[dict[str, Any]], lists: list[dict[str, Any]] | None = None
           ) -> Schema:
        schema = cls({f["merge_tag"]: f["data_type"] for f in fields},
                     {str(f.get("name", "")).casefold(): f["merge_tag"] for f in fields})
        if lists is not None:
            schema.lists = {str(x["name"]).casefold(): int(x["id"]) for x in lists}
            schema.list_ids = {int(x["id"]) for x in lists}
        return schema

    def target(self, column: str, mapping: dict[str, str]) -> str | None:
        """`email`, `list_ids`, a merge tag, SKIP, or None when unknown."""
        if column in mapping:
            wanted = mapping[column]
            if wanted in (SKIP, "email", "list_ids") or wanted in self.types:
                return wanted
            return self.names.get(wanted.casefold()) or self._tag_any_case(wanted)
        lowered = column.strip().lower()
        if lowered in ("email", "email_address", "e-mail"):
            return "email"
        if lowered in LIST_COLUMNS:
            return "list_ids"
        if column in self.types:
            return column
        found = self._tag_any_case(column) or self.names.get(column.casefold())
        if found:
            return found
        return SKIP if lowered in IGNORED else None

    def _tag_any_case(self, name: str) -> str | None:
        for tag in self.types:
            if tag.casefold() == name.casefold():
                return tag
        return None


@dataclass
class Row:
    line: int
    contact: dict[str, Any] | None     # None when the row is bad
    error: str | None = None


class _Csv(CsvInput):
    """batch's CSV reader without its `email` column rule (the mapping decides)."""

    def _header(self) -> list[str]:
        for fields in self._reader:
            if any(f.strip() for f in fields):
                break
        else:
            raise UsageError(f"{self.label}: the file is empty",
                             hint="the first line must name the columns, one of them `email`")
        columns = [f.strip() for f in fields]
        duplicates = sorted({c for c in columns if columns.count(c) > 1})
        if duplicates:
            raise UsageError(f"{self.label}: the header repeats column "
                             f"{', '.join(repr(c) for c in duplicates)}")
        self.header_line = self._reader.line_num
        return columns


class ContactReader:
    """Reads `path` (a file; stdin is spooled to a file by the caller) as contacts."""

    def __init__(self, path: str, fmt: str, schema: Schema, *,
                 mapping: dict[str, str] | None = None, list_ids: list[int] | None = None,
                 label: str | None = None) -> None:
        self.path = path
        self.fmt = fmt
        self.schema = schema
        self.mapping = mapping or {}
        self.extra_lists = list(list_ids or [])
        self.label = label or label_of(path)
        self.columns: dict[str, str] = {}
        self.ignored: list[str] = []
        self._targets: dict[str, str | None] = {}
        if fmt == "csv":
            self._check_header()

    def _check_header(self) -> None:
        source = _Csv(self.path)
        try:
            header = source.columns
            line = getattr(source, "header_line", 1)
        finally:
            source.close()
        unknown = []
        for column in header:
            if column == "" and column not in self.mapping:
                unknown.append("(a column without a name)")
                continue
            target = self.schema.target(column, self.mapping)
            if target is None:
                unknown.append(repr(column))
            elif target == SKIP:
                self.ignored.append(column)
            else:
                self.columns[column] = target
        missing = [c for c in self.mapping if c not in header]
        if missing:
            raise UsageError(f"{self.label}:{line}: --map names "
                             f"{', '.join(repr(c) for c in missing)}, not in the header")
        if unknown:
            known = ", ".join(sorted(self.schema.types)) or "none"
            raise UsageError(
                f"{self.label}:{line}: {', '.join(unknown)} "
                f"{'is not a contact field' if len(unknown) == 1 else 'are not contact fields'}"
                f" (fields: {known})",
                hint="map a column with --map 'COLUMN=MERGE_TAG', leave it out with "
                     "--map 'COLUMN=-', or create the field with `mailtrap contacts fields "
                     "create`")
        targets = list(self.columns.values())
        if "email" not in targets:
            raise UsageError(f"{self.label}:{line}: no email column",
                             hint="name a column `email`, or map one with --map 'COLUMN=email'")
        doubled = sorted({t for t in targets if targets.count(t) > 1})
        if doubled:
            raise UsageError(f"{self.label}:{line}: several columns map to "
                             f"{', '.join(doubled)}")

    def rows(self) -> Iterator[Row]:
        """Every row, in file order, checked and shaped for the import API."""
        source: Any = _Csv(self.path) if self.fmt == "csv" else JsonlInput(self.path)
        try:
            for record in source.records():
                yield self._row(record)
        finally:
            source.close()

    def _row(self, record: Record) -> Row:
        if record.data is None:
            return Row(record.row, None, record.error)
        try:
            if self.fmt == "csv":
                contact = self._from_csv(record.data)
            else:
                contact = self._from_json(record.data)
        except ValueError as exc:
            return Row(record.row, None, str(exc))
        return Row(record.row, contact)

    def _lists(self, value: Any) -> list[int]:
        items: list[Any]
        if value is None or value == "":
            items = []
        elif isinstance(value, list):
            items = value
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [value]
        elif isinstance(value, str):
            items = [v.strip() for v in _SPLIT.split(value) if v.strip()]
        else:
            raise ValueError("list_ids: expected list ids or names")
        ids = list(self.extra_lists)
        for item in items:
            if isinstance(item, bool):
                raise ValueError(f"list_ids: {item!r} is not a list")
            if isinstance(item, int) or (isinstance(item, str) and item.isdigit()):
                number = int(item)
            elif isinstance(item, str) and item.casefold() in self.schema.lists:
                number = self.schema.lists[item.casefold()]
            else:
                raise ValueError(f"unknown list {item!r}")
            if self.schema.list_ids is not None and number not in self.schema.list_ids:
                raise ValueError(f"unknown list {number}")
            if number not in ids:
                ids.append(number)
        return ids

    def _contact(self, email: Any, fields: dict[str, Any], lists: Any) -> dict[str, Any]:
        if not isinstance(email, str) or not email.strip():
            raise ValueError("no email address")
        email = email.strip()
        if not is_valid_email(email):
            raise ValueError(f"invalid email address {email!r}")
        if len(fields) > MAX_FIELDS:
            raise ValueError(f"{len(fields)} fields, more than the {MAX_FIELDS} an account has")
        contact: dict[str, Any] = {"email": email}
        if fields:
            contact["fields"] = fields
        ids = self._lists(lists)
        if ids:
            contact["list_ids_included"] = ids
        return contact

    def _typed(self, tag: str, value: Any) -> Any:
        data_type = self.schema.types[tag]
        try:
            return convert(value, data_type)
        except ValueError as exc:
            shown = value if isinstance(value, str) else repr(value)
            raise ValueError(f"field {tag!r} is {data_type}: {exc}, got {shown!r}") from None

    def _from_csv(self, data: dict[str, str]) -> dict[str, Any]:
        email: Any = None
        lists: Any = None
        fields: dict[str, Any] = {}
        for column, target in self.columns.items():
            value = data.get(column, "")
            if target == "email":
                email = value
            elif target == "list_ids":
                lists = value
            elif value != "":            # an empty cell leaves the field as it is
                fields[target] = self._typed(target, value)
        return self._contact(email, fields, lists)

    def _from_json(self, data: dict[str, Any]) -> dict[str, Any]:
        email: Any = None
        lists: Any = None
        fields: dict[str, Any] = {}
        items = list(data.items())
        nested = data.get("fields")
        if isinstance(nested, dict):
            items = [(k, v) for k, v in items if k != "fields"] + list(nested.items())
        elif nested is not None:
            raise ValueError("`fields` must be an object")
        for key, value in items:
            target = self._targets.get(key, "?")
            if target == "?":
                target = self._targets[key] = self.schema.target(key, self.mapping)
            if target is None:
                raise ValueError(f"unknown field {key!r}")
            if target == "email":
                email = value
            elif target == "list_ids":
                lists = value
            elif target != SKIP:
                fields[target] = self._typed(target, value)
        return self._contact(email, fields, lists)
