"""Sandbox messages on the built-in server (sandbox.openapi.yml, Messages).

- GET                /api/sandboxes/{sandbox_id}/messages       ?search= &page= &last_id=
- GET/PATCH/DELETE   /api/sandboxes/{sandbox_id}/messages/{id}
- POST               .../messages/{id}/forward                   {"email": ...}
- GET                .../messages/{id}/spam_report | analyze | mail_headers
- GET                .../messages/{id}/body.txt|html|htmlsource|raw|eml  (409 when absent)
- GET                /api/testing_message_parts/{id}/body.*      where `*_path` may point
- attachments: see routes_sandbox_attachments.py (registered from here)

Listing is newest first, 30 per page; `last_id` (older than that id) overrides
`page`; `search` matches subject, to_email and to_name (case-insensitive
substring). Everything shown is parsed from the stored raw MIME on read.
"""

from __future__ import annotations

import functools
from typing import Any

from mailtrap_cli.local import message_parts as parts
from mailtrap_cli.local import routes_sandbox_attachments
from mailtrap_cli.local.message_reports import html_analysis, spam_report
from mailtrap_cli.local.router import Request, Response, Router, api_errors, not_found
from mailtrap_cli.local.store import Store, loads, now_iso

SCHEMA = routes_sandbox_attachments.SCHEMA + """
CREATE TABLE IF NOT EXISTS message_forwards (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL,
    sandbox_id INTEGER NOT NULL,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""
PAGE_SIZE = 30
MAX_ID = 2**63 - 1
CLIENT_IP = "127.0.0.1"
# Where `*_path` fields point: "sandbox" (/api/sandboxes/...) or "parts"
# (/api/testing_message_parts/..., as upstream often answers). Tests switch it
# to prove the CLI follows the returned paths instead of rebuilding them.
BODY_PATHS = "sandbox"
# format suffix -> (message field holding its path, content type)
BODY_FORMATS = {
    "html": ("html_path", "text/html; charset=utf-8"),
    "txt": ("txt_path", "text/plain; charset=utf-8"),
    "raw": ("raw_path", "text/plain; charset=utf-8"),
    "eml": ("download_path", "message/rfc822"),
    "htmlsource": ("html_source_path", "text/html; charset=utf-8"),
}


def seed(store: Store) -> None:
    """Databases made before `updated_at` existed get the column."""
    columns = {row["name"] for row in store.all("PRAGMA table_info(messages)")}
    if "updated_at" not in columns:
        store.execute("ALTER TABLE messages ADD COLUMN updated_at TEXT")


# -- shapes --------------------------------------------------------------------
def body_paths(sandbox_id: int, message_id: int) -> dict[str, str]:
    if BODY_PATHS == "parts":
        base = f"/api/testing_message_parts/{message_id}"
    else:
        base = f"/api/sandboxes/{sandbox_id}/messages/{message_id}"
    return {field: f"{base}/body.{suffix}" for suffix, (field, _) in BODY_FORMATS.items()}


def message_object(row: dict[str, Any], *, mutation: bool = False) -> dict[str, Any]:
    """A SandboxMessage. PATCH and DELETE answer `blacklists_report_info: false`
    as the spec shows for them; GET and the list give the report object."""
    raw = bytes(row["raw"])
    msg = parts.parse(raw)
    text, html = parts.text_body(msg), parts.html_body(msg)
    rcpts = row["smtp_to"].split(",") if row.get("smtp_to") else parts.recipients(msg)
    domain = row["from_email"].rpartition("@")[2]
    blacklists: Any = False if mutation else {
        "result": "success", "domain": domain, "ip": CLIENT_IP, "report": []}
    return {
        "id": row["id"],
        "sandbox_id": row["sandbox_id"],
        "subject": row["subject"],
        "sent_at": parts.sent_at(msg) or row["created_at"],
        "from_email": row["from_email"],
        "from_name": row["from_name"],
        "to_email": row["to_email"],
        "to_name": row["to_name"],
        "email_size": len(raw),
        "is_read": bool(row["is_read"]),
        "created_at": row["created_at"],
        "updated_at": row.get("updated_at") or row["created_at"],
        "template_id": row.get("template_id") or 0,
        "template_variables": loads(row.get("template_variables")),
        "html_body_size": len(html.encode("utf-8")) if html is not None else 0,
        "text_body_size": len(text.encode("utf-8")) if text is not None else 0,
        "human_size": parts.human_size(len(raw)),
        **body_paths(row["sandbox_id"], row["id"]),
        "blacklists_report_info": blacklists,
        "smtp_information": {"ok": True, "data": {
            "mail_from_addr": row.get("smtp_from") or row["from_email"],
            "client_ip": CLIENT_IP,
            "rcpt_to_addrs": rcpts,
        }},
    }


# -- lookups -------------------------------------------------------------------
def load_message(app: Any, sandbox_id: int, message_id: int) -> dict[str, Any]:
    """The message row, or the API's 404 when the sandbox or the message is unknown."""
    row = app.store.one("SELECT * FROM messages WHERE id = ? AND sandbox_id = ?",
                        (message_id, sandbox_id))
    if row is None:
        raise not_found()
    return row


