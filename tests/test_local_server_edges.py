"""The built-in server and the `local` profile at their edges: `local serve`
arguments, database paths, IPv6, signals, concurrent processes on one SQLite
file, raw HTTP (chunked bodies, bad lengths) and in-process latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

ACCOUNTS = "/api/accounts"


def test_serve_port_out_of_range_is_a_usage_error(cli_raw):
    result = cli_raw("local", "serve", "--port", "99999", "--no-smtp")
    assert result.code == 2, result
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


@pytest.mark.parametrize("kind", ["file", "dir", "under-file"])
def test_serve_with_an_unusable_db_is_a_usage_error(cli_raw, tmp_path, kind):
    junk = tmp_path / "junk.txt"
    junk.write_text("not a database" * 100)
    db = {"file": junk, "dir": tmp_path, "under-file": junk / "x.sqlite3"}[kind]
    result = cli_raw("local", "serve", "--port", "0", "--no-smtp", "--db", str(db))
    result.assert_clean_error(2)
    assert str(db) in result.stderr


@pytest.mark.parametrize("kind", ["file", "under-file"])
def test_local_profile_with_an_unusable_db_is_a_usage_error(cli_raw, tmp_path, kind):
    junk = tmp_path / "junk.txt"
    junk.write_text("not a database" * 100)
    db = {"file": junk, "under-file": junk / "x.sqlite3"}[kind]
    result = cli_raw("api", ACCOUNTS, env={"MAILTRAP_PROFILE": "local",
                                           "MAILTRAP_LOCAL_DB": str(db)})
    result.assert_clean_error(2)
    assert str(db) in result.stderr


def test_server_binds_ipv6_loopback():
    import socket

    from mailtrap_cli.local.http import RunningServer

    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        running = RunningServer(":memory:", host="::1")
    except OSError as exc:  # a machine without an IPv6 loopback
        pytest.skip(f"no ::1 here: {exc}")
    try:
        import requests

        assert running.url.startswith("http://[::1]:")
        r = requests.get(running.url + ACCOUNTS, headers={"Authorization": "Bearer x"},
                         timeout=5)
        assert r.status_code == 200
    finally:
        running.stop()


def test_fresh_database_seeded_by_many_at_once(tmp_path):
    from mailtrap_cli.local.app import LocalApp

    for trial in range(15):
        path = str(tmp_path / f"db{trial}.sqlite3")
        barrier = threading.Barrier(6)
        errors: list[str] = []

        def open_one(path: str = path, barrier: threading.Barrier = barrier,
                     errors: list[str] = errors) -> None:
            barrier.wait()
            try:
                LocalApp(path).close()
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))

        threads = [threading.Thread(target=open_one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []


def test_in_process_latency_beyond_the_timeout_is_a_read_timeout(cli_raw):
    from mailtrap_cli.local.transport import app_for, default_db

    app = app_for(default_db())
    app.limits.latency = 0.3
    try:
        env = {"MAILTRAP_PROFILE": "local", "MAILTRAP_RETRY_ATTEMPTS": "1"}
        result = cli_raw("api", ACCOUNTS, "--timeout", "0.1", env=env)
        result.assert_clean_error(7)
        assert "read timeout" in result.stderr
        ok = cli_raw("api", ACCOUNTS, "--timeout", "5", env=env)
        assert ok.code == 0, ok
    finally:
        app.limits.latency = 0


@pytest.mark.slow
def test_server_and_in_process_runs_share_one_database(run_mailtrap, isolated):
    import re
    import signal
    from concurrent.futures import ThreadPoolExecutor

    env = {**os.environ, "MAILTRAP_PROFILE": "local"}
    proc = subprocess.Popen([sys.executable, "-m", "mailtrap_cli", "local", "serve",
                             "--port", "0", "--no-smtp"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        url = re.search(r"on (http://\S+) ", line).group(1)
        via_server = {"MAILTRAP_BASE_URL": url}

        def send(i: int) -> int:
            extra = via_server if i % 2 else {}
            return run_mailtrap("api", "POST", "/api/send/1", "--host", "sandbox",
                                "-F", 'from={"email": "a@example.com"}',
                                "-F", f'to=[{{"email": "r{i}@example.com"}}]',
                                "-f", f"subject=both {i}", "-f", "text=x",
                                env={"MAILTRAP_PROFILE": "local", **extra}).code

        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(send, range(6))) == [0] * 6
        for extra in ({}, via_server):
            listed = run_mailtrap("sandbox", "messages", "list", "--all", "-o", "json",
                                  env={"MAILTRAP_PROFILE": "local", **extra})
            assert listed.code == 0, listed
            subjects = {m["subject"] for m in json.loads(listed.stdout)}
            assert {f"both {i}" for i in range(6)} <= subjects
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)


def test_serve_on_a_taken_port_exits_2_with_a_hint(run_mailtrap):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_mailtrap("local", "serve", "--port", str(port), "--no-smtp", timeout=20)
    assert result.code == 2, result
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "--port" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com"])
def test_serve_refuses_non_loopback_without_allow_remote(cli_raw, host):
    result = cli_raw("local", "serve", "--host", host, "--port", "0", "--no-smtp")
    result.assert_clean_error(2)
    assert "--allow-remote" in result.stderr


def _raw_http(server, data: bytes) -> bytes:
    import socket

    host, port = server.running.host, server.running.port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_server_reads_a_chunked_request_body(server):
    body = json.dumps({"from": {"email": "a@example.com"}, "to": [{"email": "b@example.com"}],
                       "subject": "chunked", "text": "x"}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:]))
    answer = _raw_http(server, b"POST /api/send/1 HTTP/1.1\r\nHost: x\r\n"
                       b"Authorization: Bearer t\r\nContent-Type: application/json\r\n"
                       b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                       + chunked + b"0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert b'"success": true' in answer
    assert answer.count(b"HTTP/1.1") == 1


@pytest.mark.no_spec_check
@pytest.mark.parametrize("length", [b"abc", b"-5"])
def test_server_answers_400_to_a_bad_content_length(server, capfd, length):
    answer = _raw_http(server, b"POST /api/send/1 HTTP/1.1\r\nHost: x\r\n"
                       b"Authorization: Bearer t\r\nContent-Length: " + length + b"\r\n"
                       b"Connection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert "Traceback" not in capfd.readouterr().err


def test_server_is_quiet_when_a_client_leaves_mid_answer(server, capfd):
    for exc in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset")):
        try:
            raise exc
        except OSError:
            server.running.httpd.handle_error(None, ("127.0.0.1", 1))
    assert capfd.readouterr().err == ""


def test_serve_stops_cleanly_on_sigterm(tmp_path):
    import signal

    env = {**os.environ, "MAILTRAP_LOCAL_DB": str(tmp_path / "term.sqlite3")}
    proc = subprocess.Popen([sys.executable, "-m", "mailtrap_cli", "local", "serve",
                             "--port", "0", "--no-smtp"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    while not any("press Ctrl-C" in line for line in lines):
        line = proc.stderr.readline()
        assert line, f"server exited: {''.join(lines)}"
        lines.append(line)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err



def test_a_new_local_database_is_private(cli_raw, isolated):
    result = cli_raw("api", ACCOUNTS, env={"MAILTRAP_PROFILE": "local"})
    assert result.code == 0, result
    db = isolated / "data" / "local.sqlite3"
    assert db.stat().st_mode & 0o777 == 0o600  # captured mail: reset links, codes
    assert db.parent.stat().st_mode & 0o777 == 0o700
    for extra in db.parent.glob("local.sqlite3-*"):
        assert extra.stat().st_mode & 0o077 == 0, extra


def test_a_handler_bug_answers_500_not_a_dropped_connection(server):
    def broken(app, req):
        raise RuntimeError("boom")

    server.app.router.add("GET", "/api/test-broken", broken)
    response = server.call("GET", "/api/test-broken")
    assert response.status_code == 500
    assert response.json() == {"errors": "Internal Server Error"}
    assert len(server.app.crashes) == 1 and "boom" in server.app.crashes[0]
    server.app.crashes.clear()  # expected here; the fixture fails tests that leave one
