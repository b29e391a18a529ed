"""Sending domains and their company info on the built-in server.

- GET/POST           /api/domains                  list answers {data: [...]}
- GET/PATCH/DELETE   /api/domains/{id}
- POST               /api/domains/{id}/send_setup_instructions   {email} -> 204
- GET/POST/PATCH     /api/domains/{id}/company_info              {data: CompanyInfo}
- POST               /_local/domains/{id}/dns      {status: pass|fail|..., records:
                                                    {key: status}, pass_after: N}

DNS cannot be checked offline: each record starts `missing`; tests and demos
set statuses through /_local (or `pass_after`: every record passes after N
more reads of the domain, to exercise `domains check --wait`). A domain whose
records all pass is `dns_verified`; its compliance_status then needs company
info before it becomes `compliant`.
"""

from __future__ import annotations

import re
from typing import Any

from mailtrap_cli.local.router import HTTPError, Request, Router, api_errors, not_found
from mailtrap_cli.local.store import dumps, loads, now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS domains (
    id INTEGER PRIMARY KEY,
    domain_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    dns TEXT NOT NULL DEFAULT '{}',
    pass_after INTEGER,
    dns_verified_at TEXT,
    settings TEXT NOT NULL DEFAULT '{}',
    company_info TEXT,
    created_at TEXT NOT NULL
);
"""

HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
                      re.IGNORECASE)
STATUSES = ("pass", "fail", "unchecked", "missing", "softfail", "network_error")
SETTINGS = ("open_tracking_enabled", "click_tracking_enabled", "auto_unsubscribe_link_enabled")
DEFAULT_SETTINGS = {"open_tracking_enabled": True, "click_tracking_enabled": True,
                    "auto_unsubscribe_link_enabled": False,
                    "custom_domain_tracking_enabled": False, "health_alerts_enabled": True,
                    "critical_alerts_enabled": True, "alert_recipient_email": None}
COMPANY_FIELDS = ("name", "address", "city", "country", "phone", "zip_code",
                  "privacy_policy_url", "terms_of_service_url", "website_url", "info_level")
COMPANY_REQUIRED = ("name", "address", "city", "country", "zip_code", "website_url")
RECORD_KEYS = ("verification", "spf", "dkim1", "dkim2", "dmarc", "link_verification")


def dns_records(name: str, statuses: dict[str, str]) -> list[dict[str, Any]]:
    import hashlib

    token = "ve" + hashlib.sha256(name.encode()).hexdigest()[:14]
    specs = [
        ("verification", f"{token}.{name}", token, "CNAME", "smtp.mailtrap.live"),
        ("spf", name, "", "TXT", "v=spf1 include:_spf.smtp.mailtrap.live ~all"),
        ("dkim1", f"rwmt1._domainkey.{name}", "rwmt1._domainkey", "CNAME",
         "rwmt1.dkim.smtp.mailtrap.live"),
        ("dkim2", f"rwmt2._domainkey.{name}", "rwmt2._domainkey", "CNAME",
         "rwmt2.dkim.smtp.mailtrap.live"),
        ("dmarc", f"_dmarc.{name}", "_dmarc", "TXT",
         "v=DMARC1; p=none; rua=mailto:dmarc@smtp.mailtrap.live; "
         "ruf=mailto:dmarc@smtp.mailtrap.live; rf=afrf; pct=100"),
        ("link_verification", f"mt-link.{name}", "mt-link", "CNAME", "t.mailtrap.live"),
    ]
    return [{"key": key, "domain": domain, "type": kind, "value": value,
             "status": statuses.get(key, "missing"), "name": host}
            for key, domain, host, kind, value in specs]


def domain_json(row: dict[str, Any]) -> dict[str, Any]:
    statuses = loads(row["dns"], {})
    records = dns_records(row["domain_name"], statuses)
    verified = all(r["status"] == "pass" for r in records)
    if not verified:
        compliance = "unverified_dns"
    elif not row["company_info"]:
        compliance = "missing_company_info"
    else:
        compliance = "compliant"
    settings = {**DEFAULT_SETTINGS, **loads(row["settings"], {})}
    return {
        "id": row["id"],
        "domain_name": row["domain_name"],
        "demo": False,
        "compliance_status": compliance,
        "dns_verified": verified,
        "dns_verified_at": row["dns_verified_at"] if verified else None,
        "dns_records": records,
        **settings,
        "permissions": {"can_read": True, "can_update": True, "can_destroy": True},
    }


def _row(app: Any, domain_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM domains WHERE id = ?", (domain_id,))
    if row is None:
        raise not_found()
    return row


def _read(app: Any, domain_id: int) -> dict[str, Any]:
    """A read of the domain: counts down `pass_after` (DNS propagating)."""
    row = _row(app, domain_id)
    if row["pass_after"] is not None:
        left = int(row["pass_after"]) - 1
        with app.store.tx() as conn:
            if left <= 0:
                statuses = {key: "pass" for key in RECORD_KEYS}
                conn.execute("UPDATE domains SET dns = ?, pass_after = NULL, "
                             "dns_verified_at = ? WHERE id = ?",
                             (dumps(statuses), now_iso(), domain_id))
            else:
                conn.execute("UPDATE domains SET pass_after = ? WHERE id = ?",
                             (left, domain_id))
        row = _row(app, domain_id)
    return row


def _wrapped(req: Request, wrapper: str) -> dict[str, Any]:
    body = req.json()
    inner = body.get(wrapper) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise api_errors(422, {wrapper: ["is missing"]})
    return inner


def list_domains(app: Any, req: Request) -> dict[str, Any]:
    rows = app.store.all("SELECT id FROM domains ORDER BY id")
    return {"data": [domain_json(_read(app, r["id"])) for r in rows]}


def get_domain(app: Any, req: Request, domain_id: int) -> dict[str, Any]:
    return domain_json(_read(app, domain_id))


def create_domain(app: Any, req: Request) -> dict[str, Any]:
    name = _wrapped(req, "domain").get("domain_name")
    if not isinstance(name, str) or not name.strip():
        raise api_errors(422, {"domain_name": ["can't be blank"]})
    name = name.strip().lower().rstrip(".")
    if not HOSTNAME.match(name):
        raise api_errors(422, {"domain_name": ["is not a valid domain name"]})
    if app.store.one("SELECT id FROM domains WHERE domain_name = ?", (name,)):
        raise api_errors(422, {"domain_name": ["has already been taken"]})
    with app.store.tx() as conn:
        new_id = conn.execute("INSERT INTO domains (domain_name, created_at) VALUES (?, ?)",
                              (name, now_iso())).lastrowid
    return domain_json(_row(app, int(new_id)))


def update_domain(app: Any, req: Request, domain_id: int) -> dict[str, Any]:
    row = _row(app, domain_id)
    changes = _wrapped(req, "domain")
    errors = {k: ["is not a known setting"] for k in changes if k not in SETTINGS}
    errors.update({k: ["must be true or false"] for k in SETTINGS
                   if k in changes and not isinstance(changes[k], bool)})
    if errors:
        raise api_errors(422, errors)
    settings = {**loads(row["settings"], {}), **changes}
    with app.store.tx() as conn:
        conn.execute("UPDATE domains SET settings = ? WHERE id = ?",
                     (dumps(settings), domain_id))
    return domain_json(_row(app, domain_id))


def delete_domain(app: Any, req: Request, domain_id: int) -> Any:
    _row(app, domain_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM domains WHERE id = ?", (domain_id,))
    return None, 204


def send_instructions(app: Any, req: Request, domain_id: int) -> Any:
    _row(app, domain_id)
    body = req.json()
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str) or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise api_errors(422, {"email": ["is invalid"]})
    return None, 204


def _company(row: dict[str, Any]) -> dict[str, Any]:
    stored = loads(row["company_info"], None) or {}
    info = {name: stored.get(name) for name in COMPANY_FIELDS}
    info["info_level"] = stored.get("info_level") or "business"
    return {"data": info}


def get_company(app: Any, req: Request, domain_id: int) -> dict[str, Any]:
    row = _row(app, domain_id)
    if not row["company_info"]:
        raise not_found("Company info not found")
    return _company(row)


def _check_company(values: dict[str, Any], required: tuple[str, ...]) -> None:
    errors: dict[str, list[str]] = {}
    for name in values:
        if name not in COMPANY_FIELDS:
            errors[name] = ["is not a company info field"]
    for name in required:
        value = values.get(name)
        if not isinstance(value, str) or not value.strip():
            errors[name] = ["can't be blank"]
    for name in ("privacy_policy_url", "terms_of_service_url", "website_url"):
        value = values.get(name)
        if value is not None and (not isinstance(value, str)
                                  or not re.match(r"^https?://\S+$", value)):
            errors[name] = ["is not a valid URL"]
    if values.get("info_level", "business") not in ("business", "individual"):
        errors["info_level"] = ["is invalid. Allowed values: business, individual."]
    if errors:
        raise api_errors(422, errors)


def create_company(app: Any, req: Request, domain_id: int) -> dict[str, Any]:
    _row(app, domain_id)
    values = _wrapped(req, "company_info")
    _check_company(values, COMPANY_REQUIRED)
    with app.store.tx() as conn:
        conn.execute("UPDATE domains SET company_info = ? WHERE id = ?",
                     (dumps(values), domain_id))
    return _company(_row(app, domain_id))


def update_company(app: Any, req: Request, domain_id: int) -> dict[str, Any]:
    row = _row(app, domain_id)
    values = _wrapped(req, "company_info")
    _check_company(values, ())
    merged = {**(loads(row["company_info"], None) or {}), **values}
    with app.store.tx() as conn:
        conn.execute("UPDATE domains SET company_info = ? WHERE id = ?",
                     (dumps(merged), domain_id))
    return _company(_row(app, domain_id))


def set_dns(app: Any, req: Request, domain_id: int) -> Any:
    row = _row(app, domain_id)
    body = req.json() or {}
    statuses = loads(row["dns"], {})
    if "status" in body:
        if body["status"] not in STATUSES:
            raise HTTPError(400, {"errors": [f"status must be one of {', '.join(STATUSES)}"]})
        statuses = {key: body["status"] for key in RECORD_KEYS}
    for key, status in (body.get("records") or {}).items():
        if key not in RECORD_KEYS or status not in STATUSES:
            raise HTTPError(400, {"errors": [f"bad record {key}={status}"]})
        statuses[key] = status
    pass_after = body.get("pass_after", row["pass_after"])
    verified = all(statuses.get(k) == "pass" for k in RECORD_KEYS)
    with app.store.tx() as conn:
        conn.execute("UPDATE domains SET dns = ?, pass_after = ?, dns_verified_at = ? "
                     "WHERE id = ?", (dumps(statuses), pass_after,
                                      now_iso() if verified else None, domain_id))
    return domain_json(_row(app, domain_id))


def register(router: Router) -> None:
    router.add("GET", "/api/domains", list_domains)
    router.add("POST", "/api/domains", create_domain)
    router.add("GET", "/api/domains/{domain_id:int}", get_domain)
    router.add("PATCH", "/api/domains/{domain_id:int}", update_domain)
    router.add("DELETE", "/api/domains/{domain_id:int}", delete_domain)
    router.add("POST", "/api/domains/{domain_id:int}/send_setup_instructions",
               send_instructions)
    router.add("GET", "/api/domains/{domain_id:int}/company_info", get_company)
    router.add("POST", "/api/domains/{domain_id:int}/company_info", create_company)
    router.add("PATCH", "/api/domains/{domain_id:int}/company_info", update_company)
    router.add("POST", "/_local/domains/{domain_id:int}/dns", set_dns)
