"""Email logs of the built-in server: one entry per recipient of every live send.

- GET /api/email_logs                  newest first; `filters[...]` (deepObject) and
                                       `search_after` (the previous `next_page_cursor`),
                                       LOG_PAGE entries per page, `total_count`
- GET /api/email_logs/{message_id}     one entry with its `events` and `raw_message_url`
- GET /_local/email_logs/{id}/raw.eml  the message as sent (where raw_message_url points)
- POST /_local/email_logs              {count, to, from, subject, category, stream, status}:
                                       many synthetic entries at once (tests, benchmarks);
                                       `to`/`subject` may hold `{n}`
- POST /_local/email_logs/{id}/events  {event_type, details}: add an event (open, click, ...)

What happens to a recipient is decided by its address, so tests can produce
every outcome offline (documented in the README):

The local part before any `+tag` (as the webhook events of routes_webhooks):

- `bounce`                              hard bounce: status not_delivered, a `bounce`
                                        event, and a suppression (hard bounce)
- `soft-bounce` (or `softbounce`)      a `soft_bounce` event, status not_delivered
- `reject` / `suspension`               that event, status not_delivered
- `spam`                                delivered, then a `spam` event and a suppression
                                        (spam complaint)
- a `+open` / `+click` tag              delivered and opened (and clicked)
- a suppressed address                  status not_delivered, a `reject` event
- anything else                         delivered

Stats (routes_stats) are sums over the flag columns kept here.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from datetime import datetime, timezone
from typing import Any

from mailtrap_cli.local.router import HTTPError, Request, Router, api_error, not_found
from mailtrap_cli.local.store import dumps, loads, now_iso

LOG_PAGE = 50

SCHEMA = """
CREATE TABLE IF NOT EXISTS email_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    subject TEXT,
    from_email TEXT NOT NULL DEFAULT '',
    to_email TEXT NOT NULL DEFAULT '',
    sent_at TEXT NOT NULL,
    category TEXT,
    custom_variables TEXT NOT NULL DEFAULT '{}',
    sending_stream TEXT NOT NULL,
    domain_id INTEGER NOT NULL DEFAULT 0,
    template_id INTEGER,
    template_variables TEXT NOT NULL DEFAULT '{}',
    opens_count INTEGER NOT NULL DEFAULT 0,
    clicks_count INTEGER NOT NULL DEFAULT 0,
    client_ip TEXT,
    sending_ip TEXT,
    esp TEXT,
    recipient_mx TEXT,
    esp_response TEXT,
    delivered INTEGER NOT NULL DEFAULT 0,
    bounced INTEGER NOT NULL DEFAULT 0,
    spam INTEGER NOT NULL DEFAULT 0,
    payload TEXT
);
CREATE INDEX IF NOT EXISTS email_logs_by_sent ON email_logs(sent_at);
CREATE TABLE IF NOT EXISTS email_log_events (
    id INTEGER PRIMARY KEY,
    log_seq INTEGER NOT NULL REFERENCES email_logs(seq) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS email_log_events_by_log ON email_log_events(log_seq, event_type);
"""

SENDING_IP = "127.0.0.1"
_ESPS = {
    "gmail.com": "Google", "googlemail.com": "Google", "yahoo.com": "Yahoo",
    "outlook.com": "Outlook", "hotmail.com": "Outlook", "live.com": "Outlook",
    "icloud.com": "iCloud", "me.com": "iCloud", "hey.com": "Hey", "zoho.com": "Zoho Email",
    "proton.me": "ProtonMail", "protonmail.com": "ProtonMail", "yandex.ru": "Yandex",
    "gmx.net": "GMX.net", "fastmail.com": "FastMail", "naver.com": "Naver",
    "seznam.cz": "Seznam", "comcast.net": "Comcast",
}


def esp_of(address: str) -> str:
    domain = address.rpartition("@")[2].lower()
    return _ESPS.get(domain, "Other")


def _local_part(address: str) -> str:
    return address.partition("@")[0].lower()


def _domain_id(conn: Any, sender: str) -> int:
    domain = sender.rpartition("@")[2].lower()
    row = conn.execute("SELECT id FROM domains WHERE lower(domain_name) = ?",
                       (domain,)).fetchone()
    return int(row[0]) if row else 0


def _suppressed(conn: Any, address: str, stream: str) -> bool:
    row = conn.execute("SELECT 1 FROM suppressions WHERE lower(email) = lower(?) AND "
                       "sending_stream IN (?, 'any') LIMIT 1", (address, stream)).fetchone()
    return row is not None


def _event(conn: Any, seq: int, event_type: str, stamp: str, details: dict[str, Any]) -> None:
    conn.execute("INSERT INTO email_log_events (log_seq, event_type, created_at, details) "
                 "VALUES (?, ?, ?, ?)", (seq, event_type, stamp, dumps(details)))


def _delivery_details(address: str) -> dict[str, Any]:
    domain = address.rpartition("@")[2].lower()
    return {"sending_ip": SENDING_IP, "recipient_mx": f"mx.{domain}",
            "email_service_provider": esp_of(address)}


def record(conn: Any, message: dict[str, Any], message_ids: list[str],
           recipients: list[str], stream: str) -> None:
    """Log one accepted live message (one entry per recipient) inside an open
    transaction, with the events its recipients' addresses call for."""
    from mailtrap_cli.local import routes_suppressions

    stamp = now_iso()
    sender = (message.get("from") or {}).get("email", "")
    domain_id = _domain_id(conn, sender)
    payload = dumps(message)
    for message_id, address in zip(message_ids, recipients, strict=True):
        local = _local_part(address)
        base = local.split("+", 1)[0]
        status, delivered, bounced, spam = "delivered", 1, 0, 0
        opens = clicks = 0
        events: list[tuple[str, dict[str, Any]]] = []
        response = "250 2.0.0 OK"
        if _suppressed(conn, address, stream):
            status, delivered = "not_delivered", 0
            events.append(("reject", {"reject_reason": "Recipient is on the suppression list"}))
            response = None
        elif base == "bounce":
            status, delivered, bounced = "not_delivered", 0, 1
            response = "550 5.1.1 User unknown"
            events.append(("bounce", {**_delivery_details(address),
                                      "email_service_provider_status": "5.1.1",
                                      "email_service_provider_response": response,
                                      "bounce_category": "invalid_recipient"}))
        elif base in ("soft-bounce", "softbounce"):
            status, delivered = "not_delivered", 0
            response = "452 4.2.2 Mailbox full"
            events.append(("soft_bounce", {**_delivery_details(address),
                                           "email_service_provider_status": "4.2.2",
                                           "email_service_provider_response": response,
                                           "bounce_category": "mailbox_full"}))
        elif base in ("reject", "suspension"):
            status, delivered, response = "not_delivered", 0, None
            events.append((base, {"reject_reason": f"local test address {base}@"}))
        else:
            events.append(("delivery", _delivery_details(address)))
            if "+open" in local or "+click" in local:
                opens = 1
                events.append(("open", {"web_ip_address": "127.0.0.1"}))
            if "+click" in local:
                clicks = 1
                events.append(("click", {"click_url": "https://example.com/",
                                         "web_ip_address": "127.0.0.1"}))
            if base == "spam":
                spam = 1
                events.append(("spam", {"spam_feedback_type": "abuse"}))
        seq = conn.execute(
            "INSERT INTO email_logs (message_id, status, subject, from_email, to_email, "
            "sent_at, category, custom_variables, sending_stream, domain_id, "
            "template_variables, opens_count, clicks_count, client_ip, sending_ip, esp, "
            "recipient_mx, esp_response, delivered, bounced, spam, payload) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (message_id, status, message.get("subject"), sender, address, stamp,
             message.get("category"), dumps(message.get("custom_variables") or {}), stream,
             domain_id, dumps(message.get("template_variables") or {}), opens, clicks,
             "127.0.0.1", SENDING_IP, esp_of(address),
             f"mx.{address.rpartition('@')[2].lower()}", response, delivered, bounced,
             spam, payload)).lastrowid
        for event_type, details in events:
            _event(conn, seq, event_type, stamp, details)
        if bounced:
            routes_suppressions.add(conn, address, "hard bounce", stream, sender, message,
                                    message_id, stamp, response)
        elif spam:
            routes_suppressions.add(conn, address, "spam complaint", stream, sender, message,
                                    message_id, stamp, None)


