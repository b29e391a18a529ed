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
    updated_at TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_sandbox ON messages(sandbox_id, id DESC);
"""

DEFAULT_PROJECT_ID = 1
DEFAULT_SANDBOX_ID = 1


def seed(store: Store) -> None:
    """A fresh database has one project with one sandbox, so `local` works at once."""
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
        "to_name": ", ".join(name for name, _ in to_pairs if name),
    }


def store_message(store: Store, sandbox_id: int, raw: bytes, *, smtp_from: str | None = None,
                  smtp_to: list[str] | None = None, conn: Any = None) -> int:
    """Store one raw MIME message in a sandbox; returns its id.

    Pass `conn` from an open `store.tx()` to store many in one transaction.
    """
    cols = summary_columns(raw)
    args = (sandbox_id, raw, cols["subject"], cols["from_email"], cols["from_name"],
            cols["to_email"], cols["to_name"], smtp_from,
            ",".join(smtp_to) if smtp_to else None, now_iso())
    sql = ("INSERT INTO messages (sandbox_id, raw, subject, from_email, from_name, to_email, "
           "to_name, smtp_from, smtp_to, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    if conn is not None:
        return int(conn.execute(sql, args).lastrowid)
    with store.tx() as tx:
        return int(tx.execute(sql, args).lastrowid)
