"""The token never shows, even when the API quotes it back: in an error body, in a
header of its answer, with or without --debug."""

from __future__ import annotations

import pytest

SECRET = "echoed-secret-0123456789abcdef"
ACCOUNTS = "/api/accounts"


@pytest.fixture
def token_env(server):
    return {"MAILTRAP_API_TOKEN": SECRET}


def _hidden(result) -> None:
    """(--debug prints the traceback of an error on purpose; it is checked too.)"""
    assert SECRET not in result.stdout + result.stderr, result
    assert SECRET[-12:] not in result.stdout + result.stderr, result


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_an_error_body_quoting_the_token(cli, server, token_env, debug):
    server.fault(status=422, count=1, path=ACCOUNTS,
                 body={"errors": [f"token {SECRET} is not allowed here"]})
    result = cli("api", ACCOUNTS, *debug, env=token_env)
    assert result.code == 1, result
    assert "is not allowed here" in result.stderr      # the message itself is kept
    _hidden(result)


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_a_send_error_quoting_the_token(cli, server, token_env, debug):
    server.fault(status=400, count=1, path="/api/send",
                 body={"errors": [f"bad auth {SECRET}"]})
    result = cli("send", "email", "--from", "app@example.com", "--to", "a@example.com",
                 "--subject", "s", "--text", "t", *debug, env=token_env)
    assert result.code != 0, result
    _hidden(result)


def test_a_response_header_quoting_the_token_in_debug(cli, server, token_env):
    server.fault(status=429, count=1, path=ACCOUNTS, retry_after=SECRET)
    result = cli("api", ACCOUNTS, "--debug", env=token_env)
    assert result.code == 0, result
    assert "< Retry-After: ***" in result.stderr
    _hidden(result)
