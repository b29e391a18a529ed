"""Sandbox storage shared by sandbox sending, SMTP and the sandbox API.

Every sandbox message is stored as its raw MIME bytes plus a few columns for
listing and search; everything else (bodies, headers, attachments) is parsed
from the raw message when asked for.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.utils import getaddresses
from typing import Any

from mailtrap_cli.local.store import Store, now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sandboxes (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    email_username TEXT NOT NULL,
    email_username_enabled INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active',
    max_size INTEGER NOT NULL DEFAULT 0,
    max_message_size INTEGER NOT NULL DEFAULT 5242880,
    sent_messages_count INTEGER NOT NULL DEFAULT 0,
    forwarded_messages_count INTEGER NOT NULL DEFAULT 0,
    last_message_sent_at TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    -- AUTOINCREMENT: ids are never reused after a delete or clean, as upstream
    -- (`messages wait` relies on new messages having higher ids).
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sandbox_id INTEGER NOT NULL REFERENCES sandboxes(id) ON DELETE CASCADE,
    raw BLOB NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    from_email TEXT NOT NULL DEFAULT '',
    from_name TEXT NOT NULL DEFAULT '',
    to_email TEXT NOT NULL DEFAULT '',
    to_name TEXT NOT NULL DEFAULT '',
    smtp_from TEXT,
    smtp_to TEXT,
    is_read INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT,
    template_id INTEGER,
    template_variables TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_sandbox ON messages(sandbox_id, id DESC);
-- The highest id each table ever gave: ids of deleted projects and sandboxes
-- are never given again (a test holding an old id must get 404, not another's).
CREATE TABLE IF NOT EXISTS id_high_water (
    name TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
-- Server-wide settings (`local serve --max-message-size`, /_local/config).
CREATE TABLE IF NOT EXISTS local_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
DEFAULT_MESSAGE_LIMIT = 5 * 1024 * 1024   # a new sandbox's max_message_size (free plan)

DEFAULT_PROJECT_ID = 1
DEFAULT_SANDBOX_ID = 1


def seed(store: Store) -> None:
    """A fresh database has one project with one sandbox, so `local` works at once.
    Databases made by older versions get the newer columns."""
    columns = {row["name"] for row in store.all("PRAGMA table_info(messages)")}
    for column, kind in (("template_id", "INTEGER"), ("template_variables", "TEXT")):
        if column not in columns:
            store.execute(f"ALTER TABLE messages ADD COLUMN {column} {kind}")
    if store.one("SELECT id FROM projects LIMIT 1") is None:
        with store.tx() as conn:
            stamp = now_iso()
            conn.execute("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)",
                         (DEFAULT_PROJECT_ID, "Local project", stamp))
            conn.execute(
                "INSERT INTO sandboxes (id, project_id, name, username, password, "
                "email_username, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (DEFAULT_SANDBOX_ID, DEFAULT_PROJECT_ID, "Local sandbox",
                 "local-sandbox-1", "local-password-1", "local-1", stamp))


def next_id(conn: Any, table: str) -> int:
    """The id for a new row of `table` (inside an open transaction): above every id
    it ever had, deleted ones included."""
    row = conn.execute("SELECT last FROM id_high_water WHERE name = ?", (table,)).fetchone()
    top = conn.execute(f"SELECT MAX(id) FROM {table}").fetchone()  # noqa: S608 - fixed names
    new_id = max(row[0] if row else 0, top[0] or 0) + 1
    conn.execute("INSERT INTO id_high_water (name, last) VALUES (?, ?) "
                 "ON CONFLICT(name) DO UPDATE SET last = excluded.last", (table, new_id))
    return new_id


def default_message_limit(conn: Any) -> int:
    row = conn.execute("SELECT value FROM local_settings WHERE key = 'max_message_size'"
                       ).fetchone()
    return int(row[0]) if row else DEFAULT_MESSAGE_LIMIT


_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024 ** 2, "mb": 1024 ** 2,
          "mib": 1024 ** 2, "g": 1024 ** 3, "gb": 1024 ** 3, "gib": 1024 ** 3}
MAX_LIMIT = 1024 ** 3


def parse_size(text: str) -> int:
    """`25MB`, `512KB`, `10485760` -> bytes (K/M/G are 1024-based, as Mailtrap's
    "5 MB" sandbox limit is 5242880); ValueError with the reason otherwise."""
    import re

    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = found.group(2).lower() if found else ""
    if not found or unit not in _UNITS:
        raise ValueError(f"'{text}' is not a size")
    size = int(float(found.group(1)) * _UNITS[unit])
    if not 1 <= size <= MAX_LIMIT:
        raise ValueError(f"'{text}' is out of range (1 byte to 1GB)")
    return size


def set_sandbox_max_size(store: Store, count: int, sandbox_id: int) -> int:
    """How many messages a sandbox keeps (0: no limit); returns rows changed."""
    with store.tx() as conn:
        return conn.execute("UPDATE sandboxes SET max_size = ? WHERE id = ?",
                            (count, sandbox_id)).rowcount


def set_message_limit(store: Store, limit: int, sandbox_id: int | None = None) -> int:
    """Set `max_message_size` of one sandbox, or of every sandbox and of new ones;
    returns how many sandboxes changed."""
    with store.tx() as conn:
        if sandbox_id is not None:
            return conn.execute("UPDATE sandboxes SET max_message_size = ? WHERE id = ?",
                                (limit, sandbox_id)).rowcount
        conn.execute("INSERT INTO local_settings (key, value) VALUES ('max_message_size', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(limit),))
        return conn.execute("UPDATE sandboxes SET max_message_size = ?", (limit,)).rowcount


def get_sandbox(store: Store, sandbox_id: int) -> dict[str, Any] | None:
    return store.one("SELECT * FROM sandboxes WHERE id = ?", (sandbox_id,))


def summary_columns(raw: bytes) -> dict[str, str]:
    """subject / from / to pulled from the headers of a raw message."""
    msg = message_from_bytes(raw, policy=policy.default)

    def header(name: str) -> str:
        try:
            value = msg.get(name)
            return str(value).lstrip() if value is not None else ""  # "Subject:\n A..."
        except Exception:  # noqa: BLE001 - malformed headers must not lose the message
            return str(msg.get_all(name, [""])[0])

    from_pairs = getaddresses([header("From")])
    to_pairs = getaddresses([header("To")])
    return {
        "subject": header("Subject"),
        "from_email": from_pairs[0][1] if from_pairs else "",
        "from_name": from_pairs[0][0] if from_pairs else "",
        "to_email": ", ".join(addr for _, addr in to_pairs if addr),
        "to_name": _paired_names(to_pairs),
    }


def _paired_names(pairs: list[tuple[str, str]]) -> str:
    """to_name paired with to_email: the n-th name belongs to the n-th address
    (empty when that one has none; trailing empties dropped), so names never
    shift onto other addresses."""
    names = [name for name, addr in pairs if addr]
    while names and not names[-1]:
        names.pop()
    return ", ".join(names)


def store_message(store: Store, sandbox_id: int, raw: bytes, *, smtp_from: str | None = None,
                  smtp_to: list[str] | None = None, conn: Any = None,
                  template_id: int | None = None, template_variables: Any = None) -> int:
    """Store one raw MIME message in a sandbox; returns its id. A template send
    keeps the template's id and the variables it was rendered with.

    Pass `conn` from an open `store.tx()` to store many in one transaction.
    """
    import json

    cols = summary_columns(raw)
    variables = (json.dumps(template_variables, ensure_ascii=False)
                 if template_variables is not None else None)
    args = (sandbox_id, raw, cols["subject"], cols["from_email"], cols["from_name"],
            cols["to_email"], cols["to_name"], smtp_from,
            ",".join(smtp_to) if smtp_to else None, now_iso(), template_id, variables)
    sql = ("INSERT INTO messages (sandbox_id, raw, subject, from_email, from_name, to_email, "
           "to_name, smtp_from, smtp_to, created_at, template_id, template_variables) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    if conn is not None:
        return _insert(conn, sql, args, sandbox_id)
    with store.tx() as tx:
        return _insert(tx, sql, args, sandbox_id)


def _insert(conn: Any, sql: str, args: tuple[Any, ...], sandbox_id: int) -> int:
    """Insert; a sandbox with a `max_size` (messages it holds, 0 = no limit) that is
    full drops its oldest messages, as a full Mailtrap sandbox does."""
    new_id = int(conn.execute(sql, args).lastrowid)
    row = conn.execute("SELECT max_size FROM sandboxes WHERE id = ?", (sandbox_id,)).fetchone()
    if row and row[0]:
        conn.execute("DELETE FROM messages WHERE sandbox_id = ? AND id NOT IN (SELECT id FROM "
                     "messages WHERE sandbox_id = ? ORDER BY id DESC LIMIT ?)",
                     (sandbox_id, sandbox_id, int(row[0])))
    return new_id
