"""`mailtrap sandbox sandboxes ...` against the built-in server."""

from __future__ import annotations

import pytest

from mailtrap_cli.local.mailstore import store_message

MASK = "********"
# TestingSandbox in sandbox.openapi.yml: every field the API answers.
SANDBOX_FIELDS = {
    "id", "name", "username", "password", "max_size", "status", "email_username",
    "email_username_enabled", "sent_messages_count", "forwarded_messages_count", "used",
    "forward_from_email_address", "project_id", "domain", "pop3_domain", "email_domain",
    "api_domain", "emails_count", "emails_unread_count", "last_message_sent_at", "smtp_ports",
    "pop3_ports", "max_message_size", "permissions",
}
RAW = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hello\r\n\r\nbody\r\n"


def _messages(server, sandbox_id: int = 1) -> int:
    return server.app.store.one("SELECT COUNT(*) AS n FROM messages WHERE sandbox_id = ?",
                                (sandbox_id,))["n"]


def _sandbox_row(server, sandbox_id: int = 1) -> dict:
    return server.app.store.one("SELECT * FROM sandboxes WHERE id = ?", (sandbox_id,))


def _patches(server, sandbox_id: int = 1) -> list[dict]:
    return server.requests(path=f"/api/sandboxes/{sandbox_id}", method="PATCH")


def test_list_has_every_field_and_masks_passwords(cli):
    result = cli("sandbox", "sandboxes", "list", "-o", "json")
    assert result.code == 0, result
    [sandbox] = result.json()
    assert set(sandbox) == SANDBOX_FIELDS
    assert sandbox["password"] == MASK
    assert sandbox["username"] == "local-sandbox-1"
    # no SMTP listener on this server: none is reported (not Mailtrap's own host,
    # which would never see the mail)
    assert sandbox["domain"] == "127.0.0.1"
    assert sandbox["smtp_ports"] == []
    assert "masked" in result.stderr and "--show-password" in result.stderr


def test_list_filters_by_project_and_limits(cli):
    assert cli("sandbox", "projects", "create", "Other").code == 0
    assert cli("sandbox", "sandboxes", "create", "B", "--project", "2").code == 0
    assert cli("sandbox", "sandboxes", "create", "C", "--project", "2").code == 0
    everything = cli("sandbox", "sandboxes", "list", "--all", "-o", "json").json()
    assert [s["id"] for s in everything] == [1, 2, 3]
    only = cli("sandbox", "sandboxes", "list", "--project", "2", "-o", "json").json()
    assert [s["id"] for s in only] == [2, 3]
    first = cli("sandbox", "sandboxes", "list", "-L", "1", "-o", "jsonl").jsonl()
    assert [s["id"] for s in first] == [1]
    table = cli("sandbox", "sandboxes", "list", "-o", "tsv")
    assert table.stdout.splitlines()[0].split("\t") == [
        "id", "name", "project", "username", "emails", "unread", "status"]


def test_get_defaults_to_the_profile_sandbox(cli):
    result = cli("sandbox", "sandboxes", "get", "-o", "json")
    assert result.code == 0, result
    sandbox = result.json()
    assert sandbox["id"] == 1 and set(sandbox) == SANDBOX_FIELDS
    assert sandbox["password"] == MASK
    by_env = cli("sandbox", "sandboxes", "get", "-o", "json",
                 env={"MAILTRAP_SANDBOX_ID": "999"})
    assert by_env.code == 5


def test_get_show_password(cli):
    result = cli("sandbox", "sandboxes", "get", "1", "--show-password", "-o", "json")
    assert result.code == 0
    assert result.json()["password"] == "local-password-1"
    assert "masked" not in result.stderr


def test_get_table_never_shows_the_password(cli):
    result = cli("sandbox", "sandboxes", "get", "1", "-o", "table")
    assert result.code == 0
    assert "local-password-1" not in result.stdout
    assert MASK in result.stdout and "local-sandbox-1" in result.stdout


def test_get_unknown_sandbox_is_exit_5(cli):
    result = cli("sandbox", "sandboxes", "get", "4242")
    assert result.code == 5
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_get_needs_an_id_without_a_default(cli):
    result = cli("sandbox", "sandboxes", "get",
                 env={"MAILTRAP_PROFILE": "", "MAILTRAP_API_TOKEN": "t0k"})
    assert result.code == 2
    assert "sandbox id" in result.stderr and "SANDBOX_ID" in result.stderr