def _sandbox_exists(app: Any, sandbox_id: int) -> None:
    if app.store.one("SELECT id FROM sandboxes WHERE id = ?", (sandbox_id,)) is None:
        raise not_found()


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_ids(app: Any, sandbox_id: int, search: str) -> list[int]:
    wanted = search.casefold()
    rows = app.store.all("SELECT id, subject, to_email, to_name FROM messages "
                         "WHERE sandbox_id = ?", (sandbox_id,))
    return [int(row["id"]) for row in rows
            if any(wanted in str(row[key] or "").casefold()
                   for key in ("subject", "to_email", "to_name"))]


# -- handlers ------------------------------------------------------------------
def list_messages(app: Any, req: Request, sandbox_id: int) -> list[dict[str, Any]]:
    _sandbox_exists(app, sandbox_id)
    where, args = ["sandbox_id = ?"], [sandbox_id]
    search = (req.arg("search") or "").strip()
    if search and search.isascii():
        where.append("(subject LIKE ? ESCAPE '\\' OR to_email LIKE ? ESCAPE '\\' "
                     "OR to_name LIKE ? ESCAPE '\\')")
        args += [_like(search)] * 3
    elif search:  # SQLite's LIKE folds ASCII only: match `Über` to `über` here
        ids = ",".join(map(str, _search_ids(app, sandbox_id, search)))
        where.append(f"id IN ({ids or 'NULL'})")
    last_id = req.int_arg("last_id")
    page = req.int_arg("page", 1)
    page = 1 if page is None else page
    if page < 1 or (last_id is not None and last_id < 1):
        raise api_errors(422, {"page" if page < 1 else "last_id": ["must be at least 1"]})
    offset = 0
    if last_id is not None:  # overrides page, as the spec says
        where.append("id < ?")
        args.append(min(last_id, MAX_ID))   # SQLite integers are 64-bit
    else:
        offset = (page - 1) * PAGE_SIZE
        if offset > MAX_ID:
            return []
    rows = app.store.all(f"SELECT * FROM messages WHERE {' AND '.join(where)} "  # noqa: S608
                         "ORDER BY id DESC LIMIT ? OFFSET ?", (*args, PAGE_SIZE, offset))
    return [message_object(row) for row in rows]


def show_message(app: Any, req: Request, sandbox_id: int, message_id: int) -> dict[str, Any]:
    return message_object(load_message(app, sandbox_id, message_id))


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "t", "yes"):
        return True
    if text in ("false", "0", "f", "no"):
        return False
    return None


def update_message(app: Any, req: Request, sandbox_id: int, message_id: int) -> dict[str, Any]:
    load_message(app, sandbox_id, message_id)
    body = req.json() or {}
    fields = body.get("message") if isinstance(body, dict) else None
    if not isinstance(fields, dict) or "is_read" not in fields:
        raise api_errors(422, {"is_read": ["can't be blank"]})
    is_read = _flag(fields["is_read"])
    if is_read is None:
        raise api_errors(422, {"is_read": ["must be true or false"]})
    with app.store.tx() as conn:
        conn.execute("UPDATE messages SET is_read = ?, updated_at = ? WHERE id = ?",
                     (int(is_read), now_iso(), message_id))
    return message_object(load_message(app, sandbox_id, message_id), mutation=True)


