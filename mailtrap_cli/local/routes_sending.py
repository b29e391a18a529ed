"""Sending: `POST /api/send` and `/api/batch` on the transactional and bulk hosts,
`/api/send/{sandbox_id}` and `/api/batch/{sandbox_id}` on the sandbox host.

Validation is mailtrap_cli.message's (the spec's rules); errors answer 400
`{"success": false, "errors": [...]}`, 413 when the body is too large, 404
when the sandbox does not exist. Templates are rendered from stored ones
(routes_templates). Live sends (transactional, bulk) land in the `deliveries`
table, one row per recipient, so tests and benchmarks can assert what was
delivered and how often (`GET /_local/deliveries`); sandbox sends become raw
MIME sandbox messages (local/mime.py, mailstore.store_message). A batch is
stored in one transaction.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from mailtrap_cli.handlebars import TemplateError
from mailtrap_cli.local import email_logs, mailstore, routes_inbound
from mailtrap_cli.local.mime import build_mime
from mailtrap_cli.local.router import HTTPError, Request, Router, send_error
from mailtrap_cli.local.routes_templates import find_by_uuid, render_template
from mailtrap_cli.local.routes_webhooks import plan_events, publish
from mailtrap_cli.local.store import dumps, loads, now_iso
from mailtrap_cli.message import (
    MAX_BATCH_BYTES,
    MAX_BATCH_MESSAGES,
    MAX_MESSAGE_BYTES,
    RECIPIENT_FIELDS,
    merge_base,
    payload_size,
    too_large_message,
    validate_message,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    recipient TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_recipient ON deliveries(recipient);
"""


@dataclass
class Prepared:
    """One message that passed validation, ready to store."""

    message: dict[str, Any]
    message_ids: list[str]
    recipients: list[str] = field(default_factory=list)
    template_id: int | None = None          # a template send: kept on the sandbox message
    template_variables: Any = None


class Rejected(Exception):
    def __init__(self, errors: list[str], status: int = 400) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status


def _body(req: Request) -> Any:
    try:
        return req.json()
    except HTTPError:
        raise send_error(400, "request body is not valid JSON") from None


def prepare(app: Any, payload: Any, *, size_limit: int = MAX_MESSAGE_BYTES) -> Prepared:
    """Validate and render one message; Rejected with the API's errors otherwise."""
    errors = validate_message(payload, check_size=False)
    if errors:
        raise Rejected(errors)
    size = payload_size(payload)
    if size > size_limit:
        raise Rejected([too_large_message(size, size_limit)], 413)
    message = dict(payload)
    template_id = None
    if message.get("template_uuid") is not None:
        template = find_by_uuid(app.store, message["template_uuid"])
        if template is None:
            raise Rejected([f"template with uuid '{message['template_uuid']}' not found"])
        try:
            message.update(render_template(template, message.get("template_variables")))
        except TemplateError as exc:
            raise Rejected([f"template '{message['template_uuid']}' cannot be rendered: "
                            f"{exc}"]) from None
        if template.get("category"):
            message["category"] = template["category"]
        template_id = int(template["id"])
    recipients = [a["email"] for f in RECIPIENT_FIELDS for a in (message.get(f) or [])]
    return Prepared(message, [str(uuidlib.uuid4()) for _ in recipients], recipients,
                    template_id, message.get("template_variables") if template_id else None)


def _sandbox(app: Any, sandbox_id: int) -> dict[str, Any]:
    box = mailstore.get_sandbox(app.store, sandbox_id)
    if box is None:
        raise send_error(404, f"sandbox {sandbox_id} not found")
    return box


def _sandbox_limit(box: dict[str, Any]) -> int:
    limit = box.get("max_message_size") or 0
    return int(limit) if limit else MAX_MESSAGE_BYTES


def _store(app: Any, conn: Any, done: list[Prepared], stream: str,
           sandbox_id: int | None) -> None:
    """Write accepted messages inside an open transaction."""
    if sandbox_id is not None:
        for item in done:
            raw = build_mime(item.message, message_id=item.message_ids[0])
            mailstore.store_message(app.store, sandbox_id, raw,
                                    smtp_from=item.message["from"]["email"],
                                    smtp_to=item.recipients, conn=conn,
                                    template_id=item.template_id,
                                    template_variables=item.template_variables)
        return
    stamp = now_iso()
    rows = []
    for item in done:
        payload = dumps(item.message)
        rows.extend((mid, stream, rcpt, payload, stamp)
                    for mid, rcpt in zip(item.message_ids, item.recipients, strict=True))
    conn.executemany("INSERT INTO deliveries (message_id, stream, recipient, payload, "
                     "created_at) VALUES (?, ?, ?, ?, ?)", rows)
    for item in done:  # email logs, stats and suppressions see every live message
        email_logs.record(conn, item.message, item.message_ids, item.recipients, stream)
        routes_inbound.deliver_to_inboxes(
            conn, item.recipients,
            lambda item=item: build_mime(item.message, message_id=item.message_ids[0]))


