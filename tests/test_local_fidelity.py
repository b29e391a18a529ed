"""What the built-in server stores and reports, as upstream would: template sends,
to_name pairing, ids never reused, message size limits, `/_local` limits and reset."""

from __future__ import annotations

import base64

MESSAGE = {"from": {"email": "app@example.com"}, "to": [{"email": "ann@example.com"}],
           "subject": "s", "text": "t"}


def test_template_send_keeps_template_id_and_variables(server):
    template = server.call("POST", "/api/email_templates", json={"email_template": {
        "name": "Welcome", "subject": "Hi {{name}}", "category": "onboarding",
        "body_text": "Hello {{name}}"}}).json()
    sent = server.call("POST", "/api/send/1", json={
        "from": {"email": "app@example.com"}, "to": [{"email": "ann@example.com"}],
        "template_uuid": template["uuid"], "template_variables": {"name": "Ann"}})
    assert sent.status_code == 200, sent.text
    server.call("POST", "/api/send/1", json=MESSAGE)
    plain, templated = server.call("GET", "/api/sandboxes/1/messages").json()
    assert templated["template_id"] == template["id"]
    assert templated["template_variables"] == {"name": "Ann"}
    assert templated["subject"] == "Hi Ann"
    assert plain["template_id"] == 0 and plain["template_variables"] is None


def test_to_name_pairs_with_to_email(server):
    server.call("POST", "/api/send/1", json={**MESSAGE, "to": [
        {"email": "a@example.com"}, {"email": "b@example.com", "name": "Bee"},
        {"email": "c@example.com", "name": "Cee"}]})
    [message] = server.call("GET", "/api/sandboxes/1/messages").json()
    assert message["to_email"] == "a@example.com, b@example.com, c@example.com"
    assert message["to_name"].split(", ") == ["", "Bee", "Cee"]


def test_to_name_empty_when_no_names(server):
    server.call("POST", "/api/send/1", json={**MESSAGE, "to": [
        {"email": "a@example.com"}, {"email": "b@example.com"}]})
    [message] = server.call("GET", "/api/sandboxes/1/messages").json()
    assert message["to_name"] == ""


def test_ids_of_deleted_projects_and_sandboxes_are_never_reused(server):
    project = server.call("POST", "/api/projects", json={"project": {"name": "P2"}}).json()
    box = server.call("POST", f"/api/projects/{project['id']}/sandboxes",
                      json={"sandbox": {"name": "S2"}}).json()
    assert server.call("DELETE", f"/api/projects/{project['id']}").status_code == 200
    assert server.call("GET", f"/api/sandboxes/{box['id']}").status_code == 404
    again = server.call("POST", "/api/projects", json={"project": {"name": "P3"}}).json()
    box2 = server.call("POST", f"/api/projects/{again['id']}/sandboxes",
                       json={"sandbox": {"name": "S3"}}).json()
    assert again["id"] > project["id"] and box2["id"] > box["id"]
    assert server.call("GET", f"/api/projects/{project['id']}").status_code == 404


def test_ids_not_reused_across_restarts_of_a_file_database(tmp_path):
    from mailtrap_cli.local.app import LocalApp
    from mailtrap_cli.local.router import Request

    db = str(tmp_path / "ids.sqlite3")

    def call(app, method, path, body=b""):
        req = Request.build(method, path, {"Authorization": "Bearer x"}, body)
        return app.handle(req)

    app = LocalApp(db)
    import json

    created = json.loads(call(app, "POST", "/api/projects",
                              b'{"project": {"name": "Gone"}}').body)
    call(app, "DELETE", f"/api/projects/{created['id']}")
    app.close()
    app = LocalApp(db)
    again = json.loads(call(app, "POST", "/api/projects", b'{"project": {"name": "New"}}').body)
    app.close()
    assert again["id"] == created["id"] + 1


def _ten_mb_message() -> dict:
    payload = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    return {**MESSAGE, "attachments": [{"content": base64.b64encode(payload).decode(),
                                        "filename": "big.bin"}]}


def test_ten_mb_attachment_storable_once_the_limit_is_raised(server):
    message = _ten_mb_message()
    refused = server.call("POST", "/api/send/1", json=message)
    assert refused.status_code == 413
    raised = server.call("POST", "/_local/config", json={"max_message_size": 25 * 1024 * 1024})
    assert raised.json()["max_message_size"] == 25 * 1024 * 1024
    assert server.call("GET", "/api/sandboxes/1").json()["max_message_size"] == 25 * 1024 * 1024
    stored = server.call("POST", "/api/send/1", json=message)
    assert stored.status_code == 200, stored.text[:300]
    [row] = server.call("GET", "/api/sandboxes/1/messages").json()
    [attachment] = server.call(
        "GET", f"/api/sandboxes/1/messages/{row['id']}/attachments").json()
    assert attachment["attachment_size"] == 10 * 1024 * 1024
    body = server.call("GET", attachment["download_path"]).content
    assert len(body) == 10 * 1024 * 1024


def test_local_sandbox_limit_and_its_errors(server):
    r = server.call("PATCH", "/_local/sandboxes/1", json={"max_message_size": 100})
    assert r.json() == {"id": 1, "max_message_size": 100, "max_size": 0}
    assert server.call("POST", "/api/send/1", json={**MESSAGE, "text": "x" * 200}
                       ).status_code == 413
    assert server.call("PATCH", "/_local/sandboxes/99",
                       json={"max_message_size": 100}).status_code == 404
    for bad in (0, -1, "10", True, 2**40):
        assert server.call("PATCH", "/_local/sandboxes/1",
                           json={"max_message_size": bad}).status_code == 422
    assert server.call("POST", "/_local/config",
                       json={"max_message_size": "big"}).status_code == 422


def test_reset_empties_and_reseeds(server):
    server.call("POST", "/api/projects", json={"project": {"name": "Extra"}})
    server.call("POST", "/api/send/1", json=MESSAGE)
    assert server.call("POST", "/_local/reset").json()["ok"] is True
    assert server.requests() == []
    assert [p["id"] for p in server.call("GET", "/api/projects").json()] == [1]
    assert server.call("GET", "/api/sandboxes/1/messages").json() == []
    box = server.call("GET", "/api/sandboxes/1").json()
    assert box["username"] == "local-sandbox-1"


def test_a_full_sandbox_drops_its_oldest_messages(server):
    r = server.call("PATCH", "/_local/sandboxes/1", json={"max_size": 2})
    assert r.json()["max_size"] == 2
    for n in range(4):
        server.call("POST", "/api/send/1", json={**MESSAGE, "subject": f"m{n}"})
    kept = server.call("GET", "/api/sandboxes/1/messages").json()
    assert [m["subject"] for m in kept] == ["m3", "m2"]
    box = server.call("GET", "/api/sandboxes/1").json()
    assert box["max_size"] == 2 and box["sent_messages_count"] == 4
    for bad in (-1, "2", 10**7):
        assert server.call("PATCH", "/_local/sandboxes/1",
                           json={"max_size": bad}).status_code == 422
