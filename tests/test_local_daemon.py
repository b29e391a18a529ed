"""`local serve --detach`, `local status`, `local stop`, `local env` and `local reset`:
the one-line CI set-up, its pid file (stale ones included) and an app using the
server through nothing but the variables `local env` printed."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest

from mailtrap_cli.local import envvars

FREE = ["--port", "0", "--smtp-port", "0"]


@pytest.fixture
def db(isolated):
    path = os.environ["MAILTRAP_LOCAL_DB"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


@pytest.fixture
def detached(run_mailtrap, db):
    """Start servers with `local serve --detach ...`; stop whatever is left after."""

    def start(*extra: str):
        result = run_mailtrap("local", "serve", "--detach", *FREE, *extra, "-o", "json")
        assert result.code == 0, result
        return result.json()

    yield start
    run_mailtrap("local", "stop")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _app_script(tls: bool) -> str:
    """A stand-in for an app under test: only the environment tells it where to go."""
    return textwrap.dedent(f"""
        import json, os, smtplib, ssl, requests
        env = os.environ
        msg = "From: app@example.com\\r\\nTo: u@example.com\\r\\nSubject: via env\\r\\n\\r\\nhi"
        with smtplib.SMTP(env["MAILTRAP_SMTP_HOST"], int(env["MAILTRAP_SMTP_PORT"]),
                          timeout=10) as smtp:
            if {tls!r}:
                smtp.starttls(context=ssl.create_default_context())
            smtp.login(env["MAILTRAP_SMTP_USER"], env["MAILTRAP_SMTP_PASSWORD"])
            smtp.sendmail("app@example.com", ["u@example.com"], msg)
        url = (env["MAILTRAP_API_URL"] + "/api/accounts/" + env["MAILTRAP_ACCOUNT_ID"]
               + "/inboxes/" + env["MAILTRAP_SANDBOX_ID"] + "/messages")
        r = requests.get(url, headers={{"Authorization": "Bearer anything"}}, timeout=10)
        r.raise_for_status()
        print(json.dumps([m["subject"] for m in r.json()]))
    """)


def _eval_env_and_run_app(run_mailtrap, tmp_path, tls: bool) -> list[str]:
    env_out = run_mailtrap("local", "env")
    assert env_out.code == 0, env_out
    script = tmp_path / "app.py"
    script.write_text(_app_script(tls))
    shell = f'set -e\neval "$1"\nexec "{sys.executable}" "{script}"\n'
    clean = {k: v for k, v in os.environ.items()
             if k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")}
    proc = subprocess.run(["bash", "-c", shell, "bash", env_out.stdout], env=clean,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_detach_env_status_stop(run_mailtrap, detached, db, tmp_path):
    info = detached()
    assert info["url"].startswith("http://127.0.0.1:") and info["db"] == db
    assert os.path.exists(db + ".pid")
    status = run_mailtrap("local", "status", "-o", "json")
    assert status.code == 0 and status.json()["pid"] == info["pid"]
    assert _eval_env_and_run_app(run_mailtrap, tmp_path, tls=False) == ["via env"]
    missing = run_mailtrap("local", "env", "--sandbox", "99")
    missing.assert_clean_error(5)
    fish = run_mailtrap("local", "env", "--shell", "fish", "--sandbox", "1").stdout
    assert "set -gx MAILTRAP_SMTP_USER 'local-sandbox-1';" in fish
    # the CLI's in-process local profile sees the server's SMTP listener
    box = run_mailtrap("-p", "local", "sandbox", "sandboxes", "get", "1", "-o", "json").json()
    assert box["smtp_ports"] == [info["smtp_port"]]
    stopped = run_mailtrap("local", "stop", "-o", "json")
    assert stopped.code == 0 and stopped.json() == {"stopped": True, "pid": info["pid"],
                                                     "db": db}
    assert not os.path.exists(db + ".pid")
    after = run_mailtrap("local", "status")
    assert after.code == 1 and "no server runs" in after.stderr
    # nothing running: stopping again is fine (a CI cleanup step may run twice)
    assert run_mailtrap("local", "stop").code == 0
    box = run_mailtrap("-p", "local", "sandbox", "sandboxes", "get", "1", "-o", "json").json()
    assert box["smtp_ports"] == [] and box["domain"] == "127.0.0.1"


@pytest.mark.slow
def test_detach_with_tls_and_env_ca_variables(run_mailtrap, detached, tmp_path):
    pytest.importorskip("cryptography")
    info = detached("--tls", "--smtps-port", "0")
    assert info["url"].startswith("https://") and info["tls"] is True
    assert info["ca_file"] and info["smtps_port"]
    values = dict(line.removeprefix("export ").split("=", 1)
                  for line in run_mailtrap("local", "env").stdout.splitlines())
    assert values["NODE_EXTRA_CA_CERTS"] == info["ca_file"]
    assert values["REQUESTS_CA_BUNDLE"] == values["SSL_CERT_FILE"] == info["ca_bundle"]
    assert values["MAILTRAP_SMTPS_PORT"] == str(info["smtps_port"])
    assert _eval_env_and_run_app(run_mailtrap, tmp_path, tls=True) == ["via env"]
    # the CLI itself, after the same eval, trusts the CA too
    shell = ('eval "$1"; exec "$2" -m mailtrap_cli sandbox messages list -o json')
    proc = subprocess.run(["bash", "-c", shell, "bash", run_mailtrap("local", "env").stdout,
                           sys.executable], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert [m["subject"] for m in json.loads(proc.stdout)] == ["via env"]
    assert stat.S_IMODE(os.stat(info["db"] + ".log").st_mode) == 0o600


def test_stale_pid_file_is_removed_and_does_not_block_a_new_server(run_mailtrap, detached,
                                                                   db):
    stale = {"pid": _dead_pid(), "url": "http://127.0.0.1:9", "db": db}
    with open(db + ".pid", "w") as fh:
        json.dump(stale, fh)
    status = run_mailtrap("local", "status")
    assert status.code == 1 and "stale pid file" in status.stderr
    assert not os.path.exists(db + ".pid")
    with open(db + ".pid", "w") as fh:
        json.dump(stale, fh)
    stop = run_mailtrap("local", "stop", "-o", "json")
    assert stop.code == 0 and stop.json()["stopped"] is False
    assert "stale" in stop.stderr
    with open(db + ".pid", "w") as fh:
        fh.write("garbage")
    info = detached()
    assert info["pid"] != stale["pid"]


def test_a_pid_file_naming_another_live_process_is_never_signalled(run_mailtrap, db):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with open(db + ".pid", "w") as fh:
            json.dump({"pid": sleeper.pid, "url": "http://127.0.0.1:9", "db": db}, fh)
        result = run_mailtrap("local", "stop")
        result.assert_clean_error(1)
        assert "not signalling" in result.stderr
        assert sleeper.poll() is None
    finally:
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait()


def test_second_server_on_the_same_database_is_refused(run_mailtrap, detached):
    first = detached()
    again = run_mailtrap("local", "serve", "--detach", *FREE)
    again.assert_clean_error(2)
    assert f"pid {first['pid']}" in again.stderr


def test_detach_reports_why_the_server_did_not_start(run_mailtrap, db):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_mailtrap("local", "serve", "--detach", "--port", str(port),
                              "--smtp-port", "0")
    result.assert_clean_error(2)
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert not os.path.exists(db + ".pid")


def test_detach_refuses_memory_database(cli_raw):
    result = cli_raw("local", "serve", "--detach", "--db", ":memory:", *FREE)
    result.assert_clean_error(2)


def test_env_without_a_server_is_an_error(cli_raw):
    result = cli_raw("local", "env")
    result.assert_clean_error(1)
    assert "local serve --detach" in result.stderr


def test_env_unknown_shell(cli_raw):
    cli_raw("local", "env", "--shell", "tcsh").assert_clean_error(2)


@pytest.mark.parametrize("size", ["big", "0", "2GB", "-5", "5 parsecs"])
def test_bad_max_message_size_is_a_usage_error(cli_raw, size):
    result = cli_raw("local", "serve", "--no-smtp", "--port", "0", "--max-message-size", size)
    result.assert_clean_error(2)
    assert "--max-message-size" in result.stderr


def test_parse_size():
    from mailtrap_cli.local.mailstore import parse_size

    assert parse_size("25MB") == 25 * 1024 * 1024
    assert parse_size("10485760") == 10485760
    assert parse_size("512 kb") == 512 * 1024
    assert parse_size("1.5MiB") == 1572864


def test_tls_without_cryptography_says_what_to_install(cli_raw, monkeypatch):
    monkeypatch.setitem(sys.modules, "cryptography", None)
    result = cli_raw("local", "serve", "--tls", "--no-smtp", "--port", "0")
    result.assert_clean_error(2)
    assert "mailtrap-cli[tls]" in result.stderr


def test_reset_a_database_file_without_a_server(cli_raw, db):
    env = {"MAILTRAP_PROFILE": "local"}
    assert cli_raw("sandbox", "projects", "create", "Extra", env=env).code == 0
    refused = cli_raw("local", "reset")
    refused.assert_clean_error(3)
    result = cli_raw("local", "reset", "--yes", "-o", "json")
    assert result.code == 0, result
    assert result.json() == {"reset": True, "db": db, "server": False}
    projects = cli_raw("sandbox", "projects", "list", "-o", "json", env=env).json()
    assert [p["id"] for p in projects] == [1]


@pytest.mark.slow
def test_reset_a_running_server(run_mailtrap, detached):
    info = detached()
    import requests

    requests.post(info["url"] + "/api/send/1", headers={"Authorization": "Bearer x"},
                  json={"from": {"email": "a@example.com"}, "to": [{"email": "b@example.com"}],
                        "subject": "s", "text": "t"}, timeout=10).raise_for_status()
    result = run_mailtrap("local", "reset", "--yes", "-o", "json")
    assert result.code == 0 and result.json()["server"] is True
    left = requests.get(info["url"] + "/api/sandboxes/1/messages",
                        headers={"Authorization": "Bearer x"}, timeout=10).json()
    assert left == []


@pytest.mark.parametrize("value", ["plain", "it's", 'dq"uote', "sp ace", "$HOME", "back\\slash"])
def test_bash_rendering_survives_eval(value):
    text = envvars.render({"MT_X": value}, "bash")
    proc = subprocess.run(["bash", "-c", 'eval "$1"; printf %s "$MT_X"', "bash", text],
                          capture_output=True, text=True, timeout=10)
    assert proc.stdout == value


def test_other_shells():
    values = {"A": "x'y", "B": "plain"}
    assert envvars.render(values, "fish") == "set -gx A 'x\\'y';\nset -gx B 'plain';\n"
    assert envvars.render(values, "powershell") == "$env:A = 'x''y'\n$env:B = 'plain'\n"
    assert envvars.render(values, "dotenv") == "A=x'y\nB=plain\n"


def test_variables_without_tls_have_no_ca():
    info = {"url": "http://127.0.0.1:8025", "smtp_port": 2525, "smtp_host": "127.0.0.1"}
    values = envvars.variables(info, {"id": 1, "username": "u", "password": "p"})
    assert "REQUESTS_CA_BUNDLE" not in values and "NODE_EXTRA_CA_CERTS" not in values
    assert values["MAILTRAP_BULK_URL"] == "http://127.0.0.1:8025/bulk"
    assert values["MAILTRAP_API_HOST"] == "127.0.0.1:8025"
    assert (values["MAILTRAP_SMTP_USER"], values["MAILTRAP_SMTP_PASSWORD"]) == ("u", "p")
