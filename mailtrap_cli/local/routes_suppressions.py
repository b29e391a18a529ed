"""Suppressions and tracking opt-outs on the built-in server.

- GET    /api/suppressions               ?email= &start_time= &end_time= &last_id=
                                         oldest first, up to PAGE per answer (bare array)
- POST   /api/suppressions               {email, domain_id, sending_stream, type} -> 201 {data}
- DELETE /api/suppressions/{id}          -> 200 the deleted suppression
- GET    /api/tracking_opt_outs          same filters; {data, last_id} (null at the end)
- POST   /api/tracking_opt_outs          {email, domain_id} -> 201 {data}
- DELETE /api/tracking_opt_outs/{id}     -> 204
- POST   /_local/suppressions            {count, email: "user{n}@example.com"}: many at once

Sends to the documented bounce addresses (email_logs.py) add suppressions too.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from datetime import datetime, timezone
from typing import Any

from mailtrap_cli.local.router import HTTPError, Request, Router, api_error, api_errors, not_found
from mailtrap_cli.local.store import now_iso

PAGE = 1000
TYPES = ("hard bounce", "unsubscription", "spam complaint", "manual import")
STREAMS = ("transactional", "bulk")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS suppressions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    email TEXT NOT NULL,
    sending_stream TEXT NOT NULL,
    domain_name TEXT,
    message_bounce_category TEXT,
    message_category TEXT,
    message_client_ip TEXT,
    message_created_at TEXT,
    message_esp_response TEXT,
    message_esp_server_type TEXT,
    message_outgoing_ip TEXT,
    message_recipient_mx_name TEXT,
    message_sender_email TEXT,
    message_subject TEXT
);
CREATE INDEX IF NOT EXISTS suppressions_by_email ON suppressions(email COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS tracking_opt_outs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    domain_id INTEGER,
    created_at TEXT NOT NULL
);
"""

_FIELDS = ("id", "type", "created_at", "email", "sending_stream", "domain_name",
           "message_bounce_category", "message_category", "message_client_ip",
           "message_created_at", "message_esp_response", "message_esp_server_type",
           "message_outgoing_ip", "message_recipient_mx_name", "message_sender_email",
           "message_subject")


def suppression_json(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in _FIELDS}


def add(conn: Any, email: str, kind: str, stream: str, sender: str, message: dict[str, Any],
        message_id: str, stamp: str, response: str | None) -> None:
    """A suppression caused by a send (inside the send's transaction)."""
    exists = conn.execute("SELECT 1 FROM suppressions WHERE lower(email) = lower(?) AND "
                          "sending_stream = ?", (email, stream)).fetchone()
    if exists:
        return
    domain = email.rpartition("@")[2].lower()
    conn.execute(
        "INSERT INTO suppressions (id, type, created_at, email, sending_stream, domain_name, "
        "message_bounce_category, message_category, message_client_ip, message_created_at, "
        "message_esp_response, message_esp_server_type, message_outgoing_ip, "
        "message_recipient_mx_name, message_sender_email, message_subject) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (str(uuidlib.uuid4()), kind, stamp, email, stream, sender.rpartition("@")[2].lower(),
         "invalid_recipient" if kind == "hard bounce" else None, message.get("category"),
         "127.0.0.1", stamp, response, "local", "127.0.0.1", f"mx.{domain}", sender,
         message.get("subject")))