# -- reading ------------------------------------------------------------------
_FILTER = re.compile(r"^filters\[(\w+)\](?:\[(\w+)\])?(\[\])?$")
_STRING_COLUMNS = {
    "to": "to_email", "from": "from_email", "subject": "subject", "status": "status",
    "category": "category", "sending_stream": "sending_stream", "client_ip": "client_ip",
    "sending_ip": "sending_ip", "email_service_provider": "esp",
    "recipient_mx": "recipient_mx", "email_service_provider_response": "esp_response",
}
_NUMBER_COLUMNS = {"opens_count": "opens_count", "clicks_count": "clicks_count",
                   "domain_id": "domain_id"}


def parse_filters(query: dict[str, list[str]]) -> dict[str, Any]:
    """`filters[field][operator]=op&filters[field][value][]=v` -> {field: {operator, value}};
    `filters[sent_after]=...` -> {sent_after: "..."}."""
    found: dict[str, Any] = {}
    for name, values in query.items():
        match = _FILTER.match(name)
        if not match:
            continue
        field, part, many = match.groups()
        if part is None:
            found[field] = values[-1]
            continue
        spec = found.setdefault(field, {})
        if not isinstance(spec, dict):
            continue
        if part == "value" and (many or len(values) > 1):
            spec.setdefault("value", [])
            if not isinstance(spec["value"], list):
                spec["value"] = [spec["value"]]
            spec["value"].extend(values)
        else:
            spec[part] = values[-1]
    return found


