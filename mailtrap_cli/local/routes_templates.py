"""Email templates: `/api/email_templates` CRUD (templates.openapi.yml) and rendering.

Sends with `template_uuid` take subject, text and html from a stored template
and render them with `template_variables` through mailtrap_cli.handlebars (the
renderer `mailtrap templates render` uses too): `{{name}}`, `{{user.name}}`,
`{{#if}}`, `{{#each}}`, `{{#unless}}`, `{{#with}}`; values are HTML-escaped in
the HTML body unless written `{{{name}}}`; unknown names render empty.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from mailtrap_cli.handlebars import render_text
from mailtrap_cli.local.router import Request, Router, api_errors, not_found
from mailtrap_cli.local.store import Store, now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS email_templates (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""
FIELDS = ("name", "category", "subject", "body_text", "body_html")
LIMITS = {"name": 255, "category": 255, "subject": 255, "body_text": 10_000_000,
          "body_html": 10_000_000}
REQUIRED = ("name", "subject", "category")


def find_by_uuid(store: Store, template_uuid: str) -> dict[str, Any] | None:
    return store.one("SELECT * FROM email_templates WHERE uuid = ?", (template_uuid,))


def render_template(template: dict[str, Any], variables: dict[str, Any] | None
                    ) -> dict[str, str]:
    """subject / text / html of a stored template with the variables filled in;
    TemplateError when a part does not parse."""
    rendered = {"subject": render_text(template["subject"], variables)}
    if template.get("body_text"):
        rendered["text"] = render_text(template["body_text"], variables)
    if template.get("body_html"):
        rendered["html"] = render_text(template["body_html"], variables, escape=True)
    return rendered


# -- CRUD --------------------------------------------------------------------
def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "uuid": row["uuid"], "name": row["name"],
            "category": row["category"], "subject": row["subject"],
            "body_text": row["body_text"], "body_html": row["body_html"],
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


def _fields(req: Request, *, partial: bool) -> dict[str, Any]:
    body = req.json()
    attrs = body.get("email_template") if isinstance(body, dict) else None
    if not isinstance(attrs, dict):
        raise api_errors(422, {"email_template": ["is missing"]})
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for key in FIELDS:
        if key not in attrs:
            if key in REQUIRED and not partial:
                errors.setdefault(key, []).append("can't be blank")
            continue
        value = attrs[key]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.setdefault(key, []).append("must be a string")
            continue
        if key in REQUIRED and not value.strip():
            errors.setdefault(key, []).append("can't be blank")
        if len(value) > LIMITS[key]:
            errors.setdefault(key, []).append(
                f"is too long (maximum is {LIMITS[key]} characters)")
        values[key] = value
    if errors:
        raise api_errors(422, errors)
    return values


def _get_row(app: Any, template_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM email_templates WHERE id = ?", (template_id,))
    if row is None:
        raise not_found()
    return row


def list_templates(app: Any, req: Request) -> list[dict[str, Any]]:
    return [_public(r) for r in app.store.all("SELECT * FROM email_templates ORDER BY id")]


def create_template(app: Any, req: Request) -> Any:
    values = _fields(req, partial=False)
    stamp = now_iso()
    with app.store.tx() as conn:
        cur = conn.execute(
            "INSERT INTO email_templates (uuid, name, category, subject, body_text, body_html, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(uuidlib.uuid4()), values["name"], values["category"], values["subject"],
             values.get("body_text", ""), values.get("body_html", ""), stamp, stamp))
        template_id = cur.lastrowid
    return _public(_get_row(app, int(template_id))), 201


def get_template(app: Any, req: Request, email_template_id: int) -> dict[str, Any]:
    return _public(_get_row(app, email_template_id))


def update_template(app: Any, req: Request, email_template_id: int) -> dict[str, Any]:
    _get_row(app, email_template_id)
    values = _fields(req, partial=True)
    if values:
        sets = ", ".join(f"{key} = ?" for key in values)
        with app.store.tx() as conn:
            conn.execute(f"UPDATE email_templates SET {sets}, updated_at = ? WHERE id = ?",  # noqa: S608 - keys from FIELDS
                         (*values.values(), now_iso(), email_template_id))
    return _public(_get_row(app, email_template_id))


def delete_template(app: Any, req: Request, email_template_id: int) -> Any:
    _get_row(app, email_template_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM email_templates WHERE id = ?", (email_template_id,))
    return None, 204


def register(router: Router) -> None:
    router.add("GET", "/api/email_templates", list_templates)
    router.add("POST", "/api/email_templates", create_template)
    router.add("GET", "/api/email_templates/{email_template_id:int}", get_template)
    router.add("PATCH", "/api/email_templates/{email_template_id:int}", update_template)
    router.add("DELETE", "/api/email_templates/{email_template_id:int}", delete_template)
