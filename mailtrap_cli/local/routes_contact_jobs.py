"""Contact imports and exports: /api/contacts/imports, /api/contacts/exports.

Both are asynchronous upstream. Here a job moves on when it is polled, so
tests see every state without sleeping: an import answers `created`, its first
`import_polls` polls (default 1) answer `started`, and the next one processes
it and answers `finished` with the counts. Exports answer `started` and finish
the same way (`export_polls`), leaving a real .csv.gz at `url`, served by this
server under /_local (no token needed, like a presigned storage URL). A job
nobody polls finishes on its own after `finish_after` seconds, checked on the
next contacts request. `POST /_local/contacts` changes those settings and
`contacts_limit` (contacts the account may hold; the rest are "over limit").
"""

from __future__ import annotations

import csv
import gzip
import io
import secrets
import time
from typing import Any

from mailtrap_cli.local import contacts_db as db
from mailtrap_cli.local.router import HTTPError, Request, Response, Router, api_errors, not_found
from mailtrap_cli.local.store import Store, dumps, loads, now_iso

FINAL = ("finished", "failed")
EXPORT_BUSY = ("There is a previous export initiated. You will be notified by email once "
               "it is completed.")


# -- job bookkeeping ---------------------------------------------------------
def _job(store: Store, kind: str, number: int) -> dict[str, Any]:
    row = store.one("SELECT * FROM contact_jobs WHERE kind = ? AND number = ?", (kind, number))
    if row is None:
        raise not_found()
    return row


