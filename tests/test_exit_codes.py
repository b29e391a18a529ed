"""Every exit code of DESIGN.md, reached by a real scenario through the CLI.

Each failure also prints one `error: ...` line on stderr, nothing on stdout
and never a traceback.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

ACCOUNTS = "/api/accounts"


def _failed(result, code: int) -> None:
    assert result.code == code, result
    assert result.stderr.startswith(("error: ", "retry: ")), result
    assert "\nerror: " in "\n" + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def _require(cli_raw, *command: str) -> None:
    """The command is registered: one that stopped registering is a regression,
    not a reason to skip."""
    result = cli_raw(*command, "--help")
    assert result.code == 0, f"`mailtrap {' '.join(command)} --help` failed: {result}"


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- 0 -------------------------------------------------------------------------
def test_0_success(cli):
    result = cli("api", ACCOUNTS)
    assert result.code == 0, result
    assert result.json()[0]["id"] == 1
    assert result.stderr == ""


# -- 1 -------------------------------------------------------------------------
def test_1_server_error(cli, server):
    server.fault(status=500, count=1, path=ACCOUNTS)
    _failed(cli("api", ACCOUNTS), 1)


def test_1_api_rejects_the_request(cli):
    result = cli("api", "POST", "/api/send", "--host", "send", "-F", "subject=x")
    _failed(result, 1)
    assert "HTTP 400: 'from' is required" in result.stderr


# -- 2 -------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ("api", ACCOUNTS, "--bogus"),
    ("--bogus", "api", ACCOUNTS),
    ("api", ACCOUNTS, "-o", "xml"),
    ("api", ACCOUNTS, "--timeout", "soon"),
    ("api", ACCOUNTS, "-f", "novalue"),
    ("nope",),
], ids=["bad-leaf-flag", "bad-root-flag", "bad-output", "bad-timeout", "bad-field", "bad-group"])
def test_2_bad_flags(cli, server, args):
    _failed(cli(*args), 2)
    assert server.requests(path="/api") == []


def test_2_unreadable_input_file(cli, server, tmp_path):
    result = cli("api", "POST", "/api/send", "--host", "send", "--input",
                 str(tmp_path / "missing.json"))
    _failed(result, 2)
    assert "cannot read --input" in result.stderr
    assert server.requests(path="/api") == []


def test_2_malformed_config_file(cli, isolated):
    config = isolated / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[profiles.default\ntoken = \n")
    result = cli("api", ACCOUNTS, env={"MAILTRAP_PROFILE": "default"})
    _failed(result, 2)
    assert "is not valid TOML" in result.stderr


def test_2_malformed_json(cli, cli_raw, server, tmp_path):
    _require(cli_raw, "send", "batch")
    bad = tmp_path / "batch.json"
    bad.write_text('{"base": {"from": {"email": "a@example.com"}, "requests": [')
    result = cli("send", "batch", str(bad))
    _failed(result, 2)
    assert server.requests(path="/api/batch") == []


# -- 3 -------------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    ("sandbox", "projects", "delete", "1"),
    ("sandbox", "sandboxes", "delete", "1"),
    ("sandbox", "messages", "delete", "1"),
], ids=["project", "sandbox", "message"])
def test_3_destructive_without_yes_off_a_tty(cli, cli_raw, server, command):
    _require(cli_raw, *command[:-1])
    result = cli(*command)
    _failed(result, 3)
    assert "--yes" in result.stderr
    assert server.requests(method="DELETE") == []


# -- 4 -------------------------------------------------------------------------
def test_4_no_token(cli_raw, closed_port):
    result = cli_raw("api", ACCOUNTS,
                     env={"MAILTRAP_BASE_URL": f"http://127.0.0.1:{closed_port}"})
    _failed(result, 4)
    assert "no API token" in result.stderr


@pytest.mark.parametrize(("token", "why"), [("invalid-123", "HTTP 401"),
                                            ("forbidden-123", "HTTP 403")])
def test_4_rejected_token(cli, token, why):
    result = cli("api", ACCOUNTS, env={"MAILTRAP_API_TOKEN": token})
    _failed(result, 4)
    assert why in result.stderr


# -- 5 -------------------------------------------------------------------------
def test_5_not_found(cli):
    result = cli("api", "/api/accounts/1/nothing-here")
    _failed(result, 5)
    assert "HTTP 404" in result.stderr


# -- 6 -------------------------------------------------------------------------
def test_6_rate_limited_after_retries(cli, server):
    server.fault(status=429, count=100, retry_after="0", path=ACCOUNTS)
    _failed(cli("api", ACCOUNTS), 6)


# -- 7 -------------------------------------------------------------------------
def test_7_connection_refused(cli, closed_port):
    result = cli("api", ACCOUNTS, env={"MAILTRAP_BASE_URL": f"http://127.0.0.1:{closed_port}"})
    _failed(result, 7)
    assert f"cannot reach http://127.0.0.1:{closed_port}: connection refused" in result.stderr


# -- 8 -------------------------------------------------------------------------
def test_8_batch_partly_rejected(cli, cli_raw, server, tmp_path):
    _require(cli_raw, "send", "batch")
    batch = {
        "base": {"from": {"email": "app@example.com"}, "subject": "Hi", "text": "Hello"},
        "requests": [{"to": [{"email": "good@example.com"}]},
                     {"to": [{"email": "not-an-address"}]}],
    }
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    result = cli("send", "batch", str(path), "-o", "json")
    assert result.code == 8, result
    assert "Traceback" not in result.stderr
    assert len(server.requests(path="/api/batch")) == 1


# -- 9 -------------------------------------------------------------------------
def test_9_wait_gave_up(cli, cli_raw):
    _require(cli_raw, "sandbox", "messages", "wait")
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--timeout", "1")
    assert time.monotonic() - started < 10
    _failed(result, 9)


# -- 130 -----------------------------------------------------------------------
def test_130_interrupted_mid_request(server):
    """Ctrl-C while the request is in flight: `interrupted`, exit 130, no traceback.

    The server holds the request 5 s; --debug prints the request line just
    before it is sent, which is the event the test waits for.
    """
    server.configure(latency=5)
    env = {**os.environ, "MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url}
    proc = subprocess.Popen([sys.executable, "-m", "mailtrap_cli", "api", ACCOUNTS, "--debug"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        seen = b""
        while b"> GET " not in seen:
            line = proc.stderr.readline()
            assert line, f"exited early: {seen!r}"
            seen += line
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (out, seen + err)
    assert time.monotonic() - started < 4  # did not wait for the answer
    assert err.decode().strip().endswith("interrupted")
    assert b"Traceback" not in err
    assert out == b""
