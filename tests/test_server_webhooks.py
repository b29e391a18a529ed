"""The built-in server's webhooks: CRUD with the spec's shapes and errors, and
signed event delivery after sends (batching, formats, retries, /_local events)."""

from __future__ import annotations

import json

import pytest

from mailtrap_cli.local.mailstore import DEFAULT_SANDBOX_ID
from mailtrap_cli.webhook_events import SIGNATURE_HEADER, decode, verify
from tests.webhook_helpers import event_problems, receiver

SENDER = {"email": "app@example.com", "name": "App"}


def create(server, **fields):
    attrs = {"url": "http://127.0.0.1:9/hook", "webhook_type": "email_sending",
             "sending_stream": "transactional", "event_types": ["delivery", "bounce"]}
    attrs.update(fields)
    attrs = {k: v for k, v in attrs.items() if v is not None}
    response = server.call("POST", "/api/webhooks", json={"webhook": attrs})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def send(server, *recipients, path="/api/send", **extra):
    body = {"from": SENDER, "to": [{"email": r} for r in recipients], "subject": "Hi",
            "text": "Hello", **extra}
    response = server.call("POST", path, json=body)
    assert response.status_code == 200, response.text
    return response.json()["message_ids"]


def flush(server):
    response = server.call("POST", "/_local/webhooks/flush", params={"timeout": 20})
    assert response.json() == {"pending": 0}


def events_of(requests):
    return [e for r in requests for e in decode(r["body"])]


