"""The skeleton end to end: version, help, the server answering over HTTP."""

from __future__ import annotations


def test_version(cli_raw):
    result = cli_raw("--version")
    assert result.code == 0
    assert result.stdout.startswith("mailtrap-cli ")


def test_unknown_command_is_usage_error(cli_raw):
    result = cli_raw("nope")
    assert result.code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_server_lists_accounts(server):
    response = server.call("GET", "/api/accounts")
    assert response.status_code == 200
    assert response.json()[0]["id"] == 1


def test_server_rejects_missing_token(server):
    import requests

    response = requests.get(server.url + "/api/accounts", timeout=5)
    assert response.status_code == 401
    assert response.json() == {"error": "Incorrect API token"}
