"""Contacts storage for the built-in server: tables, field typing and the upsert
that PATCH /api/contacts/{id} and imports share.

A contact's `fields` are kept as JSON keyed by merge tag; list membership is a
table of its own so a list of a million contacts exports without scanning JSON.
Jobs (imports, exports) and the server's contact settings live here too.
"""

from __future__ import annotations

import re
import time
import uuid as uuidlib
from datetime import date
from typing import Any
from urllib.parse import unquote

from mailtrap_cli.local.router import HTTPError, api_error
from mailtrap_cli.local.store import Store, dumps, loads
from mailtrap_cli.message import is_valid_email

SCHEMA = """
CREATE TABLE IF NOT EXISTS contact_lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contact_fields (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    data_type TEXT NOT NULL,
    merge_tag TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
    pk INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'subscribed',
    fields TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS contact_memberships (
    contact_pk INTEGER NOT NULL REFERENCES contacts(pk) ON DELETE CASCADE,
    list_id INTEGER NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_pk, list_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS contact_memberships_by_list ON contact_memberships(list_id);
CREATE TABLE IF NOT EXISTS contact_events (
    id INTEGER PRIMARY KEY,
    contact_pk INTEGER NOT NULL REFERENCES contacts(pk) ON DELETE CASCADE,
    name TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS contact_jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,            -- import | export
    number INTEGER NOT NULL,       -- the id the API shows, per kind
    status TEXT NOT NULL,
    polls INTEGER NOT NULL DEFAULT 0,
    started REAL NOT NULL,
    payload TEXT NOT NULL,
    result TEXT,
    data BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (kind, number)
);
CREATE TABLE IF NOT EXISTS contact_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
MAX_FIELDS = 40
MAX_IMPORT = 50_000
SETTINGS = {
    # polls answered `started` before the one that answers `finished`
    "import_polls": 1,
    "export_polls": 1,
    # a job nobody polls finishes on its own after this many seconds
    "finish_after": 30.0,
    # contacts the account may hold (null: no limit); more are "over limit"
    "contacts_limit": None,
    # serve only half of each export download (tests of the completeness check)
    "truncate_downloads": False,
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now_ms() -> int:
    return int(time.time() * 1000)


# -- settings ----------------------------------------------------------------
def settings(store: Store) -> dict[str, Any]:
    values = dict(SETTINGS)
    for row in store.all("SELECT key, value FROM contact_settings"):
        if row["key"] in values:
            values[row["key"]] = loads(row["value"])
    return values


def save_settings(store: Store, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise HTTPError(400, {"errors": [f"unknown setting {k!r}" for k in unknown]})
    with store.tx() as conn:
        for key, value in changes.items():
            conn.execute("INSERT OR REPLACE INTO contact_settings (key, value) VALUES (?, ?)",
                         (key, dumps(value)))
    return settings(store)


# -- fields ------------------------------------------------------------------
def field_types(store: Store) -> dict[str, str]:
    """merge tag -> data type."""
    return {r["merge_tag"]: r["data_type"]
            for r in store.all("SELECT merge_tag, data_type FROM contact_fields ORDER BY id")}


def value_ok(data_type: str, value: Any) -> bool:
    if value is None:
        return True
    if data_type == "text":
        return isinstance(value, str) and len(value) <= 255
    if data_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if data_type == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if data_type == "boolean":
        return isinstance(value, bool)
    if data_type == "date":
        if not isinstance(value, str) or not _DATE.match(value):
            return False
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


def check_fields(types: dict[str, str], fields: Any) -> dict[str, list[str]]:
    """Errors keyed like the API's: `fields` for unknown tags, the tag for bad values."""
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        return {"fields": ["must be a hash"]}
    errors: dict[str, list[str]] = {}
    unknown = [k for k in fields if k not in types]
    if unknown:
        errors["fields"] = [f"contains invalid values: {', '.join(unknown)}"]
    for key, value in fields.items():
        if key in types and not value_ok(types[key], value):
            errors[key] = ["is invalid"]
    return errors


