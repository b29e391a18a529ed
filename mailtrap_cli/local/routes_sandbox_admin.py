"""Sandbox projects and sandboxes (inboxes) on the built-in server.

- GET/POST           /api/projects
- GET/PATCH/DELETE   /api/projects/{project_id}
- POST               /api/projects/{project_id}/sandboxes
- GET                /api/sandboxes
- GET/PATCH/DELETE   /api/sandboxes/{sandbox_id}
- PATCH              /api/sandboxes/{sandbox_id}/clean | all_read | reset_credentials |
                     toggle_email_username | reset_email_username

Shapes follow sandbox.openapi.yml (Project, TestingSandbox). The SMTP host and
ports a sandbox reports are those of the server's own SMTP listener when one
runs (`app.smtp_host` / `app.smtp_port`, set by whoever starts it, then the
implicit-TLS `app.smtps_port`), else those of a `local serve` running on the
same database (the in-process `local` profile), else none: host 127.0.0.1
with no ports, never Mailtrap's own host, which would not see the mail.

Ids of deleted projects and sandboxes are never given again (mailstore.next_id).
"""

from __future__ import annotations

import secrets
from typing import Any

from mailtrap_cli.local.mailstore import default_message_limit, get_sandbox, next_id
from mailtrap_cli.local.router import Request, Router, api_errors, not_found
from mailtrap_cli.local.store import now_iso

# Counters a real sandbox keeps even after its messages are deleted.
SCHEMA = """
CREATE TRIGGER IF NOT EXISTS sandbox_counts_delivery AFTER INSERT ON messages
BEGIN
    UPDATE sandboxes SET sent_messages_count = sent_messages_count + 1,
                         last_message_sent_at = NEW.created_at
    WHERE id = NEW.sandbox_id;
END;
"""

LOCAL_SMTP_HOST = "127.0.0.1"
POP3_HOST = "pop3.mailtrap.io"
POP3_PORTS = [1100, 9950]
EMAIL_DOMAIN = "inbox.mailtrap.io"
API_DOMAIN = "sandbox.api.mailtrap.io"
ACCOUNT_ID = 1
PERMISSIONS = {"can_read": True, "can_update": True, "can_destroy": True, "can_leave": False}
PROJECT_NAME_MIN, NAME_MAX = 2, 100

_SANDBOX_SQL = """
SELECT s.*,
       (SELECT COUNT(*) FROM messages m WHERE m.sandbox_id = s.id) AS emails_count,
       (SELECT COUNT(*) FROM messages m WHERE m.sandbox_id = s.id AND m.is_read = 0)
           AS emails_unread_count
FROM sandboxes s
"""


# -- serialisation ------------------------------------------------------------
def smtp_endpoint(app: Any) -> tuple[str, list[int]]:
    """(host, ports) clients should use for SMTP with this server; no ports when
    no SMTP listener serves this database."""
    port = getattr(app, "smtp_port", None)
    if port:
        smtps = getattr(app, "smtps_port", None)
        return (getattr(app, "smtp_host", None) or "127.0.0.1",
                [int(port)] + ([int(smtps)] if smtps else []))
    if app.store.path != ":memory:":
        from mailtrap_cli.local.runstate import served_smtp

        served = served_smtp(app.store.path)
        if served is not None:
            return served
    return LOCAL_SMTP_HOST, []


def sandbox_json(app: Any, row: dict[str, Any]) -> dict[str, Any]:
    host, ports = smtp_endpoint(app)
    return {
        "id": row["id"],
        "name": row["name"],
        "username": row["username"],
        "password": row["password"],
        "max_size": row["max_size"],
        "status": row["status"],
        "email_username": row["email_username"],
        "email_username_enabled": bool(row["email_username_enabled"]),
        "sent_messages_count": row["sent_messages_count"],
        "forwarded_messages_count": row["forwarded_messages_count"],
        "used": row["sent_messages_count"] > 0,
        "forward_from_email_address": f"a{ACCOUNT_ID}-i{row['id']}@forward.mailtrap.info",
        "project_id": row["project_id"],
        "domain": host,
        "pop3_domain": POP3_HOST,
        "email_domain": EMAIL_DOMAIN,
        "api_domain": API_DOMAIN,
        "emails_count": row["emails_count"],
        "emails_unread_count": row["emails_unread_count"],
        "last_message_sent_at": row["last_message_sent_at"],
        "smtp_ports": ports,
        "pop3_ports": list(POP3_PORTS),
        "max_message_size": row["max_message_size"],
        "permissions": dict(PERMISSIONS),
    }


