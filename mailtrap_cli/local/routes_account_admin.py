"""Account administration on the built-in server (account-management.openapi.yml).

- GET    /api/account_accesses                     ?project_ids[]= &sandbox_ids[]= &domain_ids[]=
- DELETE /api/account_accesses/{id}                -> {id}; an ApiToken's token goes too
- PUT    /api/account_accesses/{id}/permissions/bulk  {permissions: [...]}
- GET    /api/permissions/resources                the account -> projects -> sandboxes tree
- GET    /api/api_tokens, POST (value only in this answer), GET/DELETE /{id}, POST /{id}/reset
- GET    /api/billing/usage                        usage counted from real traffic
- GET/POST /api/organizations/{id}/sub_accounts    (organization LOCAL_ORGANIZATION_ID)
- POST   /_local/billing                         plan names and limits

A fresh database has the owner (a User access), one pending Invite and no tokens.
Only a hash of each token is kept, so the value cannot be shown again.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from mailtrap_cli.local.router import Request, Router, api_errors, not_found
from mailtrap_cli.local.routes_accounts import LOCAL_ACCOUNT_ID
from mailtrap_cli.local.store import Store, dumps, loads, now_iso

LOCAL_ORGANIZATION_ID = 1
OWNER_EMAIL = "owner@local.test"
RESOURCE_TYPES = ("account", "billing", "project", "sandbox", "domain",
                  "email_campaign_permission_scope")
TOKEN_RESOURCE_TYPES = ("account", "project", "sandbox", "domain")
LEVELS = {"admin": 100, "viewer": 10, 100: 100, 10: 10, "100": 100, "10": 10}
PLAN_LIMITS = {"testing": ("Individual", 5000, 100), "sending": ("Basic 10K", 10000),
               "marketing": ("Marketing Pro", 10000)}

SCHEMA = """
CREATE TABLE IF NOT EXISTS account_accesses (
    id INTEGER PRIMARY KEY,
    specifier_type TEXT NOT NULL,
    specifier TEXT NOT NULL,
    resources TEXT NOT NULL DEFAULT '[]',
    token_id INTEGER
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    last_4_digits TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TEXT,
    resources TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sub_accounts (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL
);
"""


def seed(store: Store) -> None:
    if store.one("SELECT id FROM account_accesses LIMIT 1") is not None:
        return
    account = [{"resource_id": LOCAL_ACCOUNT_ID, "resource_type": "account",
                "access_level": 1000}]
    with store.tx() as conn:
        conn.execute("INSERT INTO account_accesses (id, specifier_type, specifier, resources) "
                     "VALUES (1, 'User', ?, ?)",
                     (dumps({"id": 1, "email": OWNER_EMAIL, "name": "Local Owner",
                             "two_factor_authentication_enabled": False}), dumps(account)))
        conn.execute("INSERT INTO account_accesses (id, specifier_type, specifier, resources) "
                     "VALUES (2, 'Invite', ?, ?)",
                     (dumps({"id": 1, "email": "invitee@local.test"}),
                      dumps([{**account[0], "access_level": 10}])))


PERMISSIONS = {"can_read": True, "can_update": True, "can_destroy": True, "can_leave": False}


def access_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "specifier_type": row["specifier_type"],
            "specifier": loads(row["specifier"], {}), "resources": loads(row["resources"], []),
            "permissions": dict(PERMISSIONS)}


def _ids(req: Request, name: str) -> set[str]:
    return {v for v in req.query.get(f"{name}[]", []) + req.query.get(name, []) if v}


def list_accesses(app: Any, req: Request) -> list[dict[str, Any]]:
    wanted = {kind: _ids(req, f"{kind}_ids") for kind in ("project", "sandbox", "domain")}
    found = []
    for row in app.store.all("SELECT * FROM account_accesses ORDER BY id"):
        access = access_json(row)
        if any(wanted.values()):
            resources = {(r.get("resource_type"), str(r.get("resource_id")))
                         for r in access["resources"]}
            if not any((kind, rid) in resources or ("account", str(LOCAL_ACCOUNT_ID))
                       in resources for kind, ids in wanted.items() for rid in ids):
                continue
        found.append(access)
    return found


def _access(app: Any, access_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM account_accesses WHERE id = ?", (access_id,))
    if row is None:
        raise not_found()
    return row


def delete_access(app: Any, req: Request, access_id: int) -> dict[str, Any]:
    row = _access(app, access_id)
    owner = any(r.get("access_level") == 1000 for r in loads(row["resources"], []))
    if owner:
        raise api_errors(403, "The account owner's access cannot be removed")
    with app.store.tx() as conn:
        conn.execute("DELETE FROM account_accesses WHERE id = ?", (access_id,))
        if row["token_id"]:
            conn.execute("DELETE FROM api_tokens WHERE id = ?", (row["token_id"],))
    return {"id": access_id}


def _level(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    return LEVELS.get(value)


def bulk_permissions(app: Any, req: Request, access_id: int) -> dict[str, Any]:
    row = _access(app, access_id)
    body = req.json()
    items = body.get("permissions") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise api_errors(422, {"base": ["No permissions selected. Please choose at least one."]})
    resources = loads(row["resources"], [])
    errors: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            errors.append("each permission must be an object")
            continue
        kind, rid = item.get("resource_type"), item.get("resource_id")
        if kind not in RESOURCE_TYPES:
            errors.append(f"resource_type {kind!r} is not one of {', '.join(RESOURCE_TYPES)}")
            continue
        if rid in (None, ""):
            errors.append("resource_id can't be blank")
            continue
        key = (kind, str(rid))
        kept = [r for r in resources if (r["resource_type"], str(r["resource_id"])) != key]
        if item.get("_destroy"):
            resources = kept
            continue
        level = _level(item.get("access_level"))
        if level is None:
            errors.append(f"access_level {item.get('access_level')!r} is not admin, viewer, "
                          "100 or 10")
            continue
        resources = kept + [{"resource_id": int(rid) if str(rid).isdigit() else rid,
                             "resource_type": kind, "access_level": level}]
    if errors:
        raise api_errors(422, {"base": errors})
    with app.store.tx() as conn:
        conn.execute("UPDATE account_accesses SET resources = ? WHERE id = ?",
                     (dumps(resources), access_id))
        if row["token_id"]:
            conn.execute("UPDATE api_tokens SET resources = ? WHERE id = ?",
                         (dumps(resources), row["token_id"]))
    return {"message": "Permissions have been updated!"}


def resources_tree(app: Any, req: Request) -> list[dict[str, Any]]:
    projects = []
    for project in app.store.all("SELECT id, name FROM projects ORDER BY id"):
        boxes = app.store.all("SELECT id, name FROM sandboxes WHERE project_id = ? ORDER BY id",
                              (project["id"],))
        projects.append({"id": project["id"], "name": project["name"], "type": "project",
                         "access_level": 100,
                         "resources": [{"id": b["id"], "name": b["name"], "type": "sandbox",
                                        "access_level": 100, "resources": []} for b in boxes]})
    domains = [{"id": d["id"], "name": d["domain_name"], "type": "domain", "access_level": 100,
                "resources": []}
               for d in app.store.all("SELECT id, domain_name FROM domains ORDER BY id")]
    account = app.store.one("SELECT name FROM accounts WHERE id = ?", (LOCAL_ACCOUNT_ID,))
    return [{"id": LOCAL_ACCOUNT_ID, "name": account["name"] if account else "Account",
             "type": "account", "access_level": 100,
             "resources": [{"id": LOCAL_ACCOUNT_ID, "name": "Templates",
                            "type": "email_template_permission_scope", "access_level": 100,
                            "resources": []}, *projects, *domains]}]


# -- API tokens ----------------------------------------------------------------
def token_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "last_4_digits": row["last_4_digits"],
            "created_by": row["created_by"], "expires_at": row["expires_at"],
            "resources": loads(row["resources"], [])}


def _token(app: Any, token_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM api_tokens WHERE id = ?", (token_id,))
    if row is None:
        raise not_found()
    return row


def list_tokens(app: Any, req: Request) -> list[dict[str, Any]]:
    return [token_json(r) for r in app.store.all("SELECT * FROM api_tokens ORDER BY id")]


def get_token(app: Any, req: Request, token_id: int) -> dict[str, Any]:
    return token_json(_token(app, token_id))


def _valid_resources(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return [{"resource_type": "account", "resource_id": LOCAL_ACCOUNT_ID,
                 "access_level": 100}]
    if not isinstance(value, list):
        raise api_errors(422, {"resources": ["must be an array"]})
    found = []
    for item in value:
        if not isinstance(item, dict) or item.get("resource_type") not in TOKEN_RESOURCE_TYPES:
            raise api_errors(422, {"resources": [
                f"resource_type must be one of {', '.join(TOKEN_RESOURCE_TYPES)}"]})
        level = item.get("access_level")
        if level not in (10, 100) or isinstance(level, bool):
            raise api_errors(422, {"resources": ["access_level must be 10 or 100"]})
        if item.get("resource_id") in (None, ""):
            raise api_errors(422, {"resources": ["resource_id can't be blank"]})
        found.append({"resource_type": item["resource_type"],
                      "resource_id": item["resource_id"], "access_level": level})
    if not found:
        raise api_errors(422, {"base": ["No permissions selected. Please choose at least one."]})
    return found


def _insert_token(conn: Any, name: str, resources: list[dict[str, Any]]) -> tuple[int, str]:
    value = secrets.token_hex(16)
    digest = hashlib.sha256(value.encode()).hexdigest()
    token_id = int(conn.execute(
        "INSERT INTO api_tokens (name, token_hash, last_4_digits, created_by, resources, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (name, digest, value[-4:], OWNER_EMAIL, dumps(resources), now_iso())).lastrowid)
    conn.execute("INSERT INTO account_accesses (specifier_type, specifier, resources, token_id) "
                 "VALUES ('ApiToken', ?, ?, ?)",
                 (dumps({"id": token_id, "name": name, "author_name": "Local Owner",
                         "token": f"…{value[-4:]}", "expires_at": None}),
                  dumps(resources), token_id))
    return token_id, value


def create_token(app: Any, req: Request) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise api_errors(422, {"base": ["the body must be a JSON object"]})
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise api_errors(422, {"name": ["can't be blank"]})
    if len(name) > 255:
        raise api_errors(422, {"name": ["is too long (maximum is 255 characters)"]})
    resources = _valid_resources(body.get("resources"))
    with app.store.tx() as conn:
        token_id, value = _insert_token(conn, name.strip(), resources)
    return {**token_json(_token(app, token_id)), "token": value}


def delete_token(app: Any, req: Request, token_id: int) -> Any:
    _token(app, token_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM api_tokens WHERE id = ?", (token_id,))
        conn.execute("DELETE FROM account_accesses WHERE token_id = ?", (token_id,))
    return None, 204


def reset_token(app: Any, req: Request, token_id: int) -> dict[str, Any]:
    row = _token(app, token_id)
    if row["expires_at"]:
        raise api_errors(422, {"base": ["This token has already been reset"]})
    grace = (datetime.now(timezone.utc) + timedelta(hours=24)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")
    with app.store.tx() as conn:
        conn.execute("UPDATE api_tokens SET expires_at = ? WHERE id = ?", (grace, token_id))
        new_id, value = _insert_token(conn, row["name"], loads(row["resources"], []))
    return {**token_json(_token(app, new_id)), "token": value}


# -- billing, sub-accounts ------------------------------------------------------
def billing_usage(app: Any, req: Request) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    stamp = start.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def count(sql: str, args: tuple[Any, ...] = ()) -> int:
        row = app.store.one(sql, args)
        return int(next(iter(row.values())) or 0) if row else 0

    sandbox = count("SELECT COUNT(*) FROM messages WHERE created_at >= ?", (stamp,))
    forwarded = count("SELECT SUM(forwarded_messages_count) FROM sandboxes")
    sending = count("SELECT COUNT(*) FROM deliveries WHERE stream = 'transactional' AND "
                    "created_at >= ?", (stamp,))
    marketing = count("SELECT COUNT(*) FROM deliveries WHERE stream = 'bulk' AND "
                      "created_at >= ?", (stamp,))
    limits = dict(PLAN_LIMITS, **getattr(app, "billing_limits", {}))
    testing_plan, testing_limit, forward_limit = limits["testing"]
    return {
        "billing": {"cycle_start": stamp, "cycle_end": end.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
        "testing": {"plan": {"name": testing_plan}, "usage": {
            "sent_messages_count": {"current": sandbox, "limit": testing_limit},
            "forwarded_messages_count": {"current": forwarded, "limit": forward_limit}}},
        "sending": {"plan": {"name": limits["sending"][0]}, "usage": {
            "sent_messages_count": {"current": sending, "limit": limits["sending"][1]}}},
        "marketing": {"plan": {"name": limits["marketing"][0]}, "usage": {
            "sent_messages_count": {"current": marketing, "limit": limits["marketing"][1]}}},
    }


def set_billing(app: Any, req: Request) -> dict[str, Any]:
    """POST /_local/billing {"sending": ["Plan", limit], "testing": ["Plan", limit, fwd]}."""
    body = req.json() or {}
    limits = dict(getattr(app, "billing_limits", {}))
    for family in PLAN_LIMITS:
        if isinstance(body.get(family), list):
            limits[family] = tuple(body[family])
    app.billing_limits = limits
    return billing_usage(app, req)


def _organization(organization_id: int) -> None:
    if organization_id != LOCAL_ORGANIZATION_ID:
        raise api_errors(403, "Access forbidden")


def list_sub_accounts(app: Any, req: Request, organization_id: int) -> list[dict[str, Any]]:
    _organization(organization_id)
    rows = app.store.all("SELECT a.id, a.name FROM sub_accounts s JOIN accounts a "
                         "ON a.id = s.account_id WHERE s.organization_id = ? ORDER BY a.id",
                         (organization_id,))
    return [{"id": r["id"], "name": r["name"]} for r in rows]


def create_sub_account(app: Any, req: Request, organization_id: int) -> dict[str, Any]:
    _organization(organization_id)
    body = req.json()
    account = body.get("account") if isinstance(body, dict) else None
    name = account.get("name") if isinstance(account, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise api_errors(422, {"name": ["can't be blank"]})
    with app.store.tx() as conn:
        new_id = int(conn.execute("INSERT INTO accounts (name, access_levels) VALUES (?, ?)",
                                  (name.strip(), dumps([1000]))).lastrowid)
        conn.execute("INSERT INTO sub_accounts (organization_id, account_id) VALUES (?, ?)",
                     (organization_id, new_id))
    return {"id": new_id, "name": name.strip()}


def register(router: Router) -> None:
    router.add("GET", "/api/account_accesses", list_accesses)
    router.add("DELETE", "/api/account_accesses/{access_id:int}", delete_access)
    router.add("PUT", "/api/account_accesses/{access_id:int}/permissions/bulk",
               bulk_permissions)
    router.add("GET", "/api/permissions/resources", resources_tree)
    router.add("GET", "/api/api_tokens", list_tokens)
    router.add("POST", "/api/api_tokens", create_token)
    router.add("GET", "/api/api_tokens/{token_id:int}", get_token)
    router.add("DELETE", "/api/api_tokens/{token_id:int}", delete_token)
    router.add("POST", "/api/api_tokens/{token_id:int}/reset", reset_token)
    router.add("GET", "/api/billing/usage", billing_usage)
    router.add("POST", "/_local/billing", set_billing)
    router.add("GET", "/api/organizations/{organization_id:int}/sub_accounts",
               list_sub_accounts)
    router.add("POST", "/api/organizations/{organization_id:int}/sub_accounts",
               create_sub_account)
