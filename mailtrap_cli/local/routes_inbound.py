"""Inbound email on the built-in server (inbound.openapi.yml, plus the SDK-only
threads, replies and forward rules of API-NOTES.md).

- GET/POST /api/inbound/folders, GET/PATCH/DELETE /api/inbound/folders/{id}
- GET/POST /api/inbound/folders/{fid}/inboxes, GET/PATCH/DELETE .../inboxes/{id}
- GET      /api/inbound/inboxes/{id}/messages        {data, total_count, last_id}, newest
                                                     first, PAGE per answer
- GET/DELETE /api/inbound/inboxes/{id}/messages/{mid}
- POST     .../messages/{mid}/reply | reply_all | forward   sends through the live path
- GET      /api/inbound/inboxes/{id}/threads         {data, total_count, last_id}
- GET/DELETE /api/inbound/inboxes/{id}/threads/{tid}
- GET/POST /api/inbound/inboxes/{id}/forward_rules, GET/PATCH/DELETE .../{rid}
- POST     /_local/inbound/inboxes/{id}/messages     raw MIME body: receive a message
- GET      /_local/inbound/messages/{mid}/raw.eml and .../attachments/{aid}: where
           raw_message_url and download_url point

Mail reaches an inbox three ways: a live send (API) to its address, the /_local
route above, and a reply or forward from another inbox. A received message
joins the thread of the message its In-Reply-To / References name, else
starts one.
"""

from __future__ import annotations

import re
import secrets
import time
from email import message_from_bytes, policy
from email.utils import getaddresses
from typing import Any

from mailtrap_cli.local.router import Request, Response, Router, api_errors, not_found
from mailtrap_cli.local.store import Store, dumps, loads, now_iso  # noqa: F401