def _time(value: str | None, name: str) -> str | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise api_error(400, f"{name} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _page(app: Any, req: Request, table: str) -> list[dict[str, Any]]:
    where, args = [], []
    email = req.arg("email")
    if email:
        where.append("lower(email) = lower(?)")
        args.append(email)
    start, end = _time(req.arg("start_time"), "start_time"), _time(req.arg("end_time"),
                                                                   "end_time")
    if start:
        where.append("created_at >= ?")
        args.append(start)
    if end:
        where.append("created_at <= ?")
        args.append(end)
    last_id = req.arg("last_id")
    if last_id:
        row = app.store.one(f"SELECT seq FROM {table} WHERE id = ?", (last_id,))  # noqa: S608
        if row is None:
            raise api_error(400, "last_id does not name a record")
        where.append("seq > ?")
        args.append(row["seq"])
    sql = f"SELECT * FROM {table}"  # noqa: S608
    if where:
        sql += " WHERE " + " AND ".join(where)
    return app.store.all(sql + f" ORDER BY seq LIMIT {PAGE}", args)


def list_suppressions(app: Any, req: Request) -> list[dict[str, Any]]:
    return [suppression_json(r) for r in _page(app, req, "suppressions")]


def _domain_name(app: Any, domain_id: Any) -> str | None:
    if isinstance(domain_id, bool) or not isinstance(domain_id, int):
        return None
    row = app.store.one("SELECT domain_name FROM domains WHERE id = ?", (domain_id,))
    return row["domain_name"] if row else None


def _check_email(errors: dict[str, list[str]], email: Any) -> None:
    if not isinstance(email, str) or not email.strip():
        errors["email"] = ["can't be blank"]
    elif not EMAIL.match(email.strip()):
        errors["email"] = ["is invalid"]


def create_suppression(app: Any, req: Request) -> Any:
    body = req.json()
    if not isinstance(body, dict):
        raise api_errors(422, {"base": ["the body must be a JSON object"]})
    errors: dict[str, list[str]] = {}
    _check_email(errors, body.get("email"))
    domain = _domain_name(app, body.get("domain_id"))
    if body.get("domain_id") is None:
        errors["domain_id"] = ["can't be blank"]
    elif domain is None:
        errors["domain_id"] = ["does not name a domain of this account"]
    stream = body.get("sending_stream")
    if stream not in STREAMS:
        errors["sending_stream"] = ["is invalid. Allowed values: transactional, bulk."]
    kind = body.get("type", "manual import")
    if kind not in TYPES:
        errors["type"] = [f"is invalid. Allowed values: {', '.join(TYPES)}."]
    if errors:
        raise api_errors(422, errors)
    email = body["email"].strip()
    new_id = str(uuidlib.uuid4())
    with app.store.tx() as conn:
        conn.execute("INSERT INTO suppressions (id, type, created_at, email, sending_stream, "
                     "domain_name) VALUES (?, ?, ?, ?, ?, ?)",
                     (new_id, kind, now_iso(), email, stream, domain))
    row = app.store.one("SELECT * FROM suppressions WHERE id = ?", (new_id,))
    return {"data": suppression_json(row)}, 201


def delete_suppression(app: Any, req: Request, suppression_id: str) -> Any:
    row = app.store.one("SELECT * FROM suppressions WHERE id = ?", (suppression_id,))
    if row is None:
        raise not_found()
    with app.store.tx() as conn:
        conn.execute("DELETE FROM suppressions WHERE seq = ?", (row["seq"],))
    return suppression_json(row)


# -- tracking opt-outs ---------------------------------------------------------
def opt_out_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "email": row["email"], "domain_id": row["domain_id"],
            "created_at": row["created_at"]}


def list_opt_outs(app: Any, req: Request) -> dict[str, Any]:
    rows = _page(app, req, "tracking_opt_outs")
    return {"data": [opt_out_json(r) for r in rows],
            "last_id": rows[-1]["id"] if len(rows) == PAGE else None}


def create_opt_out(app: Any, req: Request) -> Any:
    body = req.json()
    if not isinstance(body, dict):
        raise api_errors(422, {"base": ["the body must be a JSON object"]})
    errors: dict[str, list[str]] = {}
    _check_email(errors, body.get("email"))
    domain_id = body.get("domain_id")
    if domain_id is not None and _domain_name(app, domain_id) is None:
        errors["domain_id"] = ["does not name a domain of this account"]
    if errors:
        raise api_errors(422, errors)
    new_id = str(uuidlib.uuid4())
    with app.store.tx() as conn:
        conn.execute("INSERT INTO tracking_opt_outs (id, email, domain_id, created_at) "
                     "VALUES (?, ?, ?, ?)", (new_id, body["email"].strip(), domain_id,
                                             now_iso()))
    row = app.store.one("SELECT * FROM tracking_opt_outs WHERE id = ?", (new_id,))
    return {"data": opt_out_json(row)}, 201


def delete_opt_out(app: Any, req: Request, opt_out_id: str) -> Any:
    row = app.store.one("SELECT seq FROM tracking_opt_outs WHERE id = ?", (opt_out_id,))
    if row is None:
        raise not_found()
    with app.store.tx() as conn:
        conn.execute("DELETE FROM tracking_opt_outs WHERE seq = ?", (row["seq"],))
    return None, 204


def generate(app: Any, req: Request) -> Any:
    """POST /_local/suppressions {count, email, table: suppressions|tracking_opt_outs}."""
    body = req.json() or {}
    try:
        count = int(body.get("count", 1))
    except (TypeError, ValueError):
        raise HTTPError(400, {"errors": ["count must be an integer"]}) from None
    pattern = str(body.get("email", "user{n}@example.com"))
    stamp = now_iso()
    with app.store.tx() as conn:
        if body.get("table") == "tracking_opt_outs":
            conn.executemany("INSERT INTO tracking_opt_outs (id, email, created_at) "
                             "VALUES (?, ?, ?)",
                             ((str(uuidlib.uuid4()), pattern.replace("{n}", str(n)), stamp)
                              for n in range(count)))
        else:
            conn.executemany("INSERT INTO suppressions (id, type, created_at, email, "
                             "sending_stream) VALUES (?, 'manual import', ?, ?, "
                             "'transactional')",
                             ((str(uuidlib.uuid4()), stamp, pattern.replace("{n}", str(n)))
                              for n in range(count)))
    return {"created": count}, 201


def register(router: Router) -> None:
    router.add("GET", "/api/suppressions", list_suppressions)
    router.add("POST", "/api/suppressions", create_suppression)
    router.add("DELETE", "/api/suppressions/{suppression_id}", delete_suppression)
    router.add("GET", "/api/tracking_opt_outs", list_opt_outs)
    router.add("POST", "/api/tracking_opt_outs", create_opt_out)
    router.add("DELETE", "/api/tracking_opt_outs/{opt_out_id}", delete_opt_out)
    router.add("POST", "/_local/suppressions", generate)