# -- contacts ----------------------------------------------------------------
def find(store: Store, identifier: str) -> dict[str, Any] | None:
    """By UUID or email; `identifier` is the raw (percent-encoded) path segment."""
    ident = unquote(identifier)
    if _UUID.match(ident):
        row = store.one("SELECT * FROM contacts WHERE uuid = ?", (ident.lower(),))
        if row is not None:
            return row
    return by_email(store, ident)


def by_email(store: Store, email: str) -> dict[str, Any] | None:
    return store.one("SELECT * FROM contacts WHERE email_key = ?", (email.strip().lower(),))


def is_uuid(identifier: str) -> bool:
    return bool(_UUID.match(unquote(identifier)))


def list_ids_of(store: Store, pk: int) -> list[int]:
    return [r["list_id"] for r in store.all(
        "SELECT list_id FROM contact_memberships WHERE contact_pk = ? ORDER BY list_id", (pk,))]


def public(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["uuid"], "email": row["email"], "fields": loads(row["fields"], {}),
            "list_ids": list_ids_of(store, row["pk"]), "status": row["status"],
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


def get_or_404(store: Store, identifier: str) -> dict[str, Any]:
    row = find(store, identifier)
    if row is None:
        raise api_error(404, "Not Found")
    return row


def existing_lists(store: Store) -> set[int]:
    return {r["id"] for r in store.all("SELECT id FROM contact_lists")}


def bad_list_ids(value: Any, known: set[int]) -> bool:
    if value is None:
        return False
    if not isinstance(value, list):
        return True
    return any(not isinstance(v, int) or isinstance(v, bool) or v not in known for v in value)


def check_email(email: Any) -> list[str]:
    if not isinstance(email, str) or not email.strip():
        return ["can't be blank"]
    if not is_valid_email(email):
        return ["is invalid"]
    return []


def count_contacts(conn: Any) -> int:
    return conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]


def upsert(conn: Any, *, email: str, fields: dict[str, Any] | None,
           include: list[int] | None, exclude: list[int] | None,
           unsubscribed: bool | None = None, pk: int | None = None,
           limit: int | None = None, total: list[int] | None = None) -> tuple[str, int | None]:
    """Create or update one contact inside a transaction: ("created" | "updated" |
    "over_limit", pk). `pk` names the contact to update (else found by email);
    `total` is a one-item running count of contacts, for the limit."""
    stamp = now_ms()
    row = None
    if pk is not None:
        row = conn.execute("SELECT pk, fields FROM contacts WHERE pk = ?", (pk,)).fetchone()
    if row is None:
        row = conn.execute("SELECT pk, fields FROM contacts WHERE email_key = ?",
                           (email.lower(),)).fetchone()
    if row is None:
        if limit is not None and total is not None and total[0] >= limit:
            return "over_limit", None
        clean = {k: v for k, v in (fields or {}).items() if v is not None}
        cur = conn.execute(
            "INSERT INTO contacts (uuid, email, email_key, status, fields, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(uuidlib.uuid4()), email, email.lower(),
             "unsubscribed" if unsubscribed else "subscribed", dumps(clean), stamp, stamp))
        new_pk = int(cur.lastrowid)
        if total is not None:
            total[0] += 1
        if include:
            conn.executemany("INSERT OR IGNORE INTO contact_memberships VALUES (?, ?)",
                             [(new_pk, i) for i in include])
        return "created", new_pk
    current_pk = row[0]
    merged = loads(row[1], {})
    for key, value in (fields or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    sets = ["email = ?", "email_key = ?", "fields = ?", "updated_at = ?"]
    args: list[Any] = [email, email.lower(), dumps(merged), stamp]
    if unsubscribed is not None:
        sets.append("status = ?")
        args.append("unsubscribed" if unsubscribed else "subscribed")
    conn.execute(f"UPDATE contacts SET {', '.join(sets)} WHERE pk = ?",  # noqa: S608 - fixed columns
                 (*args, current_pk))
    if include:
        conn.executemany("INSERT OR IGNORE INTO contact_memberships VALUES (?, ?)",
                         [(current_pk, i) for i in include])
    if exclude:
        conn.executemany("DELETE FROM contact_memberships WHERE contact_pk = ? AND list_id = ?",
                         [(current_pk, i) for i in exclude])
    return "updated", current_pk