def test_create_in_a_project(cli, server):
    result = cli("sandbox", "sandboxes", "create", "QA box", "--project", "1", "-o", "json")
    assert result.code == 0, result
    created = result.json()
    assert set(created) == SANDBOX_FIELDS
    assert created["name"] == "QA box" and created["project_id"] == 1
    assert created["password"] == MASK
    row = _sandbox_row(server, created["id"])
    assert len(row["username"]) == 14 and row["password"] != "local-password-1"
    [request] = server.requests(path="/api/projects/1/sandboxes", method="POST")
    assert request["status"] == 200


def test_create_defaults_to_the_profile_project(cli, server):
    result = cli("sandbox", "sandboxes", "create", "Defaulted", "-o", "json")
    assert result.code == 0, result
    assert result.json()["project_id"] == 1


def test_create_without_a_project_is_a_usage_error(cli, server):
    result = cli("sandbox", "sandboxes", "create", "Nowhere",
                 env={"MAILTRAP_PROFILE": "", "MAILTRAP_API_TOKEN": "t0k"})
    assert result.code == 2
    assert "--project" in result.stderr
    assert server.requests(path="/api/projects") == []


def test_create_in_an_unknown_project_is_exit_5(cli):
    result = cli("sandbox", "sandboxes", "create", "Lost", "--project", "77")
    assert result.code == 5


def test_create_dry_run_sends_nothing(cli, server):
    result = cli("sandbox", "sandboxes", "create", "Dry", "--project", "1", "--dry-run",
                 "-o", "json")
    assert result.code == 0, result
    assert result.json()["url"] == server.url + "/api/projects/1/sandboxes"
    assert result.json()["body"] == {"sandbox": {"name": "Dry"}}
    assert server.requests(path="/api/projects") == []


def test_update_name_and_email_username(cli, server):
    result = cli("sandbox", "sandboxes", "update", "1", "--name", "Renamed",
                 "--email-username", "my-box", "-o", "json")
    assert result.code == 0, result
    assert result.json()["name"] == "Renamed"
    assert result.json()["email_username"] == "my-box"
    assert _sandbox_row(server)["name"] == "Renamed"


def test_update_needs_a_field(cli, server):
    result = cli("sandbox", "sandboxes", "update", "1")
    assert result.code == 2
    assert "nothing to update" in result.stderr
    assert server.requests(path="/api/sandboxes") == []


def test_update_taken_email_username_is_an_api_error(cli):
    assert cli("sandbox", "sandboxes", "create", "Second").code == 0
    result = cli("sandbox", "sandboxes", "update", "2", "--email-username", "local-1")
    assert result.code == 1
    assert "already been taken" in result.stderr


def test_update_unknown_and_dry_run(cli, server):
    assert cli("sandbox", "sandboxes", "update", "404", "--name", "Nope").code == 5
    dry = cli("sandbox", "sandboxes", "update", "1", "--name", "Dry", "--dry-run", "-o", "json")
    assert dry.code == 0
    assert dry.json()["body"] == {"sandbox": {"name": "Dry"}}
    assert _patches(server) == []
    assert _sandbox_row(server)["name"] == "Local sandbox"


def test_delete_requires_yes(cli, server):
    result = cli("sandbox", "sandboxes", "delete", "1")
    assert result.code == 3
    assert "--yes" in result.stderr and result.stdout == ""
    assert server.requests(path="/api/sandboxes") == []
    assert _sandbox_row(server) is not None


def test_delete_with_yes(cli, server):
    store_message(server.app.store, 1, RAW)
    result = cli("sandbox", "sandboxes", "delete", "1", "--yes", "-o", "json")
    assert result.code == 0, result
    assert result.json()["id"] == 1 and result.json()["password"] == MASK
    assert _sandbox_row(server) is None and _messages(server) == 0
    assert cli("sandbox", "sandboxes", "delete", "1", "--yes").code == 5


def test_delete_dry_run(cli, server):
    result = cli("sandbox", "sandboxes", "delete", "1", "--dry-run", "-o", "json")
    assert result.code == 0
    assert result.json()["method"] == "DELETE"
    assert server.requests(path="/api/sandboxes") == []