# -- CRUD ------------------------------------------------------------------------
def test_crud_shapes_and_the_secret_only_on_create(server):
    created = create(server)
    assert len(created["signing_secret"]) == 32
    assert created["active"] is True and created["payload_format"] == "json"
    path = f"/api/webhooks/{created['id']}"
    listed = server.call("GET", "/api/webhooks").json()["data"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "signing_secret" not in listed[0]
    got = server.call("GET", path).json()["data"]
    assert got == {k: v for k, v in created.items() if k != "signing_secret"}
    changed = server.call("PATCH", path, json={"webhook": {
        "active": False, "payload_format": "jsonlines", "event_types": ["open"]}})
    assert changed.status_code == 200
    assert changed.json()["data"]["active"] is False
    assert changed.json()["data"]["event_types"] == ["open"]
    deleted = server.call("DELETE", path)
    assert deleted.status_code == 200 and deleted.json()["data"]["id"] == created["id"]
    assert server.call("GET", path).json() == {"error": "Not Found"}
    assert server.call("DELETE", path).status_code == 404


def test_audit_log_webhooks_need_no_stream_or_events(server):
    created = create(server, webhook_type="audit_log", sending_stream=None, event_types=None)
    assert created["sending_stream"] is None and "event_types" not in created


@pytest.mark.parametrize(("attrs", "field"), [
    ({"url": ""}, "url"),
    ({"url": "ftp://x/y"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"webhook_type": "nope"}, "webhook_type"),
    ({"sending_stream": None}, "sending_stream"),
    ({"sending_stream": "marketing"}, "sending_stream"),
    ({"event_types": []}, "event_types"),
    ({"event_types": ["delivered"]}, "event_types"),
    ({"payload_format": "xml"}, "payload_format"),
    ({"active": "yes"}, "active"),
    ({"inbound_inbox_id": 3}, "inbound_inbox_id"),
    ({"domain_id": 2**70}, "domain_id"),
    ({"domain_id": 0}, "domain_id"),
    ({"webhook_type": "inbound_receiving", "sending_stream": None, "event_types": None},
     "inbound_inbox_id"),
])
def test_create_validation_answers_422_per_field(server, attrs, field):
    body = {"url": "http://127.0.0.1:9/", "webhook_type": "email_sending",
            "sending_stream": "transactional", "event_types": ["delivery"]}
    body.update(attrs)
    response = server.call("POST", "/api/webhooks", json={"webhook": body})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert server.call("GET", "/api/webhooks").json() == {"data": []}


def test_update_refuses_fields_that_cannot_change(server):
    created = create(server)
    response = server.call("PATCH", f"/api/webhooks/{created['id']}",
                           json={"webhook": {"sending_stream": "bulk"}})
    assert response.status_code == 422
    assert "sending_stream" in response.json()["errors"]
    missing = server.call("PATCH", "/api/webhooks/999", json={"webhook": {"active": True}})
    assert missing.status_code == 404


# -- delivery --------------------------------------------------------------------
def test_a_send_posts_signed_delivery_and_bounce_events(server):
    with receiver() as r:
        hook = create(server, url=r.url)
        ids = send(server, "ann@example.com", "bounce+1@example.org",
                   custom_variables={"user_id": "7"}, category="welcome")
        flush(server)
        assert len(r.requests) == 1
        request = r.requests[0]
        assert request["headers"]["Content-Type"] == "application/json"
        assert verify(hook["signing_secret"], request["body"],
                      request["headers"][SIGNATURE_HEADER])
        events = json.loads(request["body"])["events"]
    assert [(e["event"], e["email"], e["message_id"]) for e in events] == [
        ("delivery", "ann@example.com", ids[0]), ("bounce", "bounce+1@example.org", ids[1])]
    assert events[0]["custom_variables"] == {"user_id": "7"}
    assert events[0]["category"] == "welcome"
    assert events[0]["sending_domain_name"] == "example.com"
    assert events[1]["response_code"] == 550
    assert len({e["event_id"] for e in events}) == 2
    for event in events:
        assert event_problems(event) == []


def test_only_matching_active_webhooks_get_events(server):
    with receiver() as r:
        wanted = create(server, url=r.url + "?w", payload_format="jsonlines")
        create(server, url=r.url + "?bulk", sending_stream="bulk")
        create(server, url=r.url + "?off", active=False)
        create(server, url=r.url + "?opens", event_types=["open"])
        send(server, "ann@example.com")
        flush(server)
        assert [q["path"] for q in r.requests] == ["/hook?w"]
        assert r.requests[0]["headers"]["Content-Type"] == "application/jsonl"
        assert verify(wanted["signing_secret"], r.requests[0]["body"],
                      r.requests[0]["headers"][SIGNATURE_HEADER])
        send(server, "bob@example.com", path="/bulk/api/send")
        flush(server)
        assert [q["path"] for q in r.requests][1:] == ["/hook?bulk"]


def test_a_batch_of_600_recipients_arrives_in_requests_of_at_most_500(server):
    with receiver() as r:
        create(server, url=r.url, payload_format="jsonlines")
        body = {"base": {"from": SENDER, "subject": "Hi", "text": "x"},
                "requests": [{"to": [{"email": f"u{i}@example.com"},
                                     {"email": f"v{i}@example.com"}]} for i in range(300)]}
        assert server.call("POST", "/api/batch", json=body).status_code == 200
        flush(server)
        sizes = [len(decode(q["body"])) for q in r.requests]
    assert sizes == [500, 100]
    assert len({e["event_id"] for e in events_of(r.requests)}) == 600


def test_failed_deliveries_are_retried_with_the_same_events_then_given_up(server):
    server.call("POST", "/_local/webhooks/config", json={"backoff": 0.01, "attempts": 3})
    with receiver(statuses=[500, 503]) as r:
        create(server, url=r.url)
        send(server, "ann@example.com")
        flush(server)
        assert [q["status"] for q in r.requests] == [500, 503, 200]
        assert len({q["body"] for q in r.requests}) == 1
    log = server.call("GET", "/_local/webhooks/deliveries").json()
    assert [(e["attempt"], e["status"], e["ok"]) for e in log] == [
        (1, 500, False), (2, 503, False), (3, 200, True)]
    with receiver(statuses=[500] * 5) as r:
        create(server, url=r.url)
        server.call("DELETE", "/_local/webhooks/deliveries")
        send(server, "bob@example.com")
        flush(server)
    log = server.call("GET", "/_local/webhooks/deliveries").json()
    assert [e["ok"] for e in log if e["url"] == r.url] == [False] * 3
    assert log[-1]["gave_up"] is True


def test_a_receiver_that_is_down_is_logged_not_fatal(server):
    server.call("POST", "/_local/webhooks/config", json={"backoff": 0.01, "attempts": 2})
    with receiver() as down:
        url = down.url
    create(server, url=url)
    send(server, "ann@example.com")
    flush(server)
    log = server.call("GET", "/_local/webhooks/deliveries").json()
    assert [e["status"] for e in log] == [None, None] and log[0]["error"]


def test_opens_and_clicks_on_request_through_local(server):
    with receiver() as r:
        create(server, url=r.url, event_types=["open", "click", "spam_complaint"])
        [message_id] = send(server, "ann@example.com")
        for spec in ({"event": "open"}, {"event": "click", "url": "https://x.test/a"},
                     {"event": "spam"}):
            response = server.call("POST", "/_local/events",
                                   json={"message_id": message_id, **spec})
            assert response.status_code == 201 and response.json()["queued"] == 1
        flush(server)
        events = events_of(r.requests)
    assert [e["event"] for e in events] == ["open", "click", "spam"]
    assert events[1]["url"] == "https://x.test/a"
    for event in events:
        assert event_problems(event) == []
    bad = server.call("POST", "/_local/events", json={"message_id": message_id,
                                                      "event": "teleport"})
    assert bad.status_code == 400
    unknown = server.call("POST", "/_local/events", json={"message_id": "x", "event": "open"})
    assert unknown.status_code == 404


def test_sandbox_sends_make_no_events(server):
    with receiver() as r:
        create(server, url=r.url)
        sandbox_id = DEFAULT_SANDBOX_ID
        send(server, "ann@example.com", path=f"/api/send/{sandbox_id}")
        flush(server)
        assert r.requests == []


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("POST", "/_local/webhooks/config", {"json": {"attempts": "x"}}),
    ("POST", "/_local/webhooks/config", {"json": {"attempts": 0}}),
    ("POST", "/_local/webhooks/config", {"json": [1]}),
    ("POST", "/_local/webhooks/flush", {"params": {"timeout": "soon"}}),
    ("POST", "/_local/events", {"json": ["open"]}),
])
def test_local_controls_refuse_bad_input_with_400(server, method, path, kwargs):
    assert server.call(method, path, **kwargs).status_code == 400


