"""`mailtrap account ...` against the built-in server; token values stay out of sight."""

from __future__ import annotations

import os
import stat


def test_accounts_and_use(cli, isolated):
    result = cli("account", "accounts", "-o", "json")
    assert result.code == 0 and result.json()[0]["id"] == 1
    used = cli("account", "accounts", "--use", "1")
    assert used.code == 0 and "account_id = 1" in used.stderr
    assert "account_id = 1" in (isolated / "config" / "config.toml").read_text()
    cli("account", "accounts", "--use", "999").assert_clean_error(2)


def test_token_value_shown_once_with_a_warning_and_never_in_debug(cli, server):
    created = cli("account", "tokens", "create", "CI", "-o", "json", "--debug")
    assert created.code == 0, created
    value = created.json()["token"]
    assert len(value) >= 32 and created.stdout.count(value) == 1
    assert value not in created.stderr              # --debug lines redact it
    assert '"token": "***"' in created.stderr
    assert "only time" in created.stderr
    token_id = created.json()["id"]
    for args in (("list",), ("get", str(token_id))):
        shown = cli("account", "tokens", *args, "-o", "json", "--debug")
        assert shown.code == 0 and value not in shown.stdout + shown.stderr
    table = cli("account", "tokens", "list", "-o", "table")
    assert f"…{value[-4:]}" in table.stdout and value not in table.stdout


def test_token_save_as_profile_is_never_printed(cli, server, isolated):
    result = cli("account", "tokens", "create", "deploy", "--save-as", "deploy", "-o", "json")
    assert result.code == 0, result
    assert "token" not in result.json()
    path = isolated / "config" / "config.toml"
    text = path.read_text()
    assert "[profiles.deploy]" in text
    value = text.split("token = \"", 1)[1].split("\"", 1)[0]
    assert value not in result.stdout + result.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = cli("account", "tokens", "create", "x", "--save-as", "deploy")
    again.assert_clean_error(2)                        # does not overwrite a token
    assert server.requests(path="/api/api_tokens", method="POST").__len__() == 1


def test_token_reset_and_delete(cli, server):
    token_id = cli("account", "tokens", "create", "CI", "-o", "json").json()["id"]
    cli("account", "tokens", "reset", str(token_id)).assert_clean_error(3)
    reset = cli("account", "tokens", "reset", str(token_id), "--yes", "-o", "json")
    assert reset.code == 0 and reset.json()["token"] and reset.json()["id"] != token_id
    assert cli("account", "tokens", "reset", str(token_id), "--yes").code == 1
    dry = cli("account", "tokens", "delete", str(token_id), "--dry-run")
    assert dry.code == 0 and '"DELETE"' in dry.stdout
    assert cli("account", "tokens", "delete", str(token_id), "--yes").code == 0
    cli("account", "tokens", "get", str(token_id)).assert_clean_error(5)
    cli("account", "tokens", "create", "x", "--grant", "billing:1=admin").assert_clean_error(2)


def test_access_and_permissions(cli, server):
    listed = cli("account", "access", "list", "-o", "json").json()
    assert [a["specifier_type"] for a in listed] == ["User", "Invite"]
    changed = cli("account", "permissions", "set", "2", "--grant", "sandbox:1=admin",
                  "--revoke", "account:1", "--yes")
    assert changed.code == 0, changed
    assert "sandbox:1: - -> admin" in changed.stderr and "account:1: viewer -> -" in changed.stderr
    after = cli("account", "access", "list", "-o", "json").json()[1]["resources"]
    assert after == [{"resource_id": 1, "resource_type": "sandbox", "access_level": 100}]
    refused = cli("account", "permissions", "set", "2", "--grant", "sandbox:1=viewer")
    assert refused.code == 3 and "sandbox:1: admin -> viewer" in refused.stderr  # shown first
    assert "refused without --yes" in refused.stderr
    assert len(server.requests(path="/api/account_accesses/2/permissions", method="PUT")) == 1
    cli("account", "permissions", "set", "2", "--grant", "nope:1=admin").assert_clean_error(2)
    cli("account", "permissions", "set", "99", "--grant", "sandbox:1=admin",
        "--yes").assert_clean_error(5)
    tree = cli("account", "permissions", "resources", "-o", "table")
    assert "Local sandbox" in tree.stdout and "  Local project" in tree.stdout
    cli("account", "access", "remove", "2").assert_clean_error(3)
    assert cli("account", "access", "remove", "2", "--yes").code == 0


def test_billing_warns_near_the_limit(cli, server):
    server.call("POST", "/_local/billing", json={"sending": ["Tiny", 2]})
    cli("send", "email", "--from", "a@example.com", "--to", "b@example.com", "--to",
        "c@example.com", "--subject", "s", "--text", "t")
    result = cli("account", "billing", "-o", "table")
    assert result.code == 0
    assert "sending sent messages: 100% of the plan's 2 used" in result.stderr
    assert "100%" in result.stdout


def test_sub_accounts(cli, server):
    created = cli("account", "sub-accounts", "create", "QA", "--organization", "1", "-o",
                  "json")
    assert created.code == 0 and created.json()["name"] == "QA"
    listed = cli("account", "sub-accounts", "list", "--organization", "1", "-o", "json")
    assert listed.json() == [created.json()]
    cli("account", "sub-accounts", "list", "--organization", "5").assert_clean_error(4)
