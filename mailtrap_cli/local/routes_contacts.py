"""Contacts and contact events: /api/contacts (contacts.openapi.yml).

`PATCH /api/contacts/{UUID or email}` is an upsert answering
`{"action": "created"|"updated", "data": contact}`; an unknown UUID is a 404,
an unknown email creates the contact. Validation errors come back as the spec
shows them: flat lists on create, nested lists on update.
"""

from __future__ import annotations

from typing import Any

from mailtrap_cli.local import contacts_db as db
from mailtrap_cli.local.router import HTTPError, Request, Router, api_errors
from mailtrap_cli.local.routes_contact_jobs import settle

SCHEMA = db.SCHEMA
MAX_EVENT_TEXT = 255


def _contact_attrs(req: Request) -> dict[str, Any]:
    body = req.json()
    attrs = body.get("contact") if isinstance(body, dict) else None
    if not isinstance(attrs, dict):
        raise api_errors(422, {"contact": ["is missing"]})
    return attrs


def create_contact(app: Any, req: Request) -> Any:
    settle(app.store)
    attrs = _contact_attrs(req)
    store = app.store
    errors: dict[str, list[str]] = {}
    email = attrs.get("email")
    if problems := db.check_email(email):
        errors["email"] = problems
    elif db.by_email(store, email) is not None:
        errors["email"] = ["has already been taken"]
    errors.update(db.check_fields(db.field_types(store), attrs.get("fields")))
    if db.bad_list_ids(attrs.get("list_ids"), db.existing_lists(store)):
        errors["list_ids"] = ["contains invalid data"]
    if errors:
        raise api_errors(422, errors)
    with store.tx() as conn:
        _, pk = db.upsert(conn, email=email.strip(), fields=attrs.get("fields"),
                          include=attrs.get("list_ids"), exclude=None)
    row = store.one("SELECT * FROM contacts WHERE pk = ?", (pk,))
    return {"data": db.public(store, row)}, 201


def get_contact(app: Any, req: Request, ident: str) -> Any:
    settle(app.store)
    return {"data": db.public(app.store, db.get_or_404(app.store, ident))}


def update_contact(app: Any, req: Request, ident: str) -> Any:
    settle(app.store)
    store = app.store
    attrs = _contact_attrs(req)
    existing = db.find(store, ident)
    if existing is None and db.is_uuid(ident):
        raise HTTPError(404, {"error": "Not Found"})
    email = attrs.get("email")
    if email is None:
        from urllib.parse import unquote

        email = existing["email"] if existing else unquote(ident)
    errors: dict[str, list[list[str]]] = {}
    if problems := db.check_email(email):
        errors["email"] = [problems]
    else:
        other = db.by_email(store, email)
        if other is not None and (existing is None or other["pk"] != existing["pk"]):
            if existing is not None:
                errors["email"] = [["has already been taken"]]
            else:
                existing = other   # the body names a contact that exists: update it
    for key, messages in db.check_fields(db.field_types(store), attrs.get("fields")).items():
        errors[key] = [messages]
    known = db.existing_lists(store)
    include, exclude = attrs.get("list_ids_included"), attrs.get("list_ids_excluded")
    if db.bad_list_ids(include, known):
        errors["list_id_included"] = [["contains invalid data"]]
    if db.bad_list_ids(exclude, known):
        errors["list_id_excluded"] = [["contains invalid data"]]
    if isinstance(include, list) and isinstance(exclude, list):
        both = sorted(set(include) & set(exclude), key=str)
        if both:
            names = ", ".join(str(i) for i in both)
            errors["base"] = [[f"same list_ids {names} are specified both as included "
                               "and excluded"]]
    unsubscribed = attrs.get("unsubscribed")
    if unsubscribed is not None and not isinstance(unsubscribed, bool):
        errors["unsubscribed"] = [["is invalid"]]
    if errors:
        raise api_errors(422, errors)
    with store.tx() as conn:
        action, pk = db.upsert(conn, email=email.strip(), fields=attrs.get("fields"),
                               include=include, exclude=exclude, unsubscribed=unsubscribed,
                               pk=existing["pk"] if existing else None)
    row = store.one("SELECT * FROM contacts WHERE pk = ?", (pk,))
    return {"action": action, "data": db.public(store, row)}


def delete_contact(app: Any, req: Request, ident: str) -> Any:
    settle(app.store)
    row = db.find(app.store, ident)
    if row is None:
        raise api_errors(404, "Contact(s) not found")
    with app.store.tx() as conn:
        conn.execute("DELETE FROM contacts WHERE pk = ?", (row["pk"],))
    return None, 204


def create_event(app: Any, req: Request, ident: str) -> Any:
    row = db.get_or_404(app.store, ident)
    body = req.json()
    if not isinstance(body, dict):
        raise api_errors(422, {"name": [["must be a string"]]})
    errors: dict[str, list[list[str]]] = {}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = [["must be a string"]]
    elif len(name) > MAX_EVENT_TEXT:
        errors["name"] = [["is too long"]]
    params = body.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        errors["params"] = [["must be a hash"]]
    else:
        problems = []
        for key, value in params.items():
            if len(key) > MAX_EVENT_TEXT:
                problems.append(f"key '{key[:40]}' is too long")
            if isinstance(value, (dict, list)):
                problems.append(f"value for '{key}' must be a scalar")
            elif isinstance(value, str) and len(value) > MAX_EVENT_TEXT:
                problems.append(f"value for '{key}' is too long")
        if problems:
            errors["params"] = [problems]
    if errors:
        raise api_errors(422, errors)
    from mailtrap_cli.local.store import dumps

    with app.store.tx() as conn:
        conn.execute("INSERT INTO contact_events (contact_pk, name, params, created_at) "
                     "VALUES (?, ?, ?, ?)", (row["pk"], name, dumps(params), db.now_ms()))
    return {"contact_id": row["uuid"], "contact_email": row["email"], "name": name,
            "params": params}, 201


def register(router: Router) -> None:
    router.add("POST", "/api/contacts", create_contact)
    router.add("GET", "/api/contacts/{ident}", get_contact)
    router.add("PATCH", "/api/contacts/{ident}", update_contact)
    router.add("DELETE", "/api/contacts/{ident}", delete_contact)
    router.add("POST", "/api/contacts/{ident}/events", create_event)
