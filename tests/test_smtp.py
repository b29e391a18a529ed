"""The built-in server's SMTP listener and `mailtrap sandbox smtp-test`."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time

import pytest

from mailtrap_cli.local.http import RunningServer
from mailtrap_cli.local.smtp import SmtpListener

RAW = "From: App <app@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: over smtp\r\n\r\nhi\r\n"


@pytest.fixture
def smtp(server):
    """An SMTP listener on a free loopback port, writing to `server`'s store."""
    listener = SmtpListener(server.app, "127.0.0.1", 0).start()
    try:
        yield listener
    finally:
        listener.stop()


def _login(smtp_listener, username="local-sandbox-1", password="local-password-1"):
    client = smtplib.SMTP("127.0.0.1", smtp_listener.port, timeout=5)
    client.ehlo()
    client.login(username, password)
    return client


def _rows(server):
    return server.app.store.all("SELECT * FROM messages ORDER BY id")


def test_login_and_store_in_the_sandbox_of_the_login(cli, server, smtp):
    created = cli("sandbox", "sandboxes", "create", "Second", "--show-password", "-o", "json")
    second = created.json()
    with _login(smtp, second["username"], second["password"]) as client:
        refused = client.sendmail("app@example.com", ["bob@example.com", "c@example.com"], RAW)
    assert refused == {}
    [row] = _rows(server)
    assert row["sandbox_id"] == second["id"]
    assert row["subject"] == "over smtp"
    assert row["smtp_from"] == "app@example.com"
    assert row["smtp_to"] == "bob@example.com,c@example.com"
    assert bytes(row["raw"]).startswith(b"From: App")
    shown = cli("sandbox", "sandboxes", "get", str(second["id"]), "-o", "json").json()
    assert shown["sent_messages_count"] == 1 and shown["emails_count"] == 1
    assert shown["domain"] == "127.0.0.1" and shown["smtp_ports"] == [smtp.port]


def test_wrong_password_is_535_and_nothing_is_stored(server, smtp):
    client = smtplib.SMTP("127.0.0.1", smtp.port, timeout=5)
    with client:
        client.ehlo()
        assert client.has_extn("auth") and not client.has_extn("starttls")
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            client.login("local-sandbox-1", "wrong")
        assert info.value.smtp_code == 535
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("nobody", "local-password-1")
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("app@example.com", ["bob@example.com"], RAW)
        assert refused.value.smtp_code == 530
    assert _rows(server) == []


def test_message_over_the_sandbox_limit_is_552(server, smtp):
    """Undeclared (no SIZE at MAIL FROM): refused after DATA."""
    server.app.store.execute("UPDATE sandboxes SET max_message_size = 64 WHERE id = 1")
    with _login(smtp) as client:
        assert client.mail("app@example.com")[0] == 250
        assert client.rcpt("bob@example.com")[0] == 250
        code, reply = client.data((RAW + "x" * 100).encode())
    assert code == 552, reply
    assert _rows(server) == []


def test_declared_size_over_the_limit_is_refused_at_mail_from(server, smtp):
    """smtplib declares SIZE=; a message over the sandbox's limit is refused before
    its upload, and EHLO advertises the largest sandbox limit."""
    from mailtrap_cli.local.mailstore import set_message_limit

    set_message_limit(server.app.store, 1000, sandbox_id=1)
    with _login(smtp) as client:
        assert client.esmtp_features["size"] == "1000"
        with pytest.raises(smtplib.SMTPSenderRefused) as info:
            client.sendmail("app@example.com", ["bob@example.com"], RAW + "x" * 2000)
        assert info.value.smtp_code == 552
        client.rset()
        assert client.sendmail("app@example.com", ["bob@example.com"], RAW) == {}
    assert len(_rows(server)) == 1


def test_declared_size_checked_against_the_logged_in_sandbox(cli, server, smtp):
    from mailtrap_cli.local.mailstore import set_message_limit

    second = cli("sandbox", "sandboxes", "create", "Big", "--show-password", "-o", "json").json()
    set_message_limit(server.app.store, 500, sandbox_id=1)
    set_message_limit(server.app.store, 100_000, sandbox_id=second["id"])
    big = RAW + ("x" * 70 + "\r\n") * 70
    with _login(smtp) as client:   # sandbox 1: 500 bytes
        assert client.esmtp_features["size"] == "100000"
        code, reply = client.mail("app@example.com", [f"SIZE={len(big)}"])
        assert code == 552 and b"500 bytes" in reply
    with _login(smtp, second["username"], second["password"]) as client:
        assert client.sendmail("app@example.com", ["bob@example.com"], big) == {}
    assert [r["sandbox_id"] for r in _rows(server)] == [second["id"]]


def test_reset_credentials_locks_out_the_old_ones(cli, server, smtp):
    assert cli("sandbox", "sandboxes", "reset-credentials", "--yes").code == 0
    client = smtplib.SMTP("127.0.0.1", smtp.port, timeout=5)
    with client, pytest.raises(smtplib.SMTPAuthenticationError):
        client.login("local-sandbox-1", "local-password-1")


def test_listener_refuses_non_loopback(server):
    with pytest.raises(ValueError, match="loopback"):
        SmtpListener(server.app, "0.0.0.0", 0)  # noqa: S104


def test_running_server_with_smtp():
    with RunningServer(":memory:", smtp=True) as running:
        assert running.app.smtp_port == running.smtp.port
        with _login(running.smtp) as client:
            client.sendmail("app@example.com", ["bob@example.com"], RAW)
        assert running.app.store.one("SELECT COUNT(*) AS n FROM messages")["n"] == 1


