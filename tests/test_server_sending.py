"""The built-in server's sending endpoints, templates CRUD and delivery records, over HTTP."""

from __future__ import annotations

import base64
import uuid
from email import message_from_bytes, policy

import pytest

SENDER = {"email": "app@example.com", "name": "App"}


def message(**extra):
    body = {"from": SENDER, "to": [{"email": "ann@example.com"}], "subject": "Hi",
            "text": "Hello"}
    body.update(extra)
    return body


def deliveries(server, **params):
    response = server.call("GET", "/_local/deliveries", params=params)
    assert response.status_code == 200
    return response.json()


def create_template(server, **fields):
    attrs = {"name": "Welcome", "subject": "Hi {{ user.name }}", "category": "welcome",
             "body_text": "Hello {{user.name}}, you have {{count}} messages",
             "body_html": "<p>{{user.name}} {{{raw}}} {{missing}}</p>"}
    attrs.update(fields)
    response = server.call("POST", "/api/email_templates", json={"email_template": attrs})
    assert response.status_code == 201, response.text
    return response.json()


# -- /api/send ------------------------------------------------------------------
def test_send_answers_one_id_per_recipient_in_to_cc_bcc_order(server):
    body = message(to=[{"email": "a@example.com"}, {"email": "b@example.com"}],
                   cc=[{"email": "c@example.com"}], bcc=[{"email": "d@example.com"}])
    response = server.call("POST", "/api/send", json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["success"] is True
    ids = answer["message_ids"]
    assert len(ids) == 4 and all(uuid.UUID(i).version == 4 for i in ids)
    rows = deliveries(server)
    assert [r["recipient"] for r in rows] == ["a@example.com", "b@example.com",
                                              "c@example.com", "d@example.com"]
    assert [r["message_id"] for r in rows] == ids
    assert {r["stream"] for r in rows} == {"transactional"}
    assert rows[0]["payload"]["subject"] == "Hi"


def test_bulk_host_records_the_bulk_stream(server):
    assert server.call("POST", "/bulk/api/send", json=message()).status_code == 200
    assert server.call("POST", "/api/send", json=message()).status_code == 200
    assert len(deliveries(server, stream="bulk")) == 1
    assert len(deliveries(server, stream="transactional")) == 1
    assert server.call("GET", "/_local/deliveries/count").json() == {"count": 2,
                                                                     "recipients": 1}


def test_empty_body_lists_every_missing_field(server):
    response = server.call("POST", "/api/send", json={})
    assert response.status_code == 400
    assert response.json() == {"success": False, "errors": [
        "'from' is required", "'to', 'cc' or 'bcc' address is required",
        "'subject' is required", "must specify either text or html body"]}
    assert deliveries(server) == []


def test_invalid_json_is_a_400_in_the_send_family(server):
    response = server.call("POST", "/api/send", data=b"{nope",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["success"] is False


@pytest.mark.parametrize(("change", "needle"), [
    ({"from": {"email": "not-an-address"}}, "'from' address is invalid"),
    ({"to": [{"email": "x@example.com"}] * 1001}, "at most 1000"),
    ({"cc": [{"email": "bad@"}]}, "'cc' address is invalid"),
    ({"reply_to": {"email": "nope"}}, "'reply_to' address is invalid"),
    ({"subject": ""}, "'subject' is required"),
    ({"text": None}, "must specify either text or html body"),
    ({"category": "c" * 256}, "'category' is longer than 255"),
    ({"custom_variables": {"k": "v" * 1000}}, "'custom_variables' is"),
    ({"headers": {"Subject": "sneaky"}}, "header 'Subject' is reserved"),
    ({"headers": {"X-Ok": "a\r\nBcc: x@example.com"}}, "line breaks"),
    ({"attachments": [{"content": "***", "filename": "a.bin"}]}, "not valid base64"),
    ({"attachments": [{"content": "YQ=="}]}, "filename is required"),
    ({"attachments": [{"content": "YQ==", "filename": "a", "disposition": "x"}]},
     "disposition"),
    ({"template_uuid": str(uuid.uuid4())}, "'subject' is not allowed with 'template_uuid'"),
    ({"template_variables": {"a": 1}}, "'template_variables' needs 'template_uuid'"),
])
def test_send_validation_errors(server, change, needle):
    response = server.call("POST", "/api/send", json=message(**change))
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert any(needle in error for error in body["errors"]), body
    assert deliveries(server) == []


def test_too_large_message_is_413(server):
    big = base64.b64encode(b"\0" * (10 * 1024 * 1024)).decode()
    body = message(attachments=[{"content": big, "filename": "big.bin"}])
    response = server.call("POST", "/api/send", json=body)
    assert response.status_code == 413
    assert "too large" in response.json()["errors"][0]


# -- templates --------------------------------------------------------------------
def test_template_send_renders_placeholders(server):
    template = create_template(server)
    body = {"from": SENDER, "to": [{"email": "ann@example.com"}],
            "template_uuid": template["uuid"],
            "template_variables": {"user": {"name": "Ann & Bo"}, "count": 3, "raw": "<b>"}}
    response = server.call("POST", "/api/send", json=body)
    assert response.status_code == 200, response.text
    sent = deliveries(server)[0]["payload"]
    assert sent["subject"] == "Hi Ann & Bo"
    assert sent["text"] == "Hello Ann & Bo, you have 3 messages"
    assert sent["html"] == "<p>Ann &amp; Bo <b> </p>"
    assert sent["category"] == "welcome"


def test_flat_dotted_variable_names_win(server):
    template = create_template(server, subject="Hi {{user.name}}")
    body = {"from": SENDER, "to": [{"email": "ann@example.com"}],
            "template_uuid": template["uuid"],
            "template_variables": {"user.name": "Flat", "user": {"name": "Nested"}}}
    assert server.call("POST", "/api/send", json=body).status_code == 200
    assert deliveries(server)[0]["payload"]["subject"] == "Hi Flat"


def test_unknown_template_is_400(server):
    body = {"from": SENDER, "to": [{"email": "ann@example.com"}],
            "template_uuid": str(uuid.uuid4())}
    response = server.call("POST", "/api/send", json=body)
    assert response.status_code == 400
    assert "not found" in response.json()["errors"][0]


def test_templates_crud(server):
    created = create_template(server)
    assert uuid.UUID(created["uuid"])
    path = f"/api/email_templates/{created['id']}"
    assert [t["id"] for t in server.call("GET", "/api/email_templates").json()] == [created["id"]]
    assert server.call("GET", path).json()["name"] == "Welcome"
    changes = {"name": "Welcome", "category": "welcome", "subject": "New"}
    updated = server.call("PATCH", path, json={"email_template": changes})
    assert updated.status_code == 200
    assert updated.json()["subject"] == "New" and updated.json()["name"] == "Welcome"
    assert server.call("DELETE", path).status_code == 204
    assert server.call("GET", path).status_code == 404
    assert server.call("DELETE", path).json() == {"error": "Not Found"}


def test_template_create_requires_name_subject_category(server):
    response = server.call("POST", "/api/email_templates",
                           json={"email_template": {"body_text": "x"}})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"name", "subject", "category"}


# -- /api/batch -------------------------------------------------------------------
def test_batch_merges_base_and_answers_in_request_order(server):
    body = {"base": {"from": SENDER, "subject": "Base", "text": "Hello"},
            "requests": [
                {"to": [{"email": "a@example.com"}]},
                {"to": [{"email": "bad"}]},
                {"to": [{"email": "b@example.com"}], "subject": "Own"},
                {"subject": "No recipient"},
            ]}
    response = server.call("POST", "/api/batch", json=body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["success"] is True and answer["errors"] == []
    assert [r["success"] for r in answer["responses"]] == [True, False, True, False]
    assert "'to' address is invalid: bad" in answer["responses"][1]["errors"]
    rows = deliveries(server)
    assert [(r["recipient"], r["payload"]["subject"]) for r in rows] == [
        ("a@example.com", "Base"), ("b@example.com", "Own")]
    assert rows[0]["message_id"] == answer["responses"][0]["message_ids"][0]


def test_batch_limits(server):
    assert server.call("POST", "/api/batch", json={"requests": []}).json() == {
        "success": False, "errors": ["empty field: 'requests'"]}
    too_many = {"base": message(), "requests": [{}] * 501}
    response = server.call("POST", "/api/batch", json=too_many)
    assert response.status_code == 400
    assert "at most 500" in response.json()["errors"][0]
    assert deliveries(server) == []


def test_batch_of_500_on_bulk_is_one_write(server):
    requests = [{"to": [{"email": f"u{i}@example.com"}],
                 "custom_variables": {"row": str(i)}} for i in range(500)]
    response = server.call("POST", "/bulk/api/batch",
                           json={"base": message(to=None), "requests": requests})
    assert response.status_code == 200
    assert all(r["success"] for r in response.json()["responses"])
    assert server.call("GET", "/_local/deliveries/count",
                       params={"stream": "bulk"}).json()["count"] == 500
    assert deliveries(server, to="u499@example.com")[0]["payload"]["custom_variables"] == {
        "row": "499"}


# -- sandbox host -------------------------------------------------------------------
def stored(server, sandbox_id=1):
    rows = server.app.store.all("SELECT raw FROM messages WHERE sandbox_id = ? ORDER BY id",
                                (sandbox_id,))
    return [message_from_bytes(r["raw"], policy=policy.default) for r in rows]


def test_sandbox_send_stores_raw_mime(server):
    png = bytes(range(256)) * 4
    body = message(cc=[{"email": "c@example.com", "name": "Cé"}], html="<img src='cid:logo'>",
                   headers={"X-Trace": "42"}, category="qa",
                   custom_variables={"user_id": "7"},
                   attachments=[{"content": base64.b64encode(png).decode(), "filename": "l.png",
                                 "type": "image/png", "disposition": "inline",
                                 "content_id": "logo"}])
    response = server.call("POST", "/api/send/1", json=body)
    assert response.status_code == 200
    assert len(response.json()["message_ids"]) == 2
    [msg] = stored(server)
    assert msg["Subject"] == "Hi" and msg["X-Trace"] == "42"
    assert msg["X-MT-Category"] == "qa"
    assert msg["X-MT-Custom-Variables"] == '{"user_id":"7"}'
    assert "Cé <c@example.com>" in str(msg["Cc"])
    assert msg.get_body(("plain",)).get_content().strip() == "Hello"
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<logo>" and image.get_payload(decode=True) == png
    assert deliveries(server) == []


def test_sandbox_batch_and_missing_sandbox(server):
    body = {"base": message(to=None), "requests": [{"to": [{"email": "a@example.com"}]},
                                                   {"to": [{"email": "b@example.com"}]}]}
    assert server.call("POST", "/api/batch/1", json=body).status_code == 200
    assert len(stored(server)) == 2
    missing = server.call("POST", "/api/send/999", json=message())
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "errors": ["sandbox 999 not found"]}
    assert server.call("POST", "/api/batch/999", json=body).status_code == 404


def test_sending_needs_a_token(server):
    import requests

    response = requests.post(server.url + "/api/send", json=message(), timeout=5)
    assert response.status_code == 401
    assert deliveries(server) == []
