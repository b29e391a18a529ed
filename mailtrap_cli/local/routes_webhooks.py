"""Webhooks: `/api/webhooks` CRUD (email-sending.openapi.yml) and the events the
built-in server sends to them.

- CRUD answers `{"data": webhook}`; create (200, as the spec says) is the only
  answer with `signing_secret`. Validation errors are 422 `{"errors": {field:
  [..]}}`, unknown ids 404 `{"error": "Not Found"}`.
- Events: every accepted live send (transactional or bulk) produces one event
  per recipient for each active `email_sending` webhook of that stream that
  subscribed to it, by `outcomes()`: `delivery`; `bounce@…`, `soft-bounce@…`,
  `reject@…`, `suspension@…` (before any `+tag`) that event instead; `+open` /
  `+click` in the local part add an open / a click, `spam@…` a spam complaint;
  a suppressed address is rejected (the email logs follow the same rules).
  More opens, clicks, unsubscribes and complaints on request: `POST
  /_local/events {"message_id", "event", "url"?}`. Events are delivered by
  local/webhook_delivery.py.
- `/_local/webhooks/flush` waits for delivery (tests, scripts),
  `/_local/webhooks/deliveries` lists the attempts, `/_local/webhooks/config`
  sets `{attempts, backoff, timeout}` of the retries.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any
from urllib.parse import urlsplit

from mailtrap_cli.local.router import HTTPError, Request, Router, api_errors, not_found
from mailtrap_cli.local.store import loads
from mailtrap_cli.local.webhook_delivery import Dispatcher
from mailtrap_cli.webhook_events import (
    EVENT_TYPES,
    FORMATS,
    STREAMS,
    WEBHOOK_TYPES,
    event_details,
    normalize_event,
    sending_event,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    webhook_type TEXT NOT NULL,
    payload_format TEXT NOT NULL DEFAULT 'json',
    sending_stream TEXT,
    domain_id INTEGER,
    inbound_inbox_id INTEGER,
    event_types TEXT,
    signing_secret TEXT NOT NULL
);
"""
WITH_EVENTS = ("email_sending", "campaigns")
WITH_DOMAIN = ("email_sending", "campaigns")
# Recipients whose local part (before any +tag) is one of these get that event
# instead of `delivery`.
TEST_LOCAL_PARTS = {"bounce": "bounce", "soft-bounce": "soft_bounce",
                    "softbounce": "soft_bounce", "reject": "reject",
                    "suspension": "suspension"}
ON_REQUEST = ("open", "click", "unsubscribe", "spam_complaint", "soft_bounce", "bounce",
              "suspension", "reject", "delivery")
_LOCK = threading.Lock()


def dispatcher(app: Any) -> Dispatcher:
    with _LOCK:
        found = getattr(app, "webhook_dispatcher", None)
        if found is None:
            found = Dispatcher()
            app.webhook_dispatcher = found
        return found


# -- CRUD ------------------------------------------------------------------------
def _public(row: dict[str, Any], *, secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row["id"], "url": row["url"], "active": bool(row["active"]),
        "webhook_type": row["webhook_type"], "payload_format": row["payload_format"],
        "sending_stream": row["sending_stream"], "domain_id": row["domain_id"],
        "inbound_inbox_id": row["inbound_inbox_id"]}
    if row["webhook_type"] in WITH_EVENTS:
        data["event_types"] = loads(row["event_types"], [])
    if secret:
        data["signing_secret"] = row["signing_secret"]
    return data


def _row(app: Any, webhook_id: int) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM webhooks WHERE id = ?", (webhook_id,))
    if row is None:
        raise not_found()
    return row


def _attrs(req: Request) -> dict[str, Any]:
    body = req.json()
    attrs = body.get("webhook") if isinstance(body, dict) else None
    if not isinstance(attrs, dict):
        raise api_errors(422, {"webhook": ["is missing"]})
    return attrs