def _new_job(store: Store, kind: str, status: str, payload: dict[str, Any]) -> dict[str, Any]:
    stamp = now_iso()
    with store.tx() as conn:
        number = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM contact_jobs "
                              "WHERE kind = ?", (kind,)).fetchone()[0]
        conn.execute("INSERT INTO contact_jobs (kind, number, status, started, payload, "
                     "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (kind, number, status, time.time(), dumps(payload), stamp, stamp))
    return _job(store, kind, number)


def _advance(store: Store, job: dict[str, Any], *, polled: bool) -> dict[str, Any]:
    """One step of a job: a poll moves it on; age alone finishes it."""
    if job["status"] in FINAL:
        return job
    conf = db.settings(store)
    needed = conf[f"{job['kind']}_polls"]
    polls = job["polls"] + (1 if polled else 0)
    overdue = conf["finish_after"] is not None and \
        time.time() - job["started"] >= float(conf["finish_after"])
    if overdue or (needed is not None and polls > int(needed)):
        finish = _finish_import if job["kind"] == "import" else _finish_export
        with store.tx() as conn:
            status, result, data = finish(store, conn, job)
            conn.execute("UPDATE contact_jobs SET status = ?, polls = ?, result = ?, data = ?, "
                         "payload = '{}', updated_at = ? WHERE id = ?",
                         (status, polls, dumps(result), data, now_iso(), job["id"]))
    elif polled:
        with store.tx() as conn:
            conn.execute("UPDATE contact_jobs SET status = 'started', polls = ?, updated_at = ? "
                         "WHERE id = ?", (polls, now_iso(), job["id"]))
    return _job(store, job["kind"], job["number"])


def settle(store: Store) -> None:
    """Finish the jobs that have waited longer than `finish_after`."""
    conf = db.settings(store)
    if conf["finish_after"] is None:
        return
    cutoff = time.time() - float(conf["finish_after"])
    for job in store.all("SELECT * FROM contact_jobs WHERE status IN ('created', 'started') "
                         "AND started <= ?", (cutoff,)):
        _advance(store, job, polled=False)


# -- imports -----------------------------------------------------------------
def _import_errors(store: Store, contacts: list[Any]) -> list[dict[str, Any]]:
    types = db.field_types(store)
    known = db.existing_lists(store)
    items = []
    for contact in contacts:
        if not isinstance(contact, dict):
            items.append({"email": "", "errors": {"base": ["must be an object"]}})
            continue
        errors: dict[str, list[str]] = {}
        email = contact.get("email")
        if problems := db.check_email(email):
            errors["email"] = problems
        errors.update(db.check_fields(types, contact.get("fields")))
        include = contact.get("list_ids_included")
        exclude = contact.get("list_ids_excluded")
        base = []
        if db.bad_list_ids(include, known) or db.bad_list_ids(exclude, known):
            base.append("list_ids contain invalid data")
        if isinstance(include, list) and isinstance(exclude, list):
            both = sorted(set(include) & set(exclude), key=str)
            if both:
                base.append(f"same list_ids {', '.join(map(str, both))} are specified both "
                            "as included and excluded")
        if base:
            errors["base"] = base
        if errors:
            items.append({"email": email if isinstance(email, str) else "", "errors": errors})
    return items


def create_import(app: Any, req: Request) -> Any:
    settle(app.store)
    body = req.json()
    contacts = body.get("contacts") if isinstance(body, dict) else None
    if not isinstance(contacts, list) or not contacts:
        raise api_errors(422, [{"email": "", "errors": {"base": ["contacts can't be blank"]}}])
    if len(contacts) > db.MAX_IMPORT:
        first = contacts[0].get("email", "") if isinstance(contacts[0], dict) else ""
        raise api_errors(422, [{"email": first, "errors": {"base": [
            f"cannot import more than {db.MAX_IMPORT} contacts at once"]}}])
    problems = _import_errors(app.store, contacts)
    if problems:
        raise api_errors(422, problems)
    job = _new_job(app.store, "import", "created", {"contacts": contacts})
    return {"id": job["number"], "status": job["status"]}, 201


def _finish_import(store: Store, conn: Any, job: dict[str, Any]) -> tuple[str, Any, Any]:
    contacts = loads(job["payload"], {}).get("contacts") or []
    types = db.field_types(store)
    known = db.existing_lists(store)
    limit = db.settings(store)["contacts_limit"]
    total = [db.count_contacts(conn)]
    counts = {"created": 0, "updated": 0, "over_limit": 0}
    for contact in contacts:
        fields = {k: v for k, v in (contact.get("fields") or {}).items() if k in types}
        action, _ = db.upsert(
            conn, email=contact["email"].strip(), fields=fields,
            include=[i for i in contact.get("list_ids_included") or [] if i in known],
            exclude=[i for i in contact.get("list_ids_excluded") or [] if i in known],
            limit=limit, total=total)
        counts[action] += 1
    return "finished", counts, None


def _import_public(job: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": job["number"], "status": job["status"]}
    if job["status"] == "finished":
        counts = loads(job["result"], {})
        out.update(created_contacts_count=counts.get("created", 0),
                   updated_contacts_count=counts.get("updated", 0),
                   contacts_over_limit_count=counts.get("over_limit", 0))
    return out


def get_import(app: Any, req: Request, import_id: int) -> dict[str, Any]:
    settle(app.store)
    return _import_public(_advance(app.store, _job(app.store, "import", import_id), polled=True))


# -- exports -----------------------------------------------------------------
def _filters(body: Any) -> list[dict[str, Any]]:
    filters = body.get("filters", []) if isinstance(body, dict) else None
    if filters is None:
        filters = []
    bad = HTTPError(422, {"errors": {"filters": "invalid"}})
    if not isinstance(filters, list):
        raise bad
    for item in filters:
        if not isinstance(item, dict) or item.get("operator") != "equal":
            raise bad
        value = item.get("value")
        if item.get("name") == "list_id":
            if not isinstance(value, list) or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise bad
        elif item.get("name") == "subscription_status":
            if value not in ("subscribed", "unsubscribed"):
                raise bad
        else:
            raise bad
    return filters


def _base_url(req: Request) -> str:
    host = req.headers.get("host")
    if not host:
        from mailtrap_cli.config import LOCAL_INPROCESS_URL

        return LOCAL_INPROCESS_URL
    return f"{req.scheme}://{host}"


def create_export(app: Any, req: Request) -> Any:
    settle(app.store)
    filters = _filters(req.json())
    busy = app.store.one("SELECT id FROM contact_jobs WHERE kind = 'export' "
                         "AND status IN ('created', 'started')")
    if busy is not None:
        raise api_errors(422, {"base": [EXPORT_BUSY]})
    job = _new_job(app.store, "export", "started", {"filters": filters, "base": _base_url(req)})
    return _export_public(job), 201


def _export_rows(conn: Any, filters: list[dict[str, Any]]) -> Any:
    where, args = [], []
    for item in filters:
        if item["name"] == "list_id" and item["value"]:
            marks = ", ".join("?" for _ in item["value"])
            where.append(f"pk IN (SELECT contact_pk FROM contact_memberships "  # noqa: S608
                         f"WHERE list_id IN ({marks}))")
            args.extend(item["value"])
        elif item["name"] == "subscription_status":
            where.append("status = ?")
            args.append(item["value"])
    sql = ("SELECT c.*, (SELECT group_concat(list_id) FROM (SELECT list_id FROM "
           "contact_memberships m WHERE m.contact_pk = c.pk ORDER BY list_id)) AS lists "
           "FROM contacts c")
    if where:
        sql += " WHERE " + " AND ".join(where)
    return conn.execute(sql + " ORDER BY pk", args)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _finish_export(store: Store, conn: Any, job: dict[str, Any]) -> tuple[str, Any, Any]:
    payload = loads(job["payload"], {})
    tags = list(db.field_types(store))
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
        text = io.TextIOWrapper(gz, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(["email", "id", "status", "list_ids", "created_at", "updated_at",
                         *tags])
        count = 0
        for row in _export_rows(conn, payload.get("filters") or []):
            fields = loads(row["fields"], {})
            writer.writerow([row["email"], row["uuid"], row["status"], row["lists"] or "",
                             row["created_at"], row["updated_at"],
                             *(_cell(fields.get(t)) for t in tags)])
            count += 1
        text.flush()
        text.detach()
    token = secrets.token_urlsafe(16)
    url = f"{payload.get('base', '')}/_local/contacts/exports/{job['number']}/{token}.csv.gz"
    return "finished", {"url": url, "token": token, "count": count}, buffer.getvalue()


def _export_public(job: dict[str, Any]) -> dict[str, Any]:
    result = loads(job["result"], {}) if job["result"] else {}
    return {"id": job["number"], "status": job["status"], "created_at": job["created_at"],
            "updated_at": job["updated_at"], "url": result.get("url")}


def get_export(app: Any, req: Request, export_id: int) -> dict[str, Any]:
    settle(app.store)
    return _export_public(_advance(app.store, _job(app.store, "export", export_id), polled=True))


def download_export(app: Any, req: Request, number: int, token: str) -> Any:
    job = app.store.one("SELECT * FROM contact_jobs WHERE kind = 'export' AND number = ?",
                        (number,))
    result = loads(job["result"], {}) if job and job["result"] else {}
    if not job or not secrets.compare_digest(str(result.get("token", "")), token):
        return Response.of("Not Found", 404)
    data = job["data"] or b""
    if db.settings(app.store).get("truncate_downloads"):
        data = data[: len(data) // 2]
    return Response(200, bytes(data), {"Content-Type": "application/gzip"})


# -- control -----------------------------------------------------------------
def get_settings(app: Any, req: Request) -> dict[str, Any]:
    return db.settings(app.store)


def set_settings(app: Any, req: Request) -> dict[str, Any]:
    body = req.json() or {}
    if not isinstance(body, dict):
        raise HTTPError(400, {"errors": ["expected a JSON object"]})
    return db.save_settings(app.store, body)


def register(router: Router) -> None:
    router.add("POST", "/api/contacts/imports", create_import)
    router.add("GET", "/api/contacts/imports/{import_id:int}", get_import)
    router.add("POST", "/api/contacts/exports", create_export)
    router.add("GET", "/api/contacts/exports/{export_id:int}", get_export)
    router.add("GET", "/_local/contacts/exports/{number:int}/{token}.csv.gz", download_export)
    router.add("GET", "/_local/contacts", get_settings)
    router.add("POST", "/_local/contacts", set_settings)