PAGE = 30
DOMAIN = "inbound-mailtrap.io"
NAME_MAX = 100

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound_folders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inbound_inboxes (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES inbound_folders(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    address TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE IF NOT EXISTS inbound_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    inbox_id INTEGER NOT NULL REFERENCES inbound_inboxes(id) ON DELETE CASCADE,
    thread_id TEXT NOT NULL,
    message_id_header TEXT,
    raw BLOB NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbound_messages_by_inbox ON inbound_messages(inbox_id, seq);
CREATE TABLE IF NOT EXISTS inbound_forward_rules (
    id INTEGER PRIMARY KEY,
    inbox_id INTEGER NOT NULL REFERENCES inbound_inboxes(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
"""

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def seed(store: Store) -> None:
    pass


# -- helpers ---------------------------------------------------------------------
def _name(body: Any) -> str:
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise api_errors(422, {"name": ["can't be blank"]})
    if len(name.strip()) > NAME_MAX:
        raise api_errors(422, {"name": [f"is too long (maximum is {NAME_MAX} characters)"]})
    return name.strip()


def _folder(app: Any, folder_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM inbound_folders WHERE id = ?", (folder_id,))
    if row is None:
        raise not_found()
    return row


def _inbox(app: Any, inbox_id: int, folder_id: int | None = None) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM inbound_inboxes WHERE id = ?", (inbox_id,))
    if row is None or (folder_id is not None and row["folder_id"] != folder_id):
        raise not_found()
    return row


def folder_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"]}


def inbox_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "address": row["address"]}


# -- folders and inboxes ---------------------------------------------------------
def list_folders(app: Any, req: Request) -> list[dict[str, Any]]:
    return [folder_json(r) for r in app.store.all("SELECT * FROM inbound_folders ORDER BY id")]


def create_folder(app: Any, req: Request) -> Any:
    name = _name(req.json())
    with app.store.tx() as conn:
        new_id = conn.execute("INSERT INTO inbound_folders (name) VALUES (?)",
                              (name,)).lastrowid
    return folder_json(_folder(app, int(new_id))), 201


def get_folder(app: Any, req: Request, folder_id: int) -> dict[str, Any]:
    return folder_json(_folder(app, folder_id))


def update_folder(app: Any, req: Request, folder_id: int) -> dict[str, Any]:
    _folder(app, folder_id)
    name = _name(req.json())
    with app.store.tx() as conn:
        conn.execute("UPDATE inbound_folders SET name = ? WHERE id = ?", (name, folder_id))
    return folder_json(_folder(app, folder_id))


def delete_folder(app: Any, req: Request, folder_id: int) -> Any:
    _folder(app, folder_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM inbound_folders WHERE id = ?", (folder_id,))
    return None, 204


def list_inboxes(app: Any, req: Request, folder_id: int) -> list[dict[str, Any]]:
    _folder(app, folder_id)
    return [inbox_json(r) for r in app.store.all(
        "SELECT * FROM inbound_inboxes WHERE folder_id = ? ORDER BY id", (folder_id,))]


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "inbox"
    return f"{slug}-{secrets.token_hex(4)}@{DOMAIN}"


def create_inbox(app: Any, req: Request, folder_id: int) -> Any:
    _folder(app, folder_id)
    name = _name(req.json())
    with app.store.tx() as conn:
        new_id = conn.execute("INSERT INTO inbound_inboxes (folder_id, name, address) "
                              "VALUES (?, ?, ?)", (folder_id, name, _slug(name))).lastrowid
    return inbox_json(_inbox(app, int(new_id))), 201


def get_inbox(app: Any, req: Request, folder_id: int, inbox_id: int) -> dict[str, Any]:
    _folder(app, folder_id)
    return inbox_json(_inbox(app, inbox_id, folder_id))


def update_inbox(app: Any, req: Request, folder_id: int, inbox_id: int) -> dict[str, Any]:
    _inbox(app, inbox_id, folder_id)
    name = _name(req.json())
    with app.store.tx() as conn:
        conn.execute("UPDATE inbound_inboxes SET name = ? WHERE id = ?", (name, inbox_id))
    return inbox_json(_inbox(app, inbox_id))


def delete_inbox(app: Any, req: Request, folder_id: int, inbox_id: int) -> Any:
    _inbox(app, inbox_id, folder_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM inbound_inboxes WHERE id = ?", (inbox_id,))
    return None, 204


# -- receiving -------------------------------------------------------------------
_counter = [0]


def _new_id() -> str:
    _counter[0] = (_counter[0] + 1) % 1000
    return f"{time.time_ns() // 1000:d}{_counter[0]:03d}"


def _refs(msg: Any) -> list[str]:
    return re.findall(r"<[^>]+>", str(msg.get("References") or ""))


def receive(conn: Any, inbox_id: int, raw: bytes) -> str:
    """Store one received message (inside an open transaction); returns its id."""
    msg = message_from_bytes(raw, policy=policy.default)
    header_id = str(msg.get("Message-ID") or "").strip() or None
    parents = [str(msg.get("In-Reply-To") or "").strip(), *reversed(_refs(msg))]
    thread_id = None
    for parent in parents:
        if not parent:
            continue
        row = conn.execute("SELECT thread_id FROM inbound_messages WHERE inbox_id = ? AND "
                           "message_id_header = ?", (inbox_id, parent)).fetchone()
        if row:
            thread_id = row[0]
            break
    message_id = _new_id()
    conn.execute("INSERT INTO inbound_messages (id, inbox_id, thread_id, message_id_header, "
                 "raw, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                 (message_id, inbox_id, thread_id or f"t{message_id}", header_id, raw,
                  now_iso()))
    return message_id


def deliver_to_inboxes(conn: Any, recipients: list[str], raw_for: Any) -> None:
    """A live send: recipients at an inbound inbox's address land in it."""
    for address in recipients:
        row = conn.execute("SELECT id FROM inbound_inboxes WHERE address = ?",
                           (address,)).fetchone()
        if row:
            receive(conn, int(row[0]), raw_for())


def local_receive(app: Any, req: Request, inbox_id: int) -> Any:
    _inbox(app, inbox_id)
    if not req.body:
        raise api_errors(422, {"base": ["the body must be a raw MIME message"]})
    with app.store.tx() as conn:
        message_id = receive(conn, inbox_id, req.body)
    return {"id": message_id}, 201


# -- messages --------------------------------------------------------------------
def _addresses(msg: Any, name: str) -> list[str]:
    try:
        values = msg.get_all(name) or []
        return [addr for _, addr in getaddresses([str(v) for v in values]) if addr]
    except Exception:  # noqa: BLE001 - a malformed header must not lose the message
        return []


def _bodies(msg: Any) -> tuple[str | None, str | None]:
    html = text = None
    for kind in ("html", "plain"):
        part = msg.get_body(preferencelist=(kind,))
        if part is not None:
            try:
                content = part.get_content()
            except Exception:  # noqa: BLE001
                content = part.get_payload(decode=True).decode("utf-8", "replace")
            if kind == "html":
                html = content
            else:
                text = content
    return html, text


def _attachments(msg: Any) -> list[tuple[str, Any]]:
    found = []
    for index, part in enumerate(msg.iter_attachments() if msg.is_multipart() else []):
        found.append((f"att-{index + 1}", part))
    return found


def message_json(row: dict[str, Any], details: bool = False, base: str = "") -> dict[str, Any]:
    msg = message_from_bytes(row["raw"], policy=policy.default)
    html, text = _bodies(msg)
    froms = _addresses(msg, "From")
    reply_to = _addresses(msg, "Reply-To")
    headers: dict[str, str] = {}
    for key, value in msg.items():
        headers.setdefault(key.lower(), str(value))
    attachments = []
    for att_id, part in _attachments(msg):
        payload = part.get_payload(decode=True) or b""
        item = {"attachment_id": att_id, "size": len(payload),
                "filename": part.get_filename(), "content_type": part.get_content_type(),
                "content_disposition": part.get_content_disposition(),
                "content_id": (str(part.get("Content-ID") or "").strip("<>") or None)}
        if details:
            item["download_url"] = (f"{base}/_local/inbound/messages/{row['id']}/"
                                    f"attachments/{att_id}")
            item["download_url_expires_at"] = None
        attachments.append(item)
    data = {
        "id": row["id"], "inbox_id": row["inbox_id"],
        "from": froms[0] if froms else None,
        "to": _addresses(msg, "To"), "cc": _addresses(msg, "Cc"), "bcc": [],
        "reply_to": reply_to[0] if reply_to else None,
        "subject": str(msg.get("Subject")) if msg.get("Subject") is not None else None,
        "message_id": row["message_id_header"],
        "in_reply_to": str(msg.get("In-Reply-To")).strip() if msg.get("In-Reply-To") else None,
        "references": _refs(msg), "headers": headers, "size": len(row["raw"]),
        "html_size": len(html.encode()) if html is not None else None,
        "text_size": len(text.encode()) if text is not None else None,
        "received_at": row["received_at"], "attachments": attachments,
    }
    if details:
        data.update({"raw_message_url": f"{base}/_local/inbound/messages/{row['id']}/raw.eml",
                     "raw_message_expires_at": None, "html_body": html, "text_body": text})
    return data


def _base(req: Request) -> str:
    from mailtrap_cli.local.email_logs import base_url

    return base_url(req)


def _message(app: Any, inbox_id: int, message_id: str) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM inbound_messages WHERE id = ? AND inbox_id = ?",
                        (message_id, inbox_id))
    if row is None:
        raise not_found()
    return row


def _cursor(app: Any, req: Request, inbox_id: int, where: str, args: list[Any]
            ) -> tuple[str, list[Any]]:
    last_id = req.arg("last_id")
    if last_id:
        row = app.store.one("SELECT seq FROM inbound_messages WHERE id = ? AND inbox_id = ?",
                            (last_id, inbox_id))
        if row is None:
            raise api_errors(422, {"last_id": ["does not name a message of this inbox"]})
        return f"{where} AND seq < ?", [*args, row["seq"]]
    return where, args


def list_messages(app: Any, req: Request, inbox_id: int) -> dict[str, Any]:
    _inbox(app, inbox_id)
    total = app.store.one("SELECT COUNT(*) AS n FROM inbound_messages WHERE inbox_id = ?",
                          (inbox_id,))["n"]
    where, args = _cursor(app, req, inbox_id, "inbox_id = ?", [inbox_id])
    rows = app.store.all(f"SELECT * FROM inbound_messages WHERE {where} "  # noqa: S608
                         f"ORDER BY seq DESC LIMIT {PAGE + 1}", args)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return {"data": [message_json(r) for r in rows], "total_count": total,
            "last_id": rows[-1]["id"] if more else None}


def get_message(app: Any, req: Request, inbox_id: int, message_id: str) -> dict[str, Any]:
    _inbox(app, inbox_id)
    return message_json(_message(app, inbox_id, message_id), details=True, base=_base(req))


def delete_message(app: Any, req: Request, inbox_id: int, message_id: str) -> Any:
    _inbox(app, inbox_id)
    _message(app, inbox_id, message_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM inbound_messages WHERE id = ?", (message_id,))
    return None, 204


def raw_eml(app: Any, req: Request, message_id: str) -> Response:
    row = app.store.one("SELECT raw FROM inbound_messages WHERE id = ?", (message_id,))
    if row is None:
        raise not_found()
    return Response(200, bytes(row["raw"]), {"Content-Type": "message/rfc822"})


def attachment_bytes(app: Any, req: Request, message_id: str, attachment_id: str) -> Response:
    row = app.store.one("SELECT raw FROM inbound_messages WHERE id = ?", (message_id,))
    if row is None:
        raise not_found()
    msg = message_from_bytes(row["raw"], policy=policy.default)
    for att_id, part in _attachments(msg):
        if att_id == attachment_id:
            return Response(200, part.get_payload(decode=True) or b"",
                            {"Content-Type": part.get_content_type()})
    raise not_found()


# -- replies and forwards ---------------------------------------------------------
def _send(app: Any, payload: dict[str, Any]) -> dict[str, Any]:
    from mailtrap_cli.local.routes_sending import Rejected, _store, prepare

    try:
        item = prepare(app, payload)
    except Rejected as exc:
        raise api_errors(422, {"base": exc.errors}) from None
    with app.store.tx() as conn:
        _store(app, conn, [item], "transactional", None)
    return {"success": True, "message_ids": item.message_ids}


def _reply_body(req: Request) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise api_errors(422, {"base": ["the body must be a JSON object"]})
    if not any(isinstance(body.get(k), str) and body.get(k) for k in ("text", "html")):
        raise api_errors(422, {"text": ["text or html is required"]})
    return body


def _reply(app: Any, req: Request, inbox_id: int, message_id: str, everyone: bool) -> Any:
    inbox = _inbox(app, inbox_id)
    original = message_json(_message(app, inbox_id, message_id))
    body = _reply_body(req)
    target = original["reply_to"] or original["from"]
    if not target:
        raise api_errors(422, {"base": ["the message has no sender to reply to"]})
    to = [target]
    cc: list[str] = []
    if everyone:
        own = inbox["address"].lower()
        seen = {target.lower(), own}
        for address in original["to"] + original["cc"]:
            if address.lower() not in seen:
                seen.add(address.lower())
                cc.append(address)
    subject = original["subject"] or ""
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    refs = [*original["references"], original["message_id"]] if original["message_id"] else []
    payload: dict[str, Any] = {"from": {"email": inbox["address"]},
                               "to": [{"email": a} for a in to], "subject": subject}
    if cc:
        payload["cc"] = [{"email": a} for a in cc]
    for key in ("text", "html"):
        if body.get(key):
            payload[key] = body[key]
    if refs:
        payload["headers"] = {"In-Reply-To": original["message_id"],
                              "References": " ".join(refs)}
    return _send(app, payload)


def reply(app: Any, req: Request, inbox_id: int, message_id: str) -> Any:
    return _reply(app, req, inbox_id, message_id, everyone=False)


def reply_all(app: Any, req: Request, inbox_id: int, message_id: str) -> Any:
    return _reply(app, req, inbox_id, message_id, everyone=True)


def forward(app: Any, req: Request, inbox_id: int, message_id: str) -> Any:
    inbox = _inbox(app, inbox_id)
    row = _message(app, inbox_id, message_id)
    original = message_json(row, details=True)
    body = req.json()
    if not isinstance(body, dict):
        raise api_errors(422, {"base": ["the body must be a JSON object"]})
    to = body.get("to")
    to = [to] if isinstance(to, str) else to
    if not isinstance(to, list) or not to or not all(
            isinstance(a, str) and EMAIL.match(a) for a in to):
        raise api_errors(422, {"to": ["must be one or more email addresses"]})
    note = body.get("text") or ""
    quoted = original["text_body"] or ""
    text = (f"{note}\n\n---------- Forwarded message ----------\nFrom: {original['from']}\n"
            f"Subject: {original['subject'] or ''}\n\n{quoted}").lstrip()
    payload = {"from": {"email": inbox["address"]}, "to": [{"email": a} for a in to],
               "subject": f"Fwd: {original['subject'] or ''}", "text": text}
    return _send(app, payload)


# -- threads --------------------------------------------------------------------------
def _thread_json(app: Any, thread_id: str, inbox_id: int) -> dict[str, Any]:
    rows = app.store.all("SELECT * FROM inbound_messages WHERE inbox_id = ? AND thread_id = ? "
                         "ORDER BY seq", (inbox_id, thread_id))
    messages = [message_json(r) for r in rows]
    participants: list[str] = []
    for m in messages:
        for address in [m["from"], *m["to"], *m["cc"]]:
            if address and address not in participants:
                participants.append(address)
    return {"id": thread_id, "inbox_id": inbox_id,
            "subject": messages[0]["subject"] if messages else None,
            "messages_count": len(messages), "participants": participants,
            "last_message_at": messages[-1]["received_at"] if messages else None,
            "message_ids": [m["id"] for m in messages]}


def list_threads(app: Any, req: Request, inbox_id: int) -> dict[str, Any]:
    _inbox(app, inbox_id)
    rows = app.store.all("SELECT thread_id, MAX(seq) AS last FROM inbound_messages "
                         "WHERE inbox_id = ? GROUP BY thread_id ORDER BY last DESC",
                         (inbox_id,))
    start = 0
    last_id = req.arg("last_id")
    if last_id:
        ids = [r["thread_id"] for r in rows]
        if last_id not in ids:
            raise api_errors(422, {"last_id": ["does not name a thread of this inbox"]})
        start = ids.index(last_id) + 1
    page = rows[start:start + PAGE]
    more = start + PAGE < len(rows)
    return {"data": [_thread_json(app, r["thread_id"], inbox_id) for r in page],
            "total_count": len(rows), "last_id": page[-1]["thread_id"] if more else None}


def get_thread(app: Any, req: Request, inbox_id: int, thread_id: str) -> dict[str, Any]:
    _inbox(app, inbox_id)
    thread = _thread_json(app, thread_id, inbox_id)
    if not thread["messages_count"]:
        raise not_found()
    rows = app.store.all("SELECT * FROM inbound_messages WHERE inbox_id = ? AND thread_id = ? "
                         "ORDER BY seq", (inbox_id, thread_id))
    thread["messages"] = [message_json(r) for r in rows]
    return thread


def delete_thread(app: Any, req: Request, inbox_id: int, thread_id: str) -> Any:
    get_thread(app, req, inbox_id, thread_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM inbound_messages WHERE inbox_id = ? AND thread_id = ?",
                     (inbox_id, thread_id))
    return None, 204


# -- forward rules ----------------------------------------------------------------------
def rule_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "inbox_id": row["inbox_id"], "email": row["email"],
            "active": bool(row["active"]), "created_at": row["created_at"]}


def _rule(app: Any, inbox_id: int, rule_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM inbound_forward_rules WHERE id = ? AND inbox_id = ?",
                        (rule_id, inbox_id))
    if row is None:
        raise not_found()
    return row


def _rule_body(req: Request, partial: bool) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise api_errors(422, {"base": ["the body must be a JSON object"]})
    body = body.get("forward_rule", body) if isinstance(body.get("forward_rule"), dict) else body
    errors: dict[str, list[str]] = {}
    if "email" in body or not partial:
        email = body.get("email")
        if not isinstance(email, str) or not EMAIL.match(email):
            errors["email"] = ["is invalid"]
    if "active" in body and not isinstance(body["active"], bool):
        errors["active"] = ["must be true or false"]
    if errors:
        raise api_errors(422, errors)
    return body


def list_rules(app: Any, req: Request, inbox_id: int) -> dict[str, Any]:
    _inbox(app, inbox_id)
    return {"data": [rule_json(r) for r in app.store.all(
        "SELECT * FROM inbound_forward_rules WHERE inbox_id = ? ORDER BY id", (inbox_id,))]}


def create_rule(app: Any, req: Request, inbox_id: int) -> Any:
    _inbox(app, inbox_id)
    body = _rule_body(req, partial=False)
    with app.store.tx() as conn:
        new_id = conn.execute("INSERT INTO inbound_forward_rules (inbox_id, email, active, "
                              "created_at) VALUES (?, ?, ?, ?)",
                              (inbox_id, body["email"], int(body.get("active", True)),
                               now_iso())).lastrowid
    return {"data": rule_json(_rule(app, inbox_id, int(new_id)))}, 201


def get_rule(app: Any, req: Request, inbox_id: int, rule_id: int) -> dict[str, Any]:
    _inbox(app, inbox_id)
    return {"data": rule_json(_rule(app, inbox_id, rule_id))}


def update_rule(app: Any, req: Request, inbox_id: int, rule_id: int) -> dict[str, Any]:
    _inbox(app, inbox_id)
    row = _rule(app, inbox_id, rule_id)
    body = _rule_body(req, partial=True)
    with app.store.tx() as conn:
        conn.execute("UPDATE inbound_forward_rules SET email = ?, active = ? WHERE id = ?",
                     (body.get("email", row["email"]),
                      int(body.get("active", bool(row["active"]))), rule_id))
    return {"data": rule_json(_rule(app, inbox_id, rule_id))}


def delete_rule(app: Any, req: Request, inbox_id: int, rule_id: int) -> Any:
    _inbox(app, inbox_id)
    _rule(app, inbox_id, rule_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM inbound_forward_rules WHERE id = ?", (rule_id,))
    return None, 204


def register(router: Router) -> None:
    base = "/api/inbound"
    router.add("GET", f"{base}/folders", list_folders)
    router.add("POST", f"{base}/folders", create_folder)
    router.add("GET", f"{base}/folders/{{folder_id:int}}", get_folder)
    router.add("PATCH", f"{base}/folders/{{folder_id:int}}", update_folder)
    router.add("DELETE", f"{base}/folders/{{folder_id:int}}", delete_folder)
    router.add("GET", f"{base}/folders/{{folder_id:int}}/inboxes", list_inboxes)
    router.add("POST", f"{base}/folders/{{folder_id:int}}/inboxes", create_inbox)
    one = f"{base}/folders/{{folder_id:int}}/inboxes/{{inbox_id:int}}"
    router.add("GET", one, get_inbox)
    router.add("PATCH", one, update_inbox)
    router.add("DELETE", one, delete_inbox)
    box = f"{base}/inboxes/{{inbox_id:int}}"
    router.add("GET", f"{box}/messages", list_messages)
    router.add("GET", f"{box}/messages/{{message_id}}", get_message)
    router.add("DELETE", f"{box}/messages/{{message_id}}", delete_message)
    router.add("POST", f"{box}/messages/{{message_id}}/reply", reply)
    router.add("POST", f"{box}/messages/{{message_id}}/reply_all", reply_all)
    router.add("POST", f"{box}/messages/{{message_id}}/forward", forward)
    router.add("GET", f"{box}/threads", list_threads)
    router.add("GET", f"{box}/threads/{{thread_id}}", get_thread)
    router.add("DELETE", f"{box}/threads/{{thread_id}}", delete_thread)
    router.add("GET", f"{box}/forward_rules", list_rules)
    router.add("POST", f"{box}/forward_rules", create_rule)
    router.add("GET", f"{box}/forward_rules/{{rule_id:int}}", get_rule)
    router.add("PATCH", f"{box}/forward_rules/{{rule_id:int}}", update_rule)
    router.add("DELETE", f"{box}/forward_rules/{{rule_id:int}}", delete_rule)
    router.add("POST", "/_local/inbound/inboxes/{inbox_id:int}/messages", local_receive)
    router.add("GET", "/_local/inbound/messages/{message_id}/raw.eml", raw_eml)
    router.add("GET", "/_local/inbound/messages/{message_id}/attachments/{attachment_id}",
               attachment_bytes)