def test_smtp_test_round_trip(cli, server, smtp):
    result = cli("sandbox", "smtp-test", "-o", "json")
    assert result.code == 0, result
    report = result.json()
    assert report["sandbox_id"] == 1
    assert report["smtp_host"] == "127.0.0.1" and report["smtp_port"] == smtp.port
    assert report["starttls"] is False
    assert report["tag"].startswith("mtcli-smtp-test-")
    assert report["round_trip_ms"] > 0
    [row] = _rows(server)
    assert report["message_id"] == row["id"] and report["tag"] in row["subject"]
    assert "round trip" in result.stderr
    # it fetched the credentials and polled through the API
    assert server.requests(path="/api/sandboxes/1", method="GET")
    searches = server.requests(path="/api/sandboxes/1/messages")
    assert searches and all(s["query"] == {"search": report["tag"]} for s in searches)


def test_smtp_test_other_sandbox(cli, server, smtp):
    assert cli("sandbox", "sandboxes", "create", "Other").code == 0
    result = cli("sandbox", "smtp-test", "--sandbox", "2", "-o", "json")
    assert result.code == 0, result
    assert result.json()["sandbox_id"] == 2
    assert [r["sandbox_id"] for r in _rows(server)] == [2]


def test_smtp_test_times_out_with_exit_9(cli, server, smtp, monkeypatch):
    from mailtrap_cli.local import smtp as smtp_module

    monkeypatch.setattr(smtp_module, "store_message", lambda *a, **k: 0)  # accepted, lost
    started = time.monotonic()
    result = cli("sandbox", "smtp-test", "--timeout", "0.5", "-o", "json")
    assert result.code == 9
    assert result.stdout == ""
    assert "did not show up" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 5


def test_smtp_test_unknown_sandbox(cli, server, smtp):
    result = cli("sandbox", "smtp-test", "--sandbox", "77")
    assert result.code == 5
    assert _rows(server) == []


def test_smtp_test_without_listener_on_the_server(cli, server):
    result = cli("sandbox", "smtp-test")
    assert result.code == 7
    assert "no SMTP listener" in result.stderr
    assert server.requests(path="/api/sandboxes/1/messages") == []


def test_smtp_test_in_process_profile_has_no_listener(cli_raw):
    result = cli_raw("sandbox", "smtp-test", env={"MAILTRAP_PROFILE": "local"})
    assert result.code == 7
    assert result.stderr.startswith("error: no SMTP listener; run `mailtrap local serve`")
    assert result.stdout == ""


def test_smtp_test_refused_login_is_exit_4(cli, server, smtp, monkeypatch):
    from mailtrap_cli.local import routes_sandbox_admin as admin

    real = admin.sandbox_json
    monkeypatch.setattr(admin, "sandbox_json", lambda app, row: {**real(app, row),
                                                                 "password": "stale"})
    result = cli("sandbox", "smtp-test")
    assert result.code == 4
    assert "535" in result.stderr
    assert server.requests(path="/api/sandboxes/1/messages") == []


def test_smtp_test_unreachable_listener_is_exit_7(cli, server, smtp):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    server.app.smtp_port = closed_port
    result = cli("sandbox", "smtp-test")
    assert result.code == 7
    assert f"127.0.0.1:{closed_port}" in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_local_serve_starts_smtp(tmp_path):
    env = {**os.environ, "MAILTRAP_LOCAL_DB": str(tmp_path / "serve.sqlite3")}
    proc = subprocess.Popen([sys.executable, "-m", "mailtrap_cli", "local", "serve",
                             "--port", "0", "--smtp-port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any(line.startswith("SMTP on") for line in lines):
            line = proc.stderr.readline()
            assert line, f"server exited: {''.join(lines)}"
            lines.append(line)
        port = int(re.search(r"SMTP on 127\.0\.0\.1:(\d+)", "".join(lines)).group(1))
        client = smtplib.SMTP("127.0.0.1", port, timeout=5)
        with client:
            client.login("local-sandbox-1", "local-password-1")
            assert client.sendmail("a@example.com", ["b@example.com"], RAW) == {}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_local_serve_smtp_port_taken_is_exit_2(run_mailtrap, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_mailtrap("local", "serve", "--port", str(_free_port()), "--smtp-port",
                              str(port), env={"MAILTRAP_LOCAL_DB": str(tmp_path / "x.db")},
                              timeout=20)
    assert result.code == 2
    assert "cannot listen for SMTP" in result.stderr and "Traceback" not in result.stderr


def test_local_serve_default_smtp_port_taken_still_serves_http(tmp_path):
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 2525))
        holder.listen()
    except OSError:
        pass  # already taken by someone else: the same situation
    env = {**os.environ, "MAILTRAP_LOCAL_DB": str(tmp_path / "serve.sqlite3")}
    proc = subprocess.Popen([sys.executable, "-m", "mailtrap_cli", "local", "serve",
                             "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any("press Ctrl-C" in line for line in lines):
            line = proc.stderr.readline()
            assert line, f"server exited: {''.join(lines)}"
            lines.append(line)
        text = "".join(lines)
        assert "serving without SMTP" in text and "--smtp-port" in text
        assert not any(line.startswith("SMTP on") for line in lines)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
        holder.close()
    assert proc.returncode == 0