def _sandbox_rows(app: Any, where: str = "", args: tuple[Any, ...] = ()) -> list[dict]:
    return app.store.all(_SANDBOX_SQL + where + " ORDER BY s.id", args)


def load_sandbox(app: Any, sandbox_id: int) -> dict[str, Any]:
    rows = _sandbox_rows(app, "WHERE s.id = ?", (sandbox_id,))
    if not rows:
        raise not_found()
    return sandbox_json(app, rows[0])


def project_json(app: Any, row: dict[str, Any]) -> dict[str, Any]:
    share = f"http://127.0.0.1/projects/{row['id']}/share/"
    return {
        "id": row["id"],
        "name": row["name"],
        "share_links": {"admin": share + "admin-local", "viewer": share + "viewer-local"},
        "sandboxes": [sandbox_json(app, r)
                      for r in _sandbox_rows(app, "WHERE s.project_id = ?", (row["id"],))],
        "permissions": dict(PERMISSIONS, can_leave=True),
    }


def _project_row(app: Any, project_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM projects WHERE id = ?", (project_id,))
    if row is None:
        raise not_found()
    return row


# -- request bodies -----------------------------------------------------------
def _wrapped(req: Request, wrapper: str) -> dict[str, Any]:
    body = req.json()
    inner = body.get(wrapper) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise api_errors(422, {wrapper: ["is missing"]})
    return inner


def _valid_name(value: Any, shortest: int = 1) -> str:
    """Project names are 2-100 characters (spec); sandbox names 1-100."""
    if not isinstance(value, str) or not value.strip():
        raise api_errors(422, {"name": ["can't be blank"]})
    name = value.strip()
    if len(name) < shortest:
        raise api_errors(422, {"name": [f"is too short (minimum is {shortest} characters)"]})
    if len(name) > NAME_MAX:
        raise api_errors(422, {"name": [f"is too long (maximum is {NAME_MAX} characters)"]})
    return name


def _credential() -> str:
    return secrets.token_hex(7)


def _email_username() -> str:
    return f"{secrets.token_hex(5)}-{secrets.token_hex(3)}"


# -- projects -----------------------------------------------------------------
def list_projects(app: Any, req: Request) -> list[dict[str, Any]]:
    return [project_json(app, r) for r in app.store.all("SELECT * FROM projects ORDER BY id")]


def get_project(app: Any, req: Request, project_id: int) -> dict[str, Any]:
    return project_json(app, _project_row(app, project_id))


def create_project(app: Any, req: Request) -> dict[str, Any]:
    name = _valid_name(_wrapped(req, "project").get("name"), PROJECT_NAME_MIN)
    with app.store.tx() as conn:
        new_id = conn.execute("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)",
                              (next_id(conn, "projects"), name, now_iso())).lastrowid
    return get_project(app, req, int(new_id))


def update_project(app: Any, req: Request, project_id: int) -> dict[str, Any]:
    _project_row(app, project_id)
    name = _valid_name(_wrapped(req, "project").get("name"), PROJECT_NAME_MIN)
    with app.store.tx() as conn:
        conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, project_id))
    return get_project(app, req, project_id)


def delete_project(app: Any, req: Request, project_id: int) -> dict[str, Any]:
    _project_row(app, project_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))
    return {"id": project_id}


# -- sandboxes ----------------------------------------------------------------
def list_sandboxes(app: Any, req: Request) -> list[dict[str, Any]]:
    return [sandbox_json(app, r) for r in _sandbox_rows(app)]


def get_sandbox_route(app: Any, req: Request, sandbox_id: int) -> dict[str, Any]:
    return load_sandbox(app, sandbox_id)


def create_sandbox(app: Any, req: Request, project_id: int) -> dict[str, Any]:
    _project_row(app, project_id)
    name = _valid_name(_wrapped(req, "sandbox").get("name"))
    with app.store.tx() as conn:
        new_id = conn.execute(
            "INSERT INTO sandboxes (id, project_id, name, username, password, email_username, "
            "max_message_size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (next_id(conn, "sandboxes"), project_id, name, _credential(), _credential(),
             _email_username(), default_message_limit(conn), now_iso()),
        ).lastrowid
    return load_sandbox(app, int(new_id))