def _check(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Field by field checks shared by create and update."""
    def bad(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if "url" in values:
        url = values["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if not url:
            bad("url", "can't be blank")
        elif parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            bad("url", "is not a valid URL")
    if "active" in values and not isinstance(values["active"], bool):
        bad("active", "must be true or false")
    if "payload_format" in values and values["payload_format"] not in FORMATS:
        bad("payload_format", f"is invalid. Allowed values: {', '.join(FORMATS)}.")
    if "event_types" in values:
        types = values["event_types"]
        if not isinstance(types, list) or not types:
            bad("event_types", "can't be blank")
        else:
            wrong = [t for t in types if t not in EVENT_TYPES]
            if wrong:
                bad("event_types", f"contains invalid values: {', '.join(map(str, wrong))}. "
                                   f"Allowed values: {', '.join(EVENT_TYPES)}.")
    for key in ("domain_id", "inbound_inbox_id"):
        value = values.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or not 0 < value < 2**63):
            bad(key, "must be a positive integer")


def create_webhook(app: Any, req: Request) -> Any:
    attrs = _attrs(req)
    values = {"active": True, "payload_format": "json", **attrs}
    errors: dict[str, list[str]] = {}
    if not attrs.get("url"):
        errors["url"] = ["can't be blank"]
    kind = attrs.get("webhook_type")
    if not kind:
        errors["webhook_type"] = ["can't be blank"]
    elif kind not in WEBHOOK_TYPES:
        errors["webhook_type"] = [f"is invalid. Allowed values: {', '.join(WEBHOOK_TYPES)}."]
    _check(values, errors)
    if kind == "email_sending":
        if not values.get("sending_stream"):
            errors.setdefault("sending_stream", ["can't be blank"])
        elif values["sending_stream"] not in STREAMS:
            errors.setdefault("sending_stream", [
                f"is invalid. Allowed values: {', '.join(STREAMS)}."])
    elif values.get("sending_stream") is not None and kind in WEBHOOK_TYPES:
        errors.setdefault("sending_stream", [f"is not allowed for {kind} webhooks"])
    if kind in WITH_EVENTS and "event_types" not in values:
        errors.setdefault("event_types", ["can't be blank"])
    if kind not in WITH_EVENTS and kind in WEBHOOK_TYPES and values.get("event_types"):
        errors.setdefault("event_types", [f"is not allowed for {kind} webhooks"])
    if kind not in WITH_DOMAIN and kind in WEBHOOK_TYPES and values.get("domain_id") is not None:
        errors.setdefault("domain_id", [f"is not allowed for {kind} webhooks"])
    if kind == "inbound_receiving" and values.get("inbound_inbox_id") is None:
        errors.setdefault("inbound_inbox_id", ["can't be blank"])
    if kind != "inbound_receiving" and values.get("inbound_inbox_id") is not None:
        errors.setdefault("inbound_inbox_id", ["must not be set for this webhook type"])
    if errors:
        raise api_errors(422, errors)
    with app.store.tx() as conn:
        cur = conn.execute(
            "INSERT INTO webhooks (url, active, webhook_type, payload_format, sending_stream, "
            "domain_id, inbound_inbox_id, event_types, signing_secret) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (values["url"], int(values["active"]), kind, values["payload_format"],
             values.get("sending_stream"), values.get("domain_id"),
             values.get("inbound_inbox_id"),
             _json_list(values.get("event_types")) if kind in WITH_EVENTS else None,
             secrets.token_hex(16)))
        webhook_id = int(cur.lastrowid or 0)
    return {"data": _public(_row(app, webhook_id), secret=True)}


def _json_list(value: Any) -> str:
    import json

    return json.dumps(list(dict.fromkeys(value or [])))


def list_webhooks(app: Any, req: Request) -> dict[str, Any]:
    return {"data": [_public(r) for r in app.store.all("SELECT * FROM webhooks ORDER BY id")]}


def get_webhook(app: Any, req: Request, webhook_id: int) -> dict[str, Any]:
    return {"data": _public(_row(app, webhook_id))}


UPDATABLE = ("url", "active", "payload_format", "event_types", "inbound_inbox_id")


def update_webhook(app: Any, req: Request, webhook_id: int) -> dict[str, Any]:
    row = _row(app, webhook_id)
    attrs = _attrs(req)
    errors: dict[str, list[str]] = {}
    for key in ("webhook_type", "sending_stream", "domain_id"):
        if key in attrs and attrs[key] != row[key]:
            errors[key] = ["cannot be changed; create a new webhook instead"]
    values = {k: attrs[k] for k in UPDATABLE if k in attrs}
    _check(values, errors)
    kind = row["webhook_type"]
    if "event_types" in values and kind not in WITH_EVENTS:
        errors.setdefault("event_types", [f"is not allowed for {kind} webhooks"])
    if values.get("inbound_inbox_id") is not None and kind != "inbound_receiving":
        errors.setdefault("inbound_inbox_id", ["must not be set for this webhook type"])
    if errors:
        raise api_errors(422, errors)
    if "event_types" in values:
        values["event_types"] = _json_list(values["event_types"])
    if "active" in values:
        values["active"] = int(values["active"])
    if values:
        sets = ", ".join(f"{key} = ?" for key in values)
        with app.store.tx() as conn:
            conn.execute(f"UPDATE webhooks SET {sets} WHERE id = ?",  # noqa: S608 - keys from UPDATABLE
                         (*values.values(), webhook_id))
    return {"data": _public(_row(app, webhook_id))}


def delete_webhook(app: Any, req: Request, webhook_id: int) -> dict[str, Any]:
    row = _row(app, webhook_id)
    with app.store.tx() as conn:
        conn.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,))
    return {"data": _public(row)}


# -- events ----------------------------------------------------------------------
def _domain_name(app: Any, domain_id: int) -> str | None:
    """The name of a sending domain the server knows (when an area stores them)."""
    import sqlite3

    for table, column in (("sending_domains", "domain_name"), ("domains", "domain_name"),
                          ("domains", "name")):
        try:
            row = app.store.one(f"SELECT {column} AS name FROM {table} WHERE id = ?",  # noqa: S608 - fixed names
                                (domain_id,))
        except sqlite3.Error:
            continue
        if row is not None:
            return row["name"]
    return None


def _subscribers(app: Any, stream: str) -> list[dict[str, Any]]:
    rows = app.store.all("SELECT * FROM webhooks WHERE active = 1 AND webhook_type = ? "
                         "AND sending_stream = ? ORDER BY id", ("email_sending", stream))
    for row in rows:
        row["event_types"] = set(loads(row["event_types"], []))
        row["domain_name"] = (_domain_name(app, row["domain_id"])
                              if row["domain_id"] is not None else None)
    return rows


def _suppressed(app: Any, email: str, stream: str) -> bool:
    """On the suppression list (when the server keeps one: routes_suppressions)."""
    import sqlite3

    try:
        row = app.store.one("SELECT 1 AS x FROM suppressions WHERE lower(email) = lower(?) "
                            "AND sending_stream IN (?, 'any') LIMIT 1", (email, stream))
    except sqlite3.Error:
        return False
    return row is not None


def outcomes(app: Any, email: str, stream: str) -> list[str]:
    """The events a live send to `email` makes, by the same rules as the email
    logs: a suppressed address is rejected; `bounce@`, `soft-bounce@`, `reject@`,
    `suspension@` (before any +tag) get that event; otherwise `delivery`, plus
    `open` for `+open` or `+click` in the local part, `click` for `+click`, and a
    spam complaint for `spam@`."""
    local = email.rpartition("@")[0].lower()
    base = local.split("+", 1)[0]
    if _suppressed(app, email, stream):
        return ["reject"]
    if base in TEST_LOCAL_PARTS:
        return [TEST_LOCAL_PARTS[base]]
    kinds = ["delivery"]
    if "+open" in local or "+click" in local:
        kinds.append("open")
    if "+click" in local:
        kinds.append("click")
    if base == "spam":
        kinds.append("spam_complaint")
    return kinds


def publish(app: Any, stream: str, events: list[dict[str, Any]]) -> int:
    """Queue `events` (settings name in `_type`) for every matching webhook; the
    number of (webhook, event) pairs queued."""
    if not events:
        return 0
    hooks = _subscribers(app, stream)
    queued = 0
    for hook in hooks:
        chosen = [{k: v for k, v in e.items() if k != "_type"} for e in events
                  if e["_type"] in hook["event_types"]
                  and (hook["domain_id"] is None
                       or hook["domain_name"] == e["sending_domain_name"])]
        if chosen:
            dispatcher(app).enqueue(hook, chosen)
            queued += len(chosen)
    return queued


def _event(kind: str, message: dict[str, Any], message_id: str, email: str, stream: str,
           **extra: Any) -> dict[str, Any]:
    sender = (message.get("from") or {}).get("email") or ""
    event = sending_event(kind, message_id=message_id, email=email, stream=stream,
                          domain=sender.rpartition("@")[2],
                          category=message.get("category"),
                          custom_variables=message.get("custom_variables"),
                          **{**event_details(kind), **extra})
    event["_type"] = kind
    return event


def plan_events(app: Any, stream: str, sent: list[tuple[dict[str, Any], str, str]]
                ) -> list[dict[str, Any]]:
    """Events for live sends about to be stored: (message, message_id, recipient)
    each. Called before the send's transaction, so an address this very send
    puts on the suppression list (a hard bounce) still reads as it was."""
    if not sent or not app.store.one("SELECT 1 AS x FROM webhooks WHERE active = 1 LIMIT 1"):
        return []
    return [_event(kind, message, message_id, email, stream)
            for message, message_id, email in sent
            for kind in outcomes(app, email, stream)]


# -- /_local -----------------------------------------------------------------------
def local_event(app: Any, req: Request) -> Any:
    """{"message_id", "event": open|click|..., "url", "ip", "user_agent"}: one event
    for that delivered message, sent to the webhooks that want it."""
    body = req.json() or {}
    if not isinstance(body, dict):
        raise HTTPError(400, {"errors": ["expected a JSON object"]})
    kind = normalize_event(str(body.get("event") or ""))
    if kind not in ON_REQUEST:
        raise HTTPError(400, {"errors": [f"event must be one of {', '.join(ON_REQUEST)}"]})
    row = app.store.one("SELECT * FROM deliveries WHERE message_id = ?",
                        (str(body.get("message_id") or ""),))
    if row is None:
        raise not_found("no delivered message with that message_id")
    extra = {k: body[k] for k in ("url", "ip", "user_agent", "reason") if body.get(k)}
    event = _event(kind, loads(row["payload"], {}), row["message_id"], row["recipient"],
                   row["stream"], **extra)
    queued = publish(app, row["stream"], [event])
    event.pop("_type")
    return {"event": event, "queued": queued}, 201


def flush(app: Any, req: Request) -> dict[str, Any]:
    """Wait (at most ?timeout=30 s) until every queued delivery is done."""
    try:
        timeout = float(req.arg("timeout") or 30)
    except ValueError:
        raise HTTPError(400, {"errors": ["timeout must be a number of seconds"]}) from None
    pending = dispatcher(app).flush(max(0.0, min(timeout, 300.0)))
    return {"pending": pending}


def deliveries(app: Any, req: Request) -> list[dict[str, Any]]:
    webhook_id = req.int_arg("webhook_id")
    return [e for e in list(dispatcher(app).log)
            if webhook_id is None or e["webhook_id"] == webhook_id]


def clear_deliveries(app: Any, req: Request) -> Any:
    dispatcher(app).log.clear()
    return None, 204


def configure(app: Any, req: Request) -> dict[str, Any]:
    body = req.json() or {}
    if not isinstance(body, dict):
        raise HTTPError(400, {"errors": ["expected a JSON object"]})
    target = dispatcher(app)
    values = {}
    for key, kind in (("attempts", int), ("backoff", float), ("timeout", float)):
        if key in body:
            value = body[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or value < (1 if key == "attempts" else 0):
                raise HTTPError(400, {"errors": [f"{key} must be a number"
                                                 f"{' from 1' if key == 'attempts' else ''}"]})
            values[key] = kind(value)
    for key, value in values.items():
        setattr(target, key, value)
    return {"attempts": target.attempts, "backoff": target.backoff, "timeout": target.timeout}


def register(router: Router) -> None:
    router.add("GET", "/api/webhooks", list_webhooks)
    router.add("POST", "/api/webhooks", create_webhook)
    router.add("GET", "/api/webhooks/{webhook_id:int}", get_webhook)
    router.add("PATCH", "/api/webhooks/{webhook_id:int}", update_webhook)
    router.add("DELETE", "/api/webhooks/{webhook_id:int}", delete_webhook)
    router.add("POST", "/_local/events", local_event)
    router.add("POST", "/_local/webhooks/flush", flush)
    router.add("GET", "/_local/webhooks/deliveries", deliveries)
    router.add("DELETE", "/_local/webhooks/deliveries", clear_deliveries)
    router.add("POST", "/_local/webhooks/config", configure)