def delete_message(app: Any, req: Request, sandbox_id: int, message_id: int) -> dict[str, Any]:
    row = load_message(app, sandbox_id, message_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
    return message_object(row, mutation=True)


def forward_message(app: Any, req: Request, sandbox_id: int, message_id: int) -> dict[str, Any]:
    load_message(app, sandbox_id, message_id)
    body = req.json()
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str) or not email.strip():
        raise api_errors(422, {"email": ["can't be blank"]})
    local, _, domain = email.strip().rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in email.strip()):
        raise api_errors(422, {"email": ["is invalid"]})
    with app.store.tx() as conn:
        conn.execute("INSERT INTO message_forwards (message_id, sandbox_id, email, created_at) "
                     "VALUES (?, ?, ?, ?)", (message_id, sandbox_id, email.strip(), now_iso()))
        conn.execute("UPDATE sandboxes SET forwarded_messages_count = "
                     "forwarded_messages_count + 1 WHERE id = ?", (sandbox_id,))
    return {"message": "Your email message has been successfully forwarded"}


def get_spam_report(app: Any, req: Request, sandbox_id: int, message_id: int) -> dict[str, Any]:
    row = load_message(app, sandbox_id, message_id)
    msg = parts.parse(bytes(row["raw"]))
    return spam_report(subject=row["subject"], text=parts.text_body(msg),
                       html=parts.html_body(msg), has_date=bool(parts.header(msg, "Date")),
                       has_message_id=bool(parts.header(msg, "Message-ID")))


def get_analysis(app: Any, req: Request, sandbox_id: int, message_id: int) -> dict[str, Any]:
    row = load_message(app, sandbox_id, message_id)
    return html_analysis(parts.html_body(parts.parse(bytes(row["raw"]))))


def get_headers(app: Any, req: Request, sandbox_id: int, message_id: int) -> dict[str, Any]:
    row = load_message(app, sandbox_id, message_id)
    return {"headers": parts.all_headers(parts.parse(bytes(row["raw"])))}


def _conflict() -> Response:
    return Response(409, b"Conflict", {"Content-Type": "text/plain; charset=utf-8"})


def render_body(app: Any, row: dict[str, Any], fmt: str) -> Response:
    raw = bytes(row["raw"])
    ctype = BODY_FORMATS[fmt][1]
    if fmt in ("raw", "eml"):
        return Response(200, raw, {"Content-Type": ctype})
    msg = parts.parse(raw)
    content = parts.text_body(msg) if fmt == "txt" else parts.html_body(msg)
    if content is None:
        return _conflict()
    if fmt == "html":
        # The "formatted" body: inline images point at their downloads.
        content = routes_sandbox_attachments.link_inline_images(app, row, msg, content)
    return Response(200, content.encode("utf-8"), {"Content-Type": ctype})


def get_body(app: Any, req: Request, sandbox_id: int, message_id: int, *, fmt: str) -> Response:
    return render_body(app, load_message(app, sandbox_id, message_id), fmt)


def get_part(app: Any, req: Request, message_id: int, *, fmt: str) -> Response:
    row = app.store.one("SELECT * FROM messages WHERE id = ?", (message_id,))
    if row is None:
        raise not_found()
    return render_body(app, row, fmt)


def register(router: Router) -> None:
    base = "/api/sandboxes/{sandbox_id:int}/messages"
    one = base + "/{message_id:int}"
    router.add("GET", base, list_messages)
    router.add("GET", one, show_message)
    router.add("PATCH", one, update_message)
    router.add("DELETE", one, delete_message)
    router.add("POST", one + "/forward", forward_message)
    router.add("GET", one + "/spam_report", get_spam_report)
    router.add("GET", one + "/analyze", get_analysis)
    router.add("GET", one + "/mail_headers", get_headers)
    for fmt in BODY_FORMATS:
        router.add("GET", f"{one}/body\\.{fmt}", functools.partial(get_body, fmt=fmt))
        router.add("GET", f"/api/testing_message_parts/{{message_id:int}}/body\\.{fmt}",
                   functools.partial(get_part, fmt=fmt))
    routes_sandbox_attachments.register(router)