def test_every_webhook_type_can_be_created_and_read(server):
    for kind, extra in (("campaigns", {"event_types": ["open", "click"], "domain_id": 3}),
                        ("audit_log", {}),
                        ("inbound_receiving", {"inbound_inbox_id": 5})):
        body = {"url": "http://127.0.0.1:9/", "webhook_type": kind, **extra}
        response = server.call("POST", "/api/webhooks", json={"webhook": body})
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["webhook_type"] == kind and data["sending_stream"] is None
        got = server.call("GET", f"/api/webhooks/{data['id']}").json()["data"]
        assert got["inbound_inbox_id"] == extra.get("inbound_inbox_id")
        assert got.get("event_types") == extra.get("event_types")


def test_test_addresses_make_the_events_the_email_logs_record(server):
    with receiver() as r:
        create(server, url=r.url, event_types=["delivery", "open", "click", "spam_complaint",
                                                "soft_bounce", "reject", "suspension"])
        send(server, "ann+open@example.com", "bob+click@example.com", "spam@example.com",
             "soft-bounce@example.com", "reject@example.com", "suspension+x@example.com")
        flush(server)
        events = events_of(r.requests)
    assert [(e["email"].split("@")[0], e["event"]) for e in events] == [
        ("ann+open", "delivery"), ("ann+open", "open"),
        ("bob+click", "delivery"), ("bob+click", "open"), ("bob+click", "click"),
        ("spam", "delivery"), ("spam", "spam"), ("soft-bounce", "soft bounce"),
        ("reject", "reject"), ("suspension+x", "suspension")]
    assert all(event_problems(e) == [] for e in events)


def test_a_suppressed_address_is_rejected_when_the_server_keeps_suppressions(server):
    store = server.app.store
    if store.one("SELECT name FROM sqlite_master WHERE name = 'suppressions'") is None:
        store.script("CREATE TABLE suppressions (email TEXT, sending_stream TEXT)")
    # Whatever else the suppressions area keeps, fill its required columns.
    required = {c["name"]: c for c in store.all("PRAGMA table_info(suppressions)")
                if c["notnull"] and c["dflt_value"] is None and not c["pk"]}
    row = {name: "x" for name in required}
    row.update(email="Gone@Example.com", sending_stream="any")
    with store.tx() as conn:
        conn.execute(f"INSERT INTO suppressions ({', '.join(row)}) "
                     f"VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
    with receiver() as r:
        create(server, url=r.url, event_types=["delivery", "reject"])
        send(server, "gone@example.com", "ann@example.com")
        flush(server)
        events = events_of(r.requests)
    assert [(e["email"], e["event"]) for e in events] == [
        ("gone@example.com", "reject"), ("ann@example.com", "delivery")]