def test_clean_asks_then_deletes_every_message(cli, server):
    for _ in range(3):
        store_message(server.app.store, 1, RAW)
    refused = cli("sandbox", "sandboxes", "clean", "1")
    assert refused.code == 3
    assert _messages(server) == 3
    dry = cli("sandbox", "sandboxes", "clean", "--dry-run", "-o", "json")
    assert dry.code == 0 and dry.json()["url"].endswith("/api/sandboxes/1/clean")
    assert server.requests(path="/api/sandboxes") == []
    result = cli("sandbox", "sandboxes", "clean", "--yes", "-o", "json")
    assert result.code == 0, result
    assert result.json()["emails_count"] == 0
    assert result.json()["sent_messages_count"] == 3
    assert _messages(server) == 0
    assert cli("sandbox", "sandboxes", "clean", "31", "--yes").code == 5


def test_mark_read(cli, server):
    store_message(server.app.store, 1, RAW)
    store_message(server.app.store, 1, RAW)
    before = cli("sandbox", "sandboxes", "get", "-o", "json").json()
    assert before["emails_unread_count"] == 2 and before["used"] is True
    assert before["last_message_sent_at"]
    dry = cli("sandbox", "sandboxes", "mark-read", "--dry-run", "-o", "json")
    assert dry.json()["url"].endswith("/api/sandboxes/1/all_read")
    result = cli("sandbox", "sandboxes", "mark-read", "-o", "json")
    assert result.code == 0, result
    assert result.json()["emails_unread_count"] == 0
    assert result.json()["emails_count"] == 2
    assert len(server.requests(path="/api/sandboxes/1/all_read")) == 1
    assert cli("sandbox", "sandboxes", "mark-read", "9").code == 5


def test_reset_credentials(cli, server):
    old = _sandbox_row(server)
    assert cli("sandbox", "sandboxes", "reset-credentials").code == 3
    assert _sandbox_row(server)["password"] == old["password"]
    result = cli("sandbox", "sandboxes", "reset-credentials", "--yes", "-o", "json")
    assert result.code == 0, result
    new = _sandbox_row(server)
    assert new["username"] != old["username"] and new["password"] != old["password"]
    assert result.json()["username"] == new["username"]
    assert result.json()["password"] == MASK
    shown = cli("sandbox", "sandboxes", "reset-credentials", "--yes", "--show-password",
                "-o", "json")
    assert shown.json()["password"] == _sandbox_row(server)["password"]


def test_email_username_enable_disable_are_idempotent(cli, server):
    enabled = cli("sandbox", "sandboxes", "email-username", "enable", "-o", "json")
    assert enabled.code == 0, enabled
    assert enabled.json()["email_username_enabled"] is True
    again = cli("sandbox", "sandboxes", "email-username", "enable", "1", "-o", "json")
    assert again.code == 0
    assert again.json()["email_username_enabled"] is True
    assert "already enabled" in again.stderr
    assert len(server.requests(path="/api/sandboxes/1/toggle_email_username")) == 1
    disabled = cli("sandbox", "sandboxes", "email-username", "disable", "1", "-o", "json")
    assert disabled.json()["email_username_enabled"] is False
    assert len(server.requests(path="/api/sandboxes/1/toggle_email_username")) == 2


def test_email_username_reset_and_dry_run(cli, server):
    result = cli("sandbox", "sandboxes", "email-username", "reset", "1", "-o", "json")
    assert result.code == 0, result
    assert result.json()["email_username"] != "local-1"
    assert _sandbox_row(server)["email_username"] == result.json()["email_username"]
    dry = cli("sandbox", "sandboxes", "email-username", "enable", "--dry-run", "-o", "json")
    assert dry.code == 0
    assert dry.json()["url"].endswith("/api/sandboxes/1/toggle_email_username")
    assert server.requests(path="/api/sandboxes/1/toggle_email_username") == []
    assert server.requests(path="/api/sandboxes/1", method="GET") == []


@pytest.mark.parametrize("args", [["email-username", "flip"], ["get", "abc"], ["get", "0"]])
def test_bad_input_is_a_usage_error(cli, server, args):
    result = cli("sandbox", "sandboxes", *args)
    assert result.code == 2
    assert result.stderr.startswith("error: ")
    assert server.requests(path="/api/sandboxes") == []


def test_email_username_unknown_sandbox(cli):
    assert cli("sandbox", "sandboxes", "email-username", "enable", "55").code == 5
    assert cli("sandbox", "sandboxes", "email-username", "reset", "55").code == 5
