"""`sandbox sandboxes` edges: email-username reset, the name length in help."""

from __future__ import annotations


def test_email_username_reset_gives_a_new_username_and_dry_run_sends_nothing(cli, server):
    before = cli("sandbox", "sandboxes", "get", "1", "-o", "json").json()["email_username"]
    dry = cli("sandbox", "sandboxes", "email-username", "reset", "1", "--dry-run")
    assert dry.code == 0 and "reset_email_username" in dry.stdout
    assert server.requests(path="/api/sandboxes/1/reset_email_username") == []
    result = cli("sandbox", "sandboxes", "email-username", "reset", "1", "-o", "json")
    assert result.code == 0, result
    assert result.json()["email_username"] != before
    assert result.json()["password"] == "********"
    missing = cli("sandbox", "sandboxes", "email-username", "reset", "999")
    assert missing.code == 5


def test_sandboxes_create_help_states_the_name_length_it_enforces(cli, server):
    help_text = cli("sandbox", "sandboxes", "create", "--help").stdout
    assert "1-100 characters" in help_text
    assert cli("sandbox", "sandboxes", "create", "Q", "--project", "1").code == 0
    too_long = cli("sandbox", "sandboxes", "create", "x" * 101, "--project", "1")
    assert too_long.code == 2 and "1-100 characters" in too_long.stderr