def _timestamp(value: str, name: str) -> str:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise api_error(400, f"filters[{name}] is not an ISO 8601 time: {value}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _values(spec: dict[str, Any]) -> list[str]:
    value = spec.get("value")
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def where_clause(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL for the filters the spec describes; unknown ones are ignored (as upstream)."""
    clauses: list[str] = []
    args: list[Any] = []
    after, before = filters.get("sent_after"), filters.get("sent_before")
    if isinstance(after, str) and after:
        clauses.append("sent_at >= ?")
        args.append(_timestamp(after, "sent_after"))
    if isinstance(before, str) and before:
        clauses.append("sent_at <= ?")
        args.append(_timestamp(before, "sent_before"))
    if len(args) == 2 and args[0] > args[1]:
        raise api_error(400, "filters[sent_after] must be before filters[sent_before]")
    for field, spec in filters.items():
        if not isinstance(spec, dict):
            continue
        op = str(spec.get("operator") or "")
        values = _values(spec)
        if field in _STRING_COLUMNS:
            column = _STRING_COLUMNS[field]
            lowered = op.startswith("ci_")
            base = op[3:] if lowered else op
            target = f"lower(coalesce({column}, ''))" if lowered else f"coalesce({column}, '')"
            vals = [v.lower() for v in values] if lowered else values
            if base in ("equal", "not_equal") and vals:
                marks = ", ".join("?" * len(vals))
                clauses.append(f"{target} {'NOT ' if base == 'not_equal' else ''}IN ({marks})")
                args.extend(vals)
            elif base in ("contain", "not_contain") and vals:
                clauses.append(f"instr({target}, ?) {'=' if base == 'not_contain' else '>'} 0")
                args.append(vals[0])
            elif op == "empty":
                clauses.append(f"coalesce({column}, '') = ''")
            elif op == "not_empty":
                clauses.append(f"coalesce({column}, '') != ''")
        elif field in _NUMBER_COLUMNS and values:
            column = _NUMBER_COLUMNS[field]
            try:
                numbers = [int(v) for v in values]
            except ValueError:
                raise api_error(400, f"filters[{field}][value] must be an integer") from None
            sql_op = {"equal": "IN", "not_equal": "NOT IN", "greater_than": ">",
                      "less_than": "<"}.get(op)
            if sql_op in ("IN", "NOT IN"):
                clauses.append(f"{column} {sql_op} ({', '.join('?' * len(numbers))})")
                args.extend(numbers)
            elif sql_op:
                clauses.append(f"{column} {sql_op} ?")
                args.append(numbers[0])
        elif field == "events" and values and op in ("include_event", "not_include_event"):
            marks = ", ".join("?" * len(values))
            neg = "NOT " if op == "not_include_event" else ""
            clauses.append(f"{neg}EXISTS (SELECT 1 FROM email_log_events e WHERE "  # noqa: S608
                           f"e.log_seq = email_logs.seq AND e.event_type IN ({marks}))")
            args.extend(values)
    return (" AND ".join(clauses), args)


def entry_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": row["message_id"],
        "status": row["status"],
        "subject": row["subject"],
        "from": row["from_email"],
        "to": row["to_email"],
        "sent_at": row["sent_at"],
        "client_ip": row["client_ip"],
        "category": row["category"],
        "custom_variables": loads(row["custom_variables"], {}),
        "sending_stream": row["sending_stream"],
        "domain_id": row["domain_id"],
        "template_id": row["template_id"],
        "template_variables": loads(row["template_variables"], {}),
        "opens_count": row["opens_count"],
        "clicks_count": row["clicks_count"],
    }


_LIST_COLUMNS = ("seq, message_id, status, subject, from_email, to_email, sent_at, client_ip, "
                 "category, custom_variables, sending_stream, domain_id, template_id, "
                 "template_variables, opens_count, clicks_count")


def list_logs(app: Any, req: Request) -> dict[str, Any]:
    where, args = where_clause(parse_filters(req.query))
    base_where = f" WHERE {where}" if where else ""
    total = app.store.one(f"SELECT COUNT(*) AS n FROM email_logs{base_where}", args)["n"]  # noqa: S608
    page_where, page_args = where, list(args)
    cursor = req.arg("search_after")
    if cursor:
        row = app.store.one("SELECT seq FROM email_logs WHERE message_id = ?", (cursor,))
        if row is None:
            raise api_error(400, "search_after does not name a message")
        page_where = f"({where}) AND seq < ?" if where else "seq < ?"
        page_args.append(row["seq"])
    sql = f"SELECT {_LIST_COLUMNS} FROM email_logs"  # noqa: S608
    if page_where:
        sql += f" WHERE {page_where}"
    rows = app.store.all(sql + f" ORDER BY seq DESC LIMIT {LOG_PAGE + 1}", page_args)
    more = len(rows) > LOG_PAGE
    rows = rows[:LOG_PAGE]
    return {"messages": [entry_json(r) for r in rows], "total_count": total,
            "next_page_cursor": rows[-1]["message_id"] if more and rows else None}


def _row(app: Any, message_id: str) -> dict[str, Any]:
    row = app.store.one("SELECT * FROM email_logs WHERE message_id = ?", (message_id,))
    if row is None:
        raise not_found()
    return row


def base_url(req: Request) -> str:
    """This server's own origin, for URLs it hands out (raw_message_url, ...). A request
    without Host came through the in-process transport (config.LOCAL_INPROCESS_URL)."""
    host = req.headers.get("host")
    return f"http://{host}" if host else "http://local.mailtrap.invalid"


def get_log(app: Any, req: Request, message_id: str) -> dict[str, Any]:
    row = _row(app, message_id)
    events = app.store.all("SELECT event_type, created_at, details FROM email_log_events "
                           "WHERE log_seq = ? ORDER BY id", (row["seq"],))
    return {**entry_json(row),
            "raw_message_url": f"{base_url(req)}/_local/email_logs/{message_id}/raw.eml",
            "events": [{"event_type": e["event_type"], "created_at": e["created_at"],
                        "details": loads(e["details"], {})} for e in events]}


def raw_message(app: Any, req: Request, message_id: str) -> Any:
    from mailtrap_cli.local.mime import build_mime
    from mailtrap_cli.local.router import Response

    row = _row(app, message_id)
    payload = loads(row["payload"], None)
    if not isinstance(payload, dict) or not isinstance(payload.get("from"), dict):
        payload = {"from": {"email": row["from_email"] or "sender@local.test"},
                   "to": [{"email": row["to_email"]}], "subject": row["subject"] or "",
                   "text": ""}
    raw = build_mime(payload, message_id=message_id)
    return Response(200, raw, {"Content-Type": "message/rfc822",
                               "Content-Disposition": f'attachment; filename="{message_id}.eml"'})


# -- /_local helpers -----------------------------------------------------------
def generate(app: Any, req: Request) -> Any:
    body = req.json() or {}
    try:
        count = int(body.get("count", 1))
    except (TypeError, ValueError):
        raise HTTPError(400, {"errors": ["count must be an integer"]}) from None
    to = str(body.get("to", "user{n}@example.com"))
    subject = str(body.get("subject", "Message {n}"))
    sender = str(body.get("from", "sender@example.com"))
    category = body.get("category")
    stream = str(body.get("stream", "transactional"))
    status = str(body.get("status", "delivered"))
    stamp = body.get("sent_at") or now_iso()
    rows = []
    for n in range(count):
        rows.append((str(uuidlib.uuid4()), status, subject.replace("{n}", str(n)), sender,
                     to.replace("{n}", str(n)), stamp, category, stream,
                     1 if status == "delivered" else 0))
    with app.store.tx() as conn:
        first = conn.execute("SELECT coalesce(MAX(seq), 0) FROM email_logs").fetchone()[0]
        conn.executemany("INSERT INTO email_logs (message_id, status, subject, from_email, "
                         "to_email, sent_at, category, sending_stream, delivered) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return {"created": count, "first_seq": first + 1}, 201


def add_event(app: Any, req: Request, message_id: str) -> Any:
    body = req.json() or {}
    event_type = str(body.get("event_type") or "")
    if event_type not in ("delivery", "open", "click", "bounce", "soft_bounce", "spam",
                          "unsubscribe", "reject", "suspension"):
        raise HTTPError(400, {"errors": [f"unknown event_type {event_type!r}"]})
    row = _row(app, message_id)
    column = {"open": "opens_count = opens_count + 1",
              "click": "clicks_count = clicks_count + 1", "spam": "spam = 1",
              "bounce": "bounced = 1, delivered = 0, status = 'not_delivered'",
              "delivery": "delivered = 1, status = 'delivered'",
              "unsubscribe": "status = 'opted_out'"}.get(event_type)
    with app.store.tx() as conn:
        _event(conn, row["seq"], event_type, now_iso(), body.get("details") or {})
        if column:
            conn.execute(f"UPDATE email_logs SET {column} WHERE seq = ?", (row["seq"],))  # noqa: S608
    return None, 204


def register(router: Router) -> None:
    router.add("GET", "/api/email_logs", list_logs)
    router.add("GET", "/api/email_logs/{message_id}", get_log)
    router.add("GET", "/_local/email_logs/{message_id}/raw.eml", raw_message)
    router.add("POST", "/_local/email_logs", generate)
    router.add("POST", "/_local/email_logs/{message_id}/events", add_event)
