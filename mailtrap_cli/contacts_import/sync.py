"""`contacts sync`: make a list's members match a file.

The list's members come from an export filtered on the list; the plan compares
them with the file's rows by address (any case): rows not in the list are
added (with their fields), members whose fields differ are updated (only the
fields the file has), and members not in the file are removed from the list
(the contacts themselves stay). The plan is carried out as imports, one upsert
per contact, so a sync of 100,000 contacts is a handful of requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mailtrap_cli.contacts_import.rows import Schema
from mailtrap_cli.contacts_import.values import convert

SHOWN = 10      # examples of each kind in the plan


@dataclass
class Plan:
    list_id: int
    adds: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.adds or self.updates or self.removals)

    def contacts(self) -> Iterator[dict[str, Any]]:
        """The plan as import contacts."""
        for contact in self.adds:
            yield {**contact, "list_ids_included": [self.list_id]}
        yield from self.updates
        for email in self.removals:
            yield {"email": email, "list_ids_excluded": [self.list_id]}

    def count(self) -> int:
        return len(self.adds) + len(self.updates) + len(self.removals)

    def summary(self) -> dict[str, Any]:
        return {"list_id": self.list_id, "add": len(self.adds), "update": len(self.updates),
                "remove": len(self.removals), "unchanged": self.unchanged,
                "examples": {"add": [c["email"] for c in self.adds[:SHOWN]],
                             "update": [{"email": c["email"], "fields": c.get("fields", {})}
                                        for c in self.updates[:SHOWN]],
                             "remove": self.removals[:SHOWN]}}


def members(rows: Iterable[dict[str, str]], schema: Schema) -> dict[str, dict[str, Any]]:
    """Export rows -> {address casefolded: {"email", "fields"}}, fields typed."""
    out: dict[str, dict[str, Any]] = {}
    columns: dict[str, str] | None = None
    for row in rows:
        if columns is None:
            columns = {}
            for column in row:
                target = schema.target(column, {}) if column else None
                if target and target not in ("-", "email", "list_ids"):
                    columns[column] = target
        email = (row.get("email") or row.get("Email") or "").strip()
        if not email:
            continue
        fields: dict[str, Any] = {}
        for column, tag in columns.items():
            text = row.get(column) or ""
            if text == "":
                continue
            try:
                fields[tag] = convert(text, schema.types[tag])
            except ValueError:
                fields[tag] = text
        out[email.casefold()] = {"email": email, "fields": fields}
    return out


def plan(desired: Iterable[dict[str, Any]], current: dict[str, dict[str, Any]],
         list_id: int) -> Plan:
    """`desired`: import contacts from the file (checked); `current`: members()."""
    result = Plan(list_id)
    seen: set[str] = set()
    for contact in desired:
        key = contact["email"].casefold()
        if key in seen:
            continue
        seen.add(key)
        fields = contact.get("fields") or {}
        have = current.get(key)
        if have is None:
            result.adds.append({"email": contact["email"], **({"fields": fields}
                                                              if fields else {})})
            continue
        changed = {k: v for k, v in fields.items() if have["fields"].get(k) != v}
        if changed:
            result.updates.append({"email": have["email"], "fields": changed})
        else:
            result.unchanged += 1
    result.removals = [m["email"] for key, m in current.items() if key not in seen]
    return result
