"""Contact fields: /api/contacts/fields (contacts.openapi.yml).

At most 40 per account; names and merge tags unique; the data type is fixed at
creation. Renaming a merge tag renames the key in every contact's fields, and
deleting a field drops its values.
"""

from __future__ import annotations

import re
from typing import Any

from mailtrap_cli.local import contacts_db as db
from mailtrap_cli.local.router import Request, Router, api_errors, not_found
from mailtrap_cli.local.store import dumps, loads

MAX_TEXT = 80
TYPES = ("text", "integer", "float", "boolean", "date")
_TAG = re.compile(r"^[A-Za-z0-9_]+$")


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "data_type": row["data_type"],
            "merge_tag": row["merge_tag"]}


def _row(app: Any, field_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM contact_fields WHERE id = ?", (field_id,))
    if row is None:
        raise not_found()
    return row


def _tag_from(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "field"


def _attrs(app: Any, req: Request, *, current: dict[str, Any] | None) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise api_errors(422, {"name": [["can't be blank"]]})
    errors: dict[str, list[list[str]]] = {}
    values: dict[str, Any] = {}
    for key in ("name", "merge_tag"):
        if key not in body:
            continue
        value = body[key]
        problems = []
        if not isinstance(value, str) or not value.strip():
            problems.append("can't be blank")
        else:
            value = value.strip()
            if len(value) > MAX_TEXT:
                problems.append(f"is too long (maximum is {MAX_TEXT} characters)")
            if key == "merge_tag" and not _TAG.match(value):
                problems.append("is invalid")
            column = "lower(name) = lower(?)" if key == "name" else "merge_tag = ?"
            clash = app.store.one(f"SELECT id FROM contact_fields WHERE {column}",  # noqa: S608
                                  (value,))
            if clash is not None and (current is None or clash["id"] != current["id"]):
                problems.append("has already been taken")
        if problems:
            errors[key] = [problems]
        else:
            values[key] = value
    if current is None:
        if "name" not in body:
            errors["name"] = [["can't be blank"]]
        data_type = body.get("data_type")
        if data_type not in TYPES:
            errors["data_type"] = [["is not included in the list"]]
        values["data_type"] = data_type
        if "merge_tag" not in body and "name" in values:
            values["merge_tag"] = _tag_from(values["name"])
    elif "data_type" in body and body["data_type"] != current["data_type"]:
        errors["data_type"] = [["cannot be changed"]]
    if errors:
        raise api_errors(422, errors)
    return values


def list_fields(app: Any, req: Request) -> list[dict[str, Any]]:
    return [_public(r) for r in app.store.all("SELECT * FROM contact_fields ORDER BY id")]


def create_field(app: Any, req: Request) -> Any:
    values = _attrs(app, req, current=None)
    count = app.store.one("SELECT COUNT(*) AS n FROM contact_fields")["n"]
    if count >= db.MAX_FIELDS:
        raise api_errors(422, {"base": [[f"you can have up to {db.MAX_FIELDS} fields"]]})
    with app.store.tx() as conn:
        field_id = conn.execute(
            "INSERT INTO contact_fields (name, data_type, merge_tag) VALUES (?, ?, ?)",
            (values["name"], values["data_type"], values["merge_tag"])).lastrowid
    return _public(_row(app, int(field_id))), 201


def get_field(app: Any, req: Request, field_id: int) -> dict[str, Any]:
    return _public(_row(app, field_id))


def update_field(app: Any, req: Request, field_id: int) -> dict[str, Any]:
    current = _row(app, field_id)
    values = _attrs(app, req, current=current)
    with app.store.tx() as conn:
        for key, value in values.items():
            conn.execute(f"UPDATE contact_fields SET {key} = ? WHERE id = ?",  # noqa: S608
                         (value, field_id))
        old, new = current["merge_tag"], values.get("merge_tag")
        if new and new != old:
            rows = conn.execute("SELECT pk, fields FROM contacts WHERE json_type(fields, ?) "
                                "IS NOT NULL", (f'$."{old}"',)).fetchall()
            for pk, text in rows:
                fields = loads(text, {})
                fields[new] = fields.pop(old)
                conn.execute("UPDATE contacts SET fields = ? WHERE pk = ?", (dumps(fields), pk))
    return _public(_row(app, field_id))


def delete_field(app: Any, req: Request, field_id: int) -> Any:
    row = _row(app, field_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM contact_fields WHERE id = ?", (field_id,))
        path = f'$."{row["merge_tag"]}"'
        conn.execute("UPDATE contacts SET fields = json_remove(fields, ?) "
                     "WHERE json_type(fields, ?) IS NOT NULL", (path, path))
    return None, 204


def register(router: Router) -> None:
    router.add("GET", "/api/contacts/fields", list_fields)
    router.add("POST", "/api/contacts/fields", create_field)
    router.add("GET", "/api/contacts/fields/{field_id:int}", get_field)
    router.add("PATCH", "/api/contacts/fields/{field_id:int}", update_field)
    router.add("DELETE", "/api/contacts/fields/{field_id:int}", delete_field)
