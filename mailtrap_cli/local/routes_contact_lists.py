"""Contact lists: /api/contacts/lists (contacts.openapi.yml), with the SDKs'
`?search=` name prefix (case-insensitive)."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.local.router import Request, Router, api_errors, not_found

MAX_NAME = 255


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"]}


def _row(app: Any, list_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM contact_lists WHERE id = ?", (list_id,))
    if row is None:
        raise not_found()
    return row


def _name(app: Any, req: Request, *, own_id: int | None = None) -> str:
    body = req.json()
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise api_errors(422, {"name": ["can't be blank"]})
    name = name.strip()
    if len(name) > MAX_NAME:
        raise api_errors(422, {"name": [f"is too long (maximum is {MAX_NAME} characters)"]})
    clash = app.store.one("SELECT id FROM contact_lists WHERE lower(name) = lower(?)", (name,))
    if clash is not None and clash["id"] != own_id:
        raise api_errors(422, {"name": ["has already been taken"]})
    return name


def list_lists(app: Any, req: Request) -> list[dict[str, Any]]:
    rows = app.store.all("SELECT * FROM contact_lists ORDER BY id")
    search = (req.arg("search") or "").casefold()
    return [_public(r) for r in rows if r["name"].casefold().startswith(search)]


def create_list(app: Any, req: Request) -> Any:
    name = _name(app, req)
    with app.store.tx() as conn:
        list_id = conn.execute("INSERT INTO contact_lists (name) VALUES (?)", (name,)).lastrowid
    return _public(_row(app, int(list_id)))   # the spec answers 200, not 201


def get_list(app: Any, req: Request, list_id: int) -> dict[str, Any]:
    return _public(_row(app, list_id))


def update_list(app: Any, req: Request, list_id: int) -> dict[str, Any]:
    _row(app, list_id)
    name = _name(app, req, own_id=list_id)
    with app.store.tx() as conn:
        conn.execute("UPDATE contact_lists SET name = ? WHERE id = ?", (name, list_id))
    return _public(_row(app, list_id))


def delete_list(app: Any, req: Request, list_id: int) -> Any:
    _row(app, list_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM contact_lists WHERE id = ?", (list_id,))
    return None, 204


def register(router: Router) -> None:
    router.add("GET", "/api/contacts/lists", list_lists)
    router.add("POST", "/api/contacts/lists", create_list)
    router.add("GET", "/api/contacts/lists/{list_id:int}", get_list)
    router.add("PATCH", "/api/contacts/lists/{list_id:int}", update_list)
    router.add("DELETE", "/api/contacts/lists/{list_id:int}", delete_list)
