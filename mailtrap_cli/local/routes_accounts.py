"""Accounts: `GET /api/accounts`, the call clients use to validate a token."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.local.router import Request, Router
from mailtrap_cli.local.store import Store, dumps, loads

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    access_levels TEXT NOT NULL
);
"""
LOCAL_ACCOUNT_ID = 1


def seed(store: Store) -> None:
    if store.one("SELECT id FROM accounts LIMIT 1") is None:
        with store.tx() as conn:
            conn.execute("INSERT INTO accounts (id, name, access_levels) VALUES (?, ?, ?)",
                         (LOCAL_ACCOUNT_ID, "Local account", dumps([1000])))


def list_accounts(app: Any, req: Request) -> list[dict[str, Any]]:
    rows = app.store.all("SELECT * FROM accounts ORDER BY id")
    return [{"id": r["id"], "name": r["name"], "access_levels": loads(r["access_levels"], [])}
            for r in rows]


def register(router: Router) -> None:
    router.add("GET", "/api/accounts", list_accounts)
