"""The token never reaches stdout or stderr: not in normal output, --debug,
--dry-run, error messages, unexpected exceptions or `auth status`.

(`auth token` prints it on purpose; it is not covered here.)
"""

from __future__ import annotations

import pytest

SECRET = "tok-SECRET-1234567890"
CORE = "SECRET-1234567890"[:12]  # any long piece of it is a leak too
ACCOUNTS = "/api/accounts"
SEND = ("api", "POST", "/api/send", "--host", "send",
        "-F", 'from={"email": "app@example.com"}', "-F", 'to=[{"email": "u@example.com"}]',
        "-F", "subject=Hi", "-F", "text=Hello")


def _clean(result, secret: str = SECRET) -> None:
    for stream in (result.stdout, result.stderr):
        assert secret not in stream, result
        assert CORE not in stream, result
        assert secret.strip() not in stream


def _no_traceback(result) -> None:
    assert "Traceback" not in result.stderr, result
    assert "locals" not in result.stderr.lower()


@pytest.fixture
def env_token(server):
    return {"MAILTRAP_API_TOKEN": SECRET}


@pytest.fixture
def profile_token(isolated, server):
    """A `work` profile holding the token in the config file, pointed at the server."""
    from mailtrap_cli import config

    config.save_file({"profiles": {"work": {"token": SECRET, "base_url": server.url}}},
                     isolated / "config" / "config.toml")
    return {"MAILTRAP_PROFILE": "work", "MAILTRAP_BASE_URL": ""}


@pytest.fixture(params=["env", "profile"])
def token_env(request, env_token, profile_token):
    return env_token if request.param == "env" else profile_token


def test_token_from_profile_is_used(cli, server, profile_token):
    result = cli("api", ACCOUNTS, env=profile_token)
    assert result.code == 0, result
    _clean(result)


@pytest.mark.parametrize("args", [
    ("api", ACCOUNTS),
    ("api", ACCOUNTS, "-o", "table"),
    ("api", ACCOUNTS, "--debug"),
    SEND,
    (*SEND, "--debug"),
    (*SEND, "--dry-run"),
    ("api", "DELETE", "/api/accounts/1/projects/1", "--dry-run"),
], ids=["get", "table", "get-debug", "send", "send-debug", "send-dry-run", "delete-dry-run"])
def test_commands_do_not_show_the_token(cli, token_env, args):
    result = cli(*args, env=token_env)
    assert result.code in (0, 5), result
    _clean(result)
    _no_traceback(result)


EMAIL = ("send", "email", "--from", "app@example.com", "--to", "u@example.com",
         "--subject", "Hi", "--text", "Hello")


@pytest.mark.parametrize("args", [
    EMAIL, (*EMAIL, "--debug"), (*EMAIL, "--dry-run"), (*EMAIL, "--sandbox", "1", "--debug"),
    ("sandbox", "messages", "list", "--sandbox", "1", "--debug"),
    ("sandbox", "sandboxes", "get", "1", "--debug", "-o", "table"),
], ids=["send", "send-debug", "send-dry-run", "send-sandbox-debug", "messages-debug",
        "sandbox-table"])
def test_area_commands_do_not_show_the_token(cli, cli_raw, token_env, args):
    command = [a for a in args[:3] if not a.startswith("-")]
    registered = cli_raw(*command, "--help")
    assert registered.code == 0, f"`mailtrap {' '.join(command)} --help` failed: {registered}"
    result = cli(*args, env=token_env)
    assert result.code == 0, result
    _clean(result)
    _no_traceback(result)


def test_debug_shows_the_redacted_header(cli, token_env):
    result = cli("api", ACCOUNTS, "--debug", env=token_env)
    assert result.code == 0, result
    assert "> Authorization: Bearer ***" in result.stderr
    assert "> GET http://127.0.0.1:" in result.stderr
    _clean(result)


def test_dry_run_shows_the_redacted_header_and_sends_nothing(cli, server, token_env):
    result = cli(*SEND, "--dry-run", env=token_env)
    assert result.code == 0, result
    assert result.json()["headers"]["Authorization"] == "Bearer ***"
    assert server.requests(path="/api/send") == []
    _clean(result)


@pytest.mark.parametrize("debug", [(), ("--debug",)], ids=["plain", "debug"])
def test_401_does_not_show_the_token(cli, debug):
    secret = "invalid-SECRET-1234567890"
    result = cli("api", ACCOUNTS, *debug, env={"MAILTRAP_API_TOKEN": secret})
    assert result.code == 4, result
    _clean(result, secret)


@pytest.mark.parametrize("debug", [(), ("--debug",)], ids=["plain", "debug"])
def test_network_error_does_not_show_the_token(cli, token_env, debug):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli("api", ACCOUNTS, *debug, env={**token_env,
                                               "MAILTRAP_BASE_URL": f"http://127.0.0.1:{port}"})
    assert result.code == 7, result
    _clean(result)


@pytest.mark.parametrize("token", [SECRET + "\n", SECRET + " x", SECRET + "\r\n"],
                         ids=["newline", "space", "crlf"])
@pytest.mark.parametrize("debug", [(), ("--debug",)], ids=["plain", "debug"])
def test_malformed_token_is_refused_without_showing_it(cli, token, debug):
    """requests' own "invalid header" error would quote the whole header value."""
    result = cli("api", ACCOUNTS, *debug, env={"MAILTRAP_API_TOKEN": token})
    if token.strip() == SECRET:
        assert result.code == 0, result  # surrounding whitespace is forgiven
    else:
        assert result.code == 4, result
        assert "the API token contains spaces or control characters" in result.stderr
    _clean(result)


@pytest.mark.parametrize("debug", [(), ("--debug",)], ids=["plain", "debug"])
def test_unexpected_exception_is_one_redacted_line(cli, token_env, monkeypatch, debug):
    """The last-resort handler: one line, token redacted; traceback only with --debug,
    redacted too, and never the locals."""
    from mailtrap_cli.api import client as client_mod

    def boom(self, *args, **kwargs):
        secret_local = SECRET  # noqa: F841 - a local a traceback with locals would show
        raise RuntimeError(f"exploded while using {self.token!r} / {self.token}")

    monkeypatch.setattr(client_mod.Client, "request", boom)
    result = cli("api", ACCOUNTS, *debug, env=token_env)
    assert result.code == 1, result
    assert result.stdout == ""
    assert "error: unexpected RuntimeError: exploded while using '***' / ***" in result.stderr
    _clean(result)
    if debug:
        assert "Traceback (most recent call last)" in result.stderr
        assert "secret_local" not in result.stderr
    else:
        _no_traceback(result)
        assert "hint: run again with --debug for the traceback" in result.stderr


def test_subprocess_unexpected_exception_has_no_traceback(run_mailtrap, isolated):
    """The installed entry point, a broken config value: no traceback, no token."""
    result = run_mailtrap("api", ACCOUNTS, env={"MAILTRAP_API_TOKEN": SECRET + "\n x",
                                                "MAILTRAP_BASE_URL": "http://127.0.0.1:9"})
    assert result.code == 4, result
    _clean(result)
    _no_traceback(result)


def test_auth_status_shows_only_the_last_4(cli, cli_raw, token_env):
    registered = cli_raw("auth", "status", "--help")
    assert registered.code == 0, registered
    result = cli("auth", "status", env=token_env)
    _clean(result)
    assert "****7890" in result.stdout + result.stderr