def _require_sandbox(app: Any, sandbox_id: int) -> dict[str, Any]:
    row = get_sandbox(app.store, sandbox_id)
    if row is None:
        raise not_found()
    return row


def update_sandbox(app: Any, req: Request, sandbox_id: int) -> dict[str, Any]:
    _require_sandbox(app, sandbox_id)
    fields = _wrapped(req, "sandbox")
    changes: dict[str, Any] = {}
    if "name" in fields:
        changes["name"] = _valid_name(fields["name"])
    if "email_username" in fields:
        changes["email_username"] = _valid_email_username(app, fields["email_username"],
                                                          sandbox_id)
    if changes:
        assignments = ", ".join(f"{key} = ?" for key in changes)
        with app.store.tx() as conn:
            conn.execute(f"UPDATE sandboxes SET {assignments} WHERE id = ?",  # noqa: S608
                         (*changes.values(), sandbox_id))
    return load_sandbox(app, sandbox_id)


def _valid_email_username(app: Any, value: Any, sandbox_id: int) -> str:
    import re

    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9._-]{2,63}", value):
        raise api_errors(422, {"email_username": [
            "must be 3-64 lowercase letters, digits, dots, dashes or underscores"]})
    taken = app.store.one("SELECT id FROM sandboxes WHERE email_username = ? AND id != ?",
                          (value, sandbox_id))
    if taken is not None:
        raise api_errors(422, {"email_username": ["has already been taken"]})
    return value


def delete_sandbox(app: Any, req: Request, sandbox_id: int) -> dict[str, Any]:
    before = load_sandbox(app, sandbox_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM sandboxes WHERE id = ?", (sandbox_id,))
    return before


def _update_then_load(app: Any, sandbox_id: int, sql: str, args: tuple[Any, ...]) -> dict:
    _require_sandbox(app, sandbox_id)
    with app.store.tx() as conn:
        conn.execute(sql, args)
    return load_sandbox(app, sandbox_id)


def clean_sandbox(app: Any, req: Request, sandbox_id: int) -> dict[str, Any]:
    return _update_then_load(app, sandbox_id, "DELETE FROM messages WHERE sandbox_id = ?",
                             (sandbox_id,))


def mark_all_read(app: Any, req: Request, sandbox_id: int) -> dict[str, Any]:
    return _update_then_load(
        app, sandbox_id,
        "UPDATE messages SET is_read = 1, updated_at = ? WHERE sandbox_id = ? AND is_read = 0",
        (now_iso(), sandbox_id))


def reset_credentials(app: Any, req: Request, sandbox_id: int) -> dict[str, Any]:
    return _update_then_load(app, sandbox_id,
                             "UPDATE sandboxes SET username = ?, password = ? WHERE id = ?",
                             (_credential(), _credential(), sandbox_id))


def toggle_email_username(app: Any, req: Request, sandbox_id: int) -> dict[str, Any]:
    return _update_then_load(
        app, sandbox_id,
        "UPDATE sandboxes SET email_username_enabled = 1 - email_username_enabled WHERE id = ?",
        (sandbox_id,))


def reset_email_username(app: Any, req: Request, sandbox_id: int) -> dict[str, Any]:
    return _update_then_load(app, sandbox_id,
                             "UPDATE sandboxes SET email_username = ? WHERE id = ?",
                             (_email_username(), sandbox_id))


def register(router: Router) -> None:
    router.add("GET", "/api/projects", list_projects)
    router.add("POST", "/api/projects", create_project)
    router.add("GET", "/api/projects/{project_id:int}", get_project)
    router.add("PATCH", "/api/projects/{project_id:int}", update_project)
    router.add("DELETE", "/api/projects/{project_id:int}", delete_project)
    router.add("POST", "/api/projects/{project_id:int}/sandboxes", create_sandbox)
    router.add("GET", "/api/sandboxes", list_sandboxes)
    router.add("GET", "/api/sandboxes/{sandbox_id:int}", get_sandbox_route)
    router.add("PATCH", "/api/sandboxes/{sandbox_id:int}", update_sandbox)
    router.add("DELETE", "/api/sandboxes/{sandbox_id:int}", delete_sandbox)
    for action, handler in (("clean", clean_sandbox), ("all_read", mark_all_read),
                            ("reset_credentials", reset_credentials),
                            ("toggle_email_username", toggle_email_username),
                            ("reset_email_username", reset_email_username)):
        router.add("PATCH", f"/api/sandboxes/{{sandbox_id:int}}/{action}", handler)
