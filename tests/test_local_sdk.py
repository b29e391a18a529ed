"""The official Python SDK (`mailtrap`, a test-only dependency) against the built-in
server: its sandbox, projects, messages, attachments, templates and accounts calls
use the account-scoped paths and the old names (`inbox`, `inbox_id`, a project's
`inboxes`), which local/compat.py maps onto the current routes.

The SDK always builds `https://{host}/...` and hard-codes `mailtrap.io` for
everything but sending; these tests point that host at the server (as an app's
test set-up would) and, for plain HTTP, swap the scheme.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

mailtrap = pytest.importorskip("mailtrap")

ACCOUNT_ID = 424242   # any account id is accepted: an app's production id works too


def _point_sdk_at(monkeypatch: pytest.MonkeyPatch, hostport: str, scheme: str) -> None:
    import mailtrap.client
    import mailtrap.http

    monkeypatch.setattr(mailtrap.client, "GENERAL_HOST", hostport)
    if scheme == "http":
        monkeypatch.setattr(mailtrap.http.HttpClient, "_url",
                            lambda self, path: f"http://{self._host}/{path.lstrip('/')}")


@pytest.fixture
def sdk(server, monkeypatch):
    """A MailtrapClient whose general API talks to `server` over plain HTTP."""
    hostport = server.url.split("://", 1)[1]
    _point_sdk_at(monkeypatch, hostport, "http")
    return mailtrap.MailtrapClient(token="any-token", account_id=str(ACCOUNT_ID))


def _sandbox_sender(hostport: str, inbox_id: int) -> Any:
    return mailtrap.MailtrapClient(token="any-token", sandbox=True, inbox_id=str(inbox_id),
                                   api_host=hostport)


def _send_with_attachment(client: Any, payload: bytes, subject: str = "Report") -> Any:
    mail = mailtrap.Mail(
        sender=mailtrap.Address(email="app@example.com", name="App"),
        to=[mailtrap.Address(email="ann@example.com", name="Ann"),
            mailtrap.Address(email="bob@example.com")],
        subject=subject,
        text="Hello Ann",
        html="<p>Hello <b>Ann</b></p>",
        attachments=[mailtrap.Attachment(content=base64.b64encode(payload),
                                         filename="report.csv", mime_type="text/csv")],
    )
    return client.send(mail)


def exercise_sdk(client: Any, hostport: str) -> None:
    """Every sandbox / projects / messages / attachments / templates / accounts call."""
    from mailtrap.models.inboxes import CreateInboxParams, UpdateInboxParams
    from mailtrap.models.messages import UpdateEmailMessageParams
    from mailtrap.models.projects import ProjectParams
    from mailtrap.models.templates import (
        CreateEmailTemplateParams,
        UpdateEmailTemplateParams,
    )

    testing = client.testing_api
    # projects
    project = testing.projects.create(ProjectParams(name="CI project"))
    assert project.name == "CI project" and project.inboxes == []
    renamed = testing.projects.update(project.id, ProjectParams(name="CI project 2"))
    assert renamed.name == "CI project 2"
    assert project.id in [p.id for p in testing.projects.get_list()]
    # inboxes (sandboxes)
    inbox = testing.inboxes.create(project.id, CreateInboxParams(name="CI inbox"))
    assert inbox.project_id == project.id and inbox.password
    assert [i.id for i in testing.projects.get_by_id(project.id).inboxes] == [inbox.id]
    assert testing.inboxes.get_by_id(inbox.id).name == "CI inbox"
    assert testing.inboxes.update(inbox.id, UpdateInboxParams(name="Renamed")).name == "Renamed"
    assert inbox.id in [i.id for i in testing.inboxes.get_list()]
    # a message with an attachment, sent through the SDK's sandbox sending
    sent = _send_with_attachment(_sandbox_sender(hostport, inbox.id), b"a,b\n1,2\n")
    assert sent["success"] is True
    [message] = testing.messages.get_list(inbox.id)
    assert message.inbox_id == inbox.id and message.subject == "Report"
    assert testing.messages.get_list(inbox.id, search="nothing-like-this") == []
    shown = testing.messages.show_message(inbox.id, message.id)
    assert shown.to_email == message.to_email and shown.is_read is False
    assert testing.messages.update(inbox.id, message.id,
                                   UpdateEmailMessageParams(is_read=True)).is_read is True
    assert "Hello Ann" in testing.messages.get_text_message(inbox.id, message.id)
    assert "<b>Ann</b>" in testing.messages.get_html_message(inbox.id, message.id)
    assert "<b>Ann</b>" in testing.messages.get_html_source(inbox.id, message.id)
    assert "Subject: Report" in testing.messages.get_raw_message(inbox.id, message.id)
    assert "Subject: Report" in testing.messages.get_message_as_eml(inbox.id, message.id)
    assert testing.messages.get_mail_headers(inbox.id, message.id)["subject"] == "Report"
    assert testing.messages.get_spam_report(inbox.id, message.id).score >= 0
    assert testing.messages.get_html_analysis(inbox.id, message.id).status
    forwarded = testing.messages.forward(inbox.id, message.id, "qa@example.com")
    assert "forwarded" in forwarded.message
    # attachments
    [attachment] = testing.attachments.get_list(inbox.id, message.id)
    assert attachment.filename == "report.csv" and attachment.attachment_size == 8
    again = testing.attachments.get(inbox.id, message.id, attachment.id)
    assert again.download_path == attachment.download_path
    assert again.created_at == shown.created_at        # the message's arrival
    # inbox actions
    assert testing.inboxes.mark_as_read(inbox.id).emails_unread_count == 0
    old_password = testing.inboxes.get_by_id(inbox.id).password
    assert testing.inboxes.reset_credentials(inbox.id).password != old_password
    assert testing.inboxes.enable_email_address(inbox.id).email_username_enabled is True
    assert testing.inboxes.reset_email_username(inbox.id).email_username
    deleted = testing.messages.delete(inbox.id, message.id)
    assert deleted.id == message.id
    assert testing.inboxes.clean(inbox.id).emails_count == 0
    assert testing.inboxes.delete(inbox.id).id == inbox.id
    assert testing.projects.delete(project.id).id == project.id
    # templates
    templates = client.email_templates_api.templates
    template = templates.create(CreateEmailTemplateParams(
        name="Welcome", subject="Hi {{name}}", category="onboarding",
        body_text="Hello {{name}}"))
    assert template.uuid and template.subject == "Hi {{name}}"
    assert [t.id for t in templates.get_list()] == [template.id]
    assert templates.get_by_id(template.id).name == "Welcome"
    # (the spec's PATCH body requires name, subject and category, as for create)
    changed = templates.update(template.id, UpdateEmailTemplateParams(
        name="Welcome 2", subject="Hi {{name}}", category="onboarding"))
    assert changed.name == "Welcome 2"
    templates.delete(template.id)
    assert templates.get_list() == []
    # accounts
    [account] = client.general_api.accounts.get_list()
    assert account.id and account.access_levels


def test_sdk_calls_over_http(server, sdk):
    exercise_sdk(sdk, server.url.split("://", 1)[1])


def test_sdk_errors_are_the_api_errors(server, sdk):
    from mailtrap.exceptions import APIError
    from mailtrap.models.projects import ProjectParams

    testing = sdk.testing_api
    with pytest.raises(APIError) as missing:
        testing.inboxes.get_by_id(999_999)
    assert missing.value.status == 404
    with pytest.raises(APIError) as invalid:
        testing.projects.create(ProjectParams(name="x"))
    assert invalid.value.status == 422 and "name" in str(invalid.value)


def test_both_spellings_in_scoped_answers_and_either_wrapper(server):
    scoped = server.call("GET", f"/api/accounts/{ACCOUNT_ID}/projects").json()
    assert scoped[0]["inboxes"] == scoped[0]["sandboxes"]
    created = server.call("POST", "/api/accounts/1/projects/1/inboxes",
                          json={"sandbox": {"name": "New wrapper"}})
    assert created.status_code == 200 and created.json()["name"] == "New wrapper"
    sent = server.call("POST", "/api/send/1", json={
        "from": {"email": "a@example.com"}, "to": [{"email": "b@example.com"}],
        "subject": "s", "text": "t"})
    assert sent.status_code == 200
    [message] = server.call("GET", "/api/accounts/1/inboxes/1/messages").json()
    assert message["inbox_id"] == message["sandbox_id"] == 1
    # the current family answers as the spec says, without the old names
    current = server.call("GET", "/api/sandboxes/1/messages").json()
    assert "inbox_id" not in current[0]
    assert "inboxes" not in server.call("GET", "/api/projects").json()[0]


def test_scoped_paths_log_as_sent_and_unknown_ones_are_404(server):
    assert server.call("GET", "/api/accounts/1/nowhere").status_code == 404
    assert server.call("GET", "/api/accounts/1/inboxes").status_code == 200
    logged = server.requests(path="/api/accounts/1/inboxes")
    assert [entry["status"] for entry in logged] == [200]


def _scoped(path: str) -> str:
    rest = path[len("/api"):]
    rest = re.sub(r"^/sandboxes(?=/|$)", "/inboxes", rest)
    rest = re.sub(r"^/domains(?=/|$)", "/sending_domains", rest)
    rest = re.sub(r"^/projects/(\d+)/sandboxes", r"/projects/\1/inboxes", rest)
    return f"/api/accounts/{ACCOUNT_ID}{rest}"


def test_every_get_route_answers_at_both_families(server):
    """Whatever route modules exist, each GET answers the same at the scoped path,
    plus the old spellings: nobody has to register the SDKs' paths."""
    from mailtrap_cli.local.compat import with_old_names

    template = server.call("POST", "/api/email_templates", json={"email_template": {
        "name": "T", "subject": "S", "category": "c", "body_text": "x"}})
    assert template.status_code in (200, 201)
    server.call("POST", "/api/send/1", json={
        "from": {"email": "a@example.com"}, "to": [{"email": "b@example.com"}],
        "subject": "s", "text": "t", "html": "<p>t</p>",
        "attachments": [{"content": base64.b64encode(b"hi").decode(), "filename": "a.txt"}]})
    checked = 0
    for method, pattern in server.app.router.templates:
        if method != "GET" or not pattern.startswith("/api/") \
                or pattern.startswith(("/api/accounts", "/api/send", "/api/batch")):
            continue
        path = re.sub(r"\{\w+(:\w+)?\}", "1", pattern).replace("\\.", ".")
        current = server.call("GET", path)
        scoped = server.call("GET", _scoped(path))
        assert scoped.status_code == current.status_code, (path, scoped.text[:200])
        if "json" in current.headers.get("Content-Type", "") and current.content:
            assert scoped.json() == with_old_names(current.json()), path
        else:
            assert scoped.content == current.content, path
        checked += 1
    assert checked >= 20


def test_faults_and_the_request_log_match_either_spelling(server):
    server.fault(status=503, path="/api/sandboxes/1/messages", count=1)
    assert server.call("GET", "/api/accounts/1/inboxes/1/messages").status_code == 503
    assert server.call("GET", "/api/accounts/1/inboxes/1/messages").status_code == 200
    logged = server.requests(path="/api/sandboxes/1/messages")
    assert [e["path"] for e in logged] == ["/api/accounts/1/inboxes/1/messages"] * 2
    assert logged[0]["current_path"] == "/api/sandboxes/1/messages"