def _events(app: Any, done: list[Prepared], stream: str, sandbox_id: int | None
            ) -> list[dict[str, Any]]:
    """Webhook events of live sends (routes_webhooks), planned before they are
    stored and published after; none for sandboxes."""
    if sandbox_id is not None:
        return []
    return plan_events(app, stream, [(item.message, mid, rcpt) for item in done
                                     for mid, rcpt in zip(item.message_ids, item.recipients,
                                                          strict=True)])


def _send(app: Any, req: Request, stream: str, sandbox_id: int | None) -> Any:
    limit = MAX_MESSAGE_BYTES
    if sandbox_id is not None:
        limit = _sandbox_limit(_sandbox(app, sandbox_id))
    if len(req.body) > limit + 64 * 1024:
        raise send_error(413, too_large_message(len(req.body), limit))
    try:
        item = prepare(app, _body(req), size_limit=limit)
    except Rejected as exc:
        raise send_error(exc.status, *exc.errors) from None
    events = _events(app, [item], stream, sandbox_id)
    with app.store.tx() as conn:
        _store(app, conn, [item], stream, sandbox_id)
    publish(app, stream, events)
    return {"success": True, "message_ids": item.message_ids}


def _batch(app: Any, req: Request, stream: str, sandbox_id: int | None) -> Any:
    limit = MAX_MESSAGE_BYTES
    if sandbox_id is not None:
        limit = _sandbox_limit(_sandbox(app, sandbox_id))
    if len(req.body) > MAX_BATCH_BYTES:
        raise send_error(413, f"batch is too large: {len(req.body)} bytes "
                              f"(limit {MAX_BATCH_BYTES} bytes)")
    body = _body(req)
    if not isinstance(body, dict):
        raise send_error(400, "the batch must be a JSON object with 'requests'")
    requests = body.get("requests")
    if not requests:
        raise send_error(400, "empty field: 'requests'")
    if not isinstance(requests, list):
        raise send_error(400, "'requests' must be an array")
    if len(requests) > MAX_BATCH_MESSAGES:
        raise send_error(400, f"'requests' has {len(requests)} messages; at most "
                              f"{MAX_BATCH_MESSAGES} are allowed")
    base = body.get("base")
    if base is not None and not isinstance(base, dict):
        raise send_error(400, "'base' must be an object")
    responses: list[dict[str, Any]] = []
    done: list[Prepared] = []
    for request in requests:
        if not isinstance(request, dict):
            responses.append({"success": False, "errors": ["the message must be an object"]})
            continue
        try:
            item = prepare(app, merge_base(base, request), size_limit=limit)
        except Rejected as exc:
            responses.append({"success": False, "errors": exc.errors})
            continue
        done.append(item)
        responses.append({"success": True, "message_ids": item.message_ids})
    if done:
        events = _events(app, done, stream, sandbox_id)
        with app.store.tx() as conn:
            _store(app, conn, done, stream, sandbox_id)
        publish(app, stream, events)
    return {"success": True, "responses": responses, "errors": []}


def send(app: Any, req: Request) -> Any:
    return _send(app, req, req.stream, None)


def batch(app: Any, req: Request) -> Any:
    return _batch(app, req, req.stream, None)


def send_sandbox(app: Any, req: Request, sandbox_id: int) -> Any:
    return _send(app, req, "sandbox", sandbox_id)


def batch_sandbox(app: Any, req: Request, sandbox_id: int) -> Any:
    return _batch(app, req, "sandbox", sandbox_id)


# -- /_local/deliveries: what the live streams delivered ----------------------
def list_deliveries(app: Any, req: Request) -> list[dict[str, Any]]:
    """?stream=transactional|bulk &to=<recipient> &message_id= &limit=N"""
    where, args = [], []
    for name, column in (("stream", "stream"), ("to", "recipient"),
                         ("message_id", "message_id")):
        value = req.arg(name)
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    sql = "SELECT * FROM deliveries"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id"
    limit = req.int_arg("limit")
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [{"id": r["id"], "message_id": r["message_id"], "stream": r["stream"],
             "recipient": r["recipient"], "payload": loads(r["payload"]),
             "created_at": r["created_at"]} for r in app.store.all(sql, args)]


def count_deliveries(app: Any, req: Request) -> dict[str, Any]:
    """?stream= : {"count": N, "recipients": distinct recipients}."""
    stream = req.arg("stream")
    sql = "SELECT COUNT(*) AS n, COUNT(DISTINCT recipient) AS r FROM deliveries"
    row = app.store.one(sql + (" WHERE stream = ?" if stream else ""),
                        (stream,) if stream else ())
    return {"count": row["n"] if row else 0, "recipients": row["r"] if row else 0}


def clear_deliveries(app: Any, req: Request) -> Any:
    with app.store.tx() as conn:
        conn.execute("DELETE FROM deliveries")
    return None, 204


def register(router: Router) -> None:
    router.add("POST", "/api/send", send)
    router.add("POST", "/api/batch", batch)
    router.add("POST", "/api/send/{sandbox_id:int}", send_sandbox)
    router.add("POST", "/api/batch/{sandbox_id:int}", batch_sandbox)
    router.add("GET", "/_local/deliveries", list_deliveries)
    router.add("GET", "/_local/deliveries/count", count_deliveries)
    router.add("DELETE", "/_local/deliveries", clear_deliveries)
