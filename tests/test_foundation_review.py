"""Hardening of the foundation: edge cases a demanding user hits with `api`,
output modes, config files, `--timeout`, `local serve` and pagination."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from mailtrap_cli.api.pagination import paginate
from mailtrap_cli.output import Output

ACCOUNTS = "/api/accounts"


def _clean_error(result, code: int) -> None:
    assert result.code == code, result
    assert result.stderr.startswith("error: "), result
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr, result


def _write_config(isolated: Path, text: str) -> Path:
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- `| head`: the reader leaves early -----------------------------------------
@pytest.mark.slow
def test_reader_leaving_early_exits_141_quietly(cli, server, tmp_path):
    batch = {"base": {"from": {"email": "a@example.com"}, "text": "x" * 200},
             "requests": [{"to": [{"email": f"r{i}@example.com"}], "subject": f"s {i}"}
                          for i in range(400)]}
    (tmp_path / "batch.json").write_text(json.dumps(batch))
    sent = cli("api", "POST", "/api/batch/1", "--host", "sandbox", "--input",
               str(tmp_path / "batch.json"))
    assert sent.code == 0, sent
    env = {**os.environ, "MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url}
    for args in (["-o", "jsonl"], ["-o", "json"], ["-o", "tsv"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailtrap_cli", "sandbox", "messages", "list", "--all",
             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert proc.stdout.read(10)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141, err
        assert err == "", err


# -- --timeout -------------------------------------------------------------------
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e300"])
def test_timeout_must_be_a_positive_number(cli, server, value):
    result = cli("api", ACCOUNTS, f"--timeout={value}")
    _clean_error(result, 2)
    assert "--timeout" in result.stderr
    assert server.requests(path=ACCOUNTS) == []


def test_timeout_before_the_group_is_checked_too(cli, server):
    result = cli("--timeout", "0", "api", ACCOUNTS)
    _clean_error(result, 2)


# -- config files with wrong types or bad URLs ------------------------------------
@pytest.mark.parametrize("body", [
    "[profiles.default]\ntoken = 5\n",
    "[profiles.default]\nbase_url = 5\n",
    "[profiles.default]\napi_url = [\"a\"]\n",
    "[profiles.default]\nfrom = 5\n",
    "default_profile = 5\n",
])
@pytest.mark.parametrize("command", [("config", "list"), ("config", "profiles"),
                                     ("api", ACCOUNTS)])
def test_wrong_types_in_the_config_file_exit_2_with_the_key(cli_raw, isolated, body, command):
    path = _write_config(isolated, body)
    result = cli_raw(*command, env={"MAILTRAP_API_TOKEN": "tok-1234567890"})
    _clean_error(result, 2)
    assert str(path) in result.stderr


@pytest.mark.parametrize("url", ["not a url", "garbage", "ftp://example.com", "localhost:8025"])
def test_bad_base_url_in_profile_exits_2(cli_raw, isolated, url):
    path = _write_config(isolated, f'[profiles.default]\ntoken = "tok-1234567890"\n'
                                   f'base_url = "{url}"\n')
    result = cli_raw("api", ACCOUNTS)
    _clean_error(result, 2)
    assert "base_url" in result.stderr and str(path) in result.stderr


@pytest.mark.parametrize("url", ["garbage", "not a url", "ftp://x"])
def test_bad_mailtrap_base_url_exits_2(cli_raw, url):
    result = cli_raw("api", ACCOUNTS, env={"MAILTRAP_PROFILE": "local",
                                           "MAILTRAP_BASE_URL": url})
    _clean_error(result, 2)
    assert "MAILTRAP_BASE_URL" in result.stderr


def test_doctor_reports_a_bad_base_url_as_a_failed_check(cli_raw):
    result = cli_raw("doctor", "-o", "json", env={"MAILTRAP_PROFILE": "local",
                                                  "MAILTRAP_BASE_URL": "garbage"})
    assert result.code == 2, result
    checks = {c["check"]: c for c in result.json()}
    assert checks["profile"]["status"] == "fail"
    assert "MAILTRAP_BASE_URL" in checks["profile"]["detail"]


def test_unwritable_config_is_an_error_with_the_path(cli_raw, isolated, monkeypatch):
    real_replace = os.replace

    def refuse(src: Any, dst: Any) -> None:
        if str(dst).endswith("config.toml"):
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    result = cli_raw("config", "set", "sandbox_id", "3")
    _clean_error(result, 2)
    assert "cannot write config file" in result.stderr
    assert str(isolated / "config" / "config.toml") in result.stderr
    assert not list((isolated / "config").glob(".*.tmp"))


def test_config_dir_that_is_a_file(cli_raw, isolated):
    blocker = isolated / "blocker"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("x")
    result = cli_raw("config", "set", "sandbox_id", "3",
                     env={"MAILTRAP_CONFIG_DIR": str(blocker)})
    _clean_error(result, 2)
    assert str(blocker) in result.stderr


# -- output modes ----------------------------------------------------------------
def _render(mode: str, data: Any) -> str:
    import io

    buf = io.StringIO()
    Output(mode, stdout=buf, stderr=io.StringIO()).emit(data)
    return buf.getvalue()


def test_tsv_list_of_scalars_shows_the_values():
    assert _render("tsv", ["a", "b\tc", 3]) == "value\na\nb\\tc\n3\n"


def test_table_list_of_scalars_shows_the_values():
    text = _render("table", ["alpha", "beta"])
    assert "alpha" in text and "beta" in text


@pytest.mark.no_spec_check
def test_api_prints_a_json_scalar_answer_as_json(cli, server):
    # A JSON string answer stays valid JSON for jq.
    from mailtrap_cli.local.router import Response

    server.app.router.add("GET", "/api/_scalar", lambda app, req: Response(
        200, b'"done"', {"Content-Type": "application/json"}))
    result = cli("api", "/api/_scalar", "-o", "json")
    assert result.code == 0, result
    assert json.loads(result.stdout) == "done"


# -- api command -------------------------------------------------------------------
def test_api_paginate_with_a_bad_page_is_a_usage_error(cli, server):
    result = cli("api", "-X", "GET", "/api/sandboxes/1/messages", "-f", "page=abc",
                 "--paginate")
    _clean_error(result, 2)
    assert result.stdout == ""


def test_api_dry_run_shows_extra_headers(cli, server):
    result = cli("api", "POST", "/api/send/1", "--host", "sandbox", "-f", "subject=x",
                 "-H", "X-Trace: 42", "--dry-run")
    assert result.code == 0, result
    assert result.json()["headers"]["X-Trace"] == "42"
    assert server.requests(path="/api/send") == []


def test_api_dry_run_redacts_an_authorization_header(cli, server):
    result = cli("api", "POST", "/api/send/1", "--host", "sandbox", "-f", "subject=x",
                 "-H", "Api-Token: secret-value-123", "--dry-run")
    assert result.code == 0, result
    assert "secret-value-123" not in result.stdout + result.stderr
    assert server.requests(path="/api/send") == []


@pytest.mark.no_spec_check
def test_api_head_is_answered_without_a_body(cli, server):
    result = cli("api", "HEAD", ACCOUNTS)
    assert result.code == 0, result
    assert result.stdout == ""
    assert "HTTP 200" in result.stderr


def test_api_head_in_process_has_no_body(cli_raw):
    result = cli_raw("api", "HEAD", ACCOUNTS, env={"MAILTRAP_PROFILE": "local"})
    assert result.code == 0, result
    assert result.stdout == ""


# -- api --paginate against each scheme's real shapes (fake client) ----------------
class FakeClient:
    """Answers GETs from a function of the query; records every query."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def get(self, host: str, path: str, params: dict[str, Any] | None = None) -> Any:
        params = dict(params or {})
        self.calls.append(params)
        return self.answer(params)


def _suppressions(total: int, size: int):
    rows = [{"id": f"00000000-0000-0000-0000-{i:012d}", "email": f"s{i}@example.com"}
            for i in range(total)]

    def answer(params: dict[str, Any]) -> list[dict[str, Any]]:
        start = 0
        if params.get("last_id"):
            start = next(i for i, r in enumerate(rows) if r["id"] == params["last_id"]) + 1
        return rows[start:start + size]

    return answer


def _email_logs(total: int, size: int):
    rows = [{"message_id": f"m{i}", "status": "delivered"} for i in range(total)]

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        start = 0
        if params.get("search_after"):
            start = next(i for i, r in enumerate(rows) if r["message_id"]
                         == params["search_after"]) + 1
        page = rows[start:start + size]
        more = start + size < total
        return {"messages": page, "total_count": total,
                "next_page_cursor": page[-1]["message_id"] if more else None}

    return answer


def _inbound(total: int, size: int):
    rows = [{"id": str(1700000000000000 + i)} for i in range(total)]

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        start = 0
        if params.get("last_id"):
            start = next(i for i, r in enumerate(rows) if r["id"] == params["last_id"]) + 1
        page = rows[start:start + size]
        more = start + size < total
        return {"data": page, "total_count": total, "last_id": page[-1]["id"] if more else None}

    return answer


def _campaigns(total: int, size: int):
    rows = [{"id": i, "name": f"c{i}"} for i in range(total)]

    def answer(params: dict[str, Any]) -> dict[str, Any]:
        token = int(params.get("token") or 1)
        per_page = int(params.get("per_page") or size)
        page = rows[(token - 1) * per_page: token * per_page]
        more = token * per_page < total
        return {"data": page, "pagination": {"token": token, "prev_token": None,
                                             "next_token": token + 1 if more else None}}

    return answer


def _sandbox_messages(total: int):
    rows = [{"id": total - i, "subject": f"m{total - i}"} for i in range(total)]

    def answer(params: dict[str, Any]) -> list[dict[str, Any]]:
        if params.get("last_id"):
            older = [r for r in rows if r["id"] < int(params["last_id"])]
            return older[:30]
        page = int(params.get("page") or 1)
        return rows[(page - 1) * 30: page * 30]

    return answer


def _api_pages(client: FakeClient, params: dict[str, Any] | None = None) -> list[Any]:
    from mailtrap_cli.commands.api_cmd import _pages

    return list(_pages(client, "api", "/x", params or {}))


def test_api_paginate_follows_suppressions_last_id():
    client = FakeClient(_suppressions(2500, 1000))
    items = _api_pages(client)
    assert len(items) == 2500
    assert len({i["id"] for i in items}) == 2500


def test_api_paginate_follows_email_logs_cursor():
    client = FakeClient(_email_logs(45, 20))
    items = _api_pages(client)
    assert [i["message_id"] for i in items] == [f"m{i}" for i in range(45)]
    assert len(client.calls) == 3


def test_api_paginate_follows_inbound_body_last_id():
    assert len(_api_pages(FakeClient(_inbound(25, 10)))) == 25


def test_api_paginate_follows_campaign_tokens():
    assert len(_api_pages(FakeClient(_campaigns(120, 50)))) == 120


def test_api_paginate_sandbox_messages_all_once():
    items = _api_pages(FakeClient(_sandbox_messages(75)))
    assert [i["id"] for i in items] == list(range(75, 0, -1))


def test_api_paginate_full_array_endpoint_stops():
    client = FakeClient(lambda params: [{"id": 1}, {"id": 2}])
    assert _api_pages(client) == [{"id": 1}, {"id": 2}]
    assert len(client.calls) <= 2


# -- pagination iterator against each scheme (fake client) -------------------------
def test_paginate_last_id_suppressions_bare_array():
    client = FakeClient(_suppressions(2500, 1000))
    items = list(paginate(client, "api", "/api/suppressions", scheme="last_id",
                          all_pages=True, page_size=1000))
    assert len(items) == 2500
    assert len(client.calls) == 3
    assert client.calls[1]["last_id"] == items[999]["id"]


def test_paginate_search_after_email_logs():
    client = FakeClient(_email_logs(45, 20))
    items = list(paginate(client, "api", "/api/email_logs", scheme="search_after",
                          all_pages=True))
    assert len(items) == 45
    assert len(client.calls) == 3


def test_paginate_body_last_id_inbound():
    client = FakeClient(_inbound(25, 10))
    items = list(paginate(client, "api", "/api/inbound/inboxes/1/messages",
                          scheme="body_last_id", all_pages=True))
    assert len(items) == 25


def test_paginate_token_campaigns():
    client = FakeClient(_campaigns(120, 50))
    items = list(paginate(client, "api", "/api/email_campaigns", scheme="token",
                          all_pages=True, per_page=50))
    assert len(items) == 120
    assert all(c["per_page"] == 50 for c in client.calls)


def test_paginate_limit_spans_pages_and_stops():
    client = FakeClient(_sandbox_messages(75))
    items = list(paginate(client, "api", "/m", scheme="last_id", limit=40, page_size=30))
    assert len(items) == 40
    assert len(client.calls) == 2


@pytest.mark.parametrize("scheme,answer", [
    ("last_id", lambda p: [{"id": 1}, {"id": 2}]),
    ("body_last_id", lambda p: {"data": [{"id": 1}], "last_id": 7}),
    ("search_after", lambda p: {"messages": [{"id": 1}], "next_page_cursor": "c"}),
    ("token", lambda p: {"data": [{"id": 1}], "pagination": {"next_token": 2}}),
])
def test_paginate_stops_when_the_cursor_does_not_move(scheme, answer):
    client = FakeClient(answer)
    items = list(paginate(client, "api", "/x", scheme=scheme, all_pages=True))
    assert len(client.calls) <= 2
    assert len(items) <= 4


# -- local serve ------------------------------------------------------------------
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
    _clean_error(result, 2)
    assert str(db) in result.stderr


@pytest.mark.parametrize("kind", ["file", "under-file"])
def test_local_profile_with_an_unusable_db_is_a_usage_error(cli_raw, tmp_path, kind):
    junk = tmp_path / "junk.txt"
    junk.write_text("not a database" * 100)
    db = {"file": junk, "under-file": junk / "x.sqlite3"}[kind]
    result = cli_raw("api", ACCOUNTS, env={"MAILTRAP_PROFILE": "local",
                                           "MAILTRAP_LOCAL_DB": str(db)})
    _clean_error(result, 2)
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


# -- doctor and auth status with a malformed token -----------------------------------
def test_doctor_reports_a_malformed_token(cli_raw, server):
    result = cli_raw("doctor", "-o", "json", env={
        "MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url,
        "MAILTRAP_API_TOKEN": "abc def ghijklmn"})
    assert result.code == 4, result
    checks = {c["check"]: c for c in result.json()}
    assert checks["token present"]["status"] == "fail"
    assert "spaces" in checks["token present"]["detail"]
    assert checks["api host"]["status"] == "ok"
    assert "ghijklmn" not in result.stdout + result.stderr


def test_auth_status_malformed_token_detail_has_no_http_none(cli_raw, server):
    result = cli_raw("auth", "status", "-o", "json", env={
        "MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url,
        "MAILTRAP_API_TOKEN": "abc def ghijklmn"})
    assert result.code == 4, result
    assert "HTTP None" not in result.stdout + result.stderr


# -- --debug ------------------------------------------------------------------------
@pytest.mark.no_spec_check
def test_debug_says_how_big_a_binary_body_is(cli, server):
    from mailtrap_cli.local.router import Response

    server.app.router.add("GET", "/api/_blob", lambda app, req: Response.of(b"\x00\x01" * 50))
    result = cli("api", "/api/_blob", "--debug")
    assert result.code == 0, result
    assert result.stdout_bytes == b"\x00\x01" * 50
    assert "< [100 bytes application/octet-stream]" in result.stderr


# -- small usage slips ------------------------------------------------------------
def test_empty_profile_name_is_a_usage_error(cli_raw, isolated):
    result = cli_raw("-p", "", "config", "set", "sandbox_id", "3")
    _clean_error(result, 2)
    assert not (isolated / "config" / "config.toml").exists()


def test_api_with_a_method_and_no_path_is_a_usage_error(cli, server):
    result = cli("api", "GET")
    _clean_error(result, 2)
    assert "PATH" in result.stderr
    assert server.requests(path="/GET") == []


def test_doctor_warns_about_unknown_keys(cli_raw, isolated, server):
    _write_config(isolated, 'colour = "x"\n[profiles.local]\nsandbox-id = 3\n')
    result = cli_raw("doctor", "-o", "json", env={"MAILTRAP_PROFILE": "local",
                                                  "MAILTRAP_BASE_URL": server.url})
    assert result.code == 0, result
    checks = {c["check"]: c for c in result.json()}
    assert checks["config file"]["status"] == "warn"
    assert "profiles.local.sandbox-id" in checks["config file"]["detail"]
    assert "colour" in checks["config file"]["detail"]


@pytest.mark.parametrize("url", ["http://a b", "http://host:port", "http://"])
def test_config_set_refuses_a_url_later_commands_would_refuse(cli_raw, isolated, url):
    result = cli_raw("config", "set", "base_url", url)
    _clean_error(result, 2)
    assert not (isolated / "config" / "config.toml").exists()


def test_in_process_latency_beyond_the_timeout_is_a_read_timeout(cli_raw):
    from mailtrap_cli.local.transport import app_for, default_db

    app = app_for(default_db())
    app.limits.latency = 0.3
    try:
        env = {"MAILTRAP_PROFILE": "local", "MAILTRAP_RETRY_ATTEMPTS": "1"}
        result = cli_raw("api", ACCOUNTS, "--timeout", "0.1", env=env)
        _clean_error(result, 7)
        assert "read timeout" in result.stderr
        ok = cli_raw("api", ACCOUNTS, "--timeout", "5", env=env)
        assert ok.code == 0, ok
    finally:
        app.limits.latency = 0


@pytest.mark.no_spec_check
def test_api_input_bytes_are_sent_as_given(cli, server, tmp_path):
    seen: list[Any] = []
    server.app.observers.append(lambda req, response: seen.append(
        (req.body, req.headers.get("content-type"))))
    body = b'{"subject":  "x",\n "n": NaN}'
    (tmp_path / "body.json").write_bytes(body)
    result = cli("api", "POST", "/api/send/1", "--host", "sandbox", "--input",
                 str(tmp_path / "body.json"))
    assert result.code == 1, result  # the server refuses it; the CLI does not choke on it
    assert "unexpected" not in result.stderr
    assert seen == [(body, "application/json")]


# -- the local profile with and without a running server: one database --------------
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
    _clean_error(result, 2)
    assert "--allow-remote" in result.stderr


def test_debug_truncation_never_leaves_part_of_the_token(cli, server):
    token = "Qz7Wp" + "k" * 27
    body_start = len('{"subject": "') + 1970 + len('", "note": "')
    assert body_start < 2000 < body_start + len(token)
    result = cli("api", "POST", "/api/send/1", "--host", "sandbox", "-f", "subject=" + "x" * 1970,
                 "-f", "note=" + token, "--debug", env={"MAILTRAP_API_TOKEN": token})
    assert "Qz7Wp" not in result.stderr
    assert "Qz7Wp" not in result.stdout


@pytest.mark.parametrize("header", ["X-A: b\nc", "Bad Name: v", "X-B: v\r\nInjected: 1"])
def test_api_header_that_cannot_be_sent_is_a_usage_error(cli, server, header):
    result = cli("api", ACCOUNTS, "-H", header)
    _clean_error(result, 2)
    assert server.requests(path=ACCOUNTS) == []


def test_mailtrap_output_auto_beats_the_profile_output(cli, isolated):
    _write_config(isolated, '[profiles.local]\noutput = "tsv"\n')
    assert cli("api", ACCOUNTS).stdout.startswith("id\t")  # the profile's default applies
    result = cli("api", ACCOUNTS, env={"MAILTRAP_OUTPUT": "auto"})
    assert result.code == 0, result
    assert result.json()[0]["id"] == 1  # env > profile: auto, i.e. JSON when piped


# -- the built-in server's HTTP edge ----------------------------------------------------
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


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["completion", "bash"],
                                  ["-p", "local", "api", ACCOUNTS]])
def test_closed_stdout_is_quiet_exit_141(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        proc = subprocess.run([sys.executable, "-m", "mailtrap_cli", *args], stdout=write_end,
                              stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr.decode()
    assert proc.stderr == b""


def test_config_file_with_a_byte_order_mark_is_read(cli_raw, isolated):
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'\xef\xbb\xbf[profiles.default]\nsandbox_id = 7\n')
    result = cli_raw("config", "get", "sandbox_id")
    assert result.code == 0, result
    assert result.stdout == "7\n"


def test_config_set_writes_through_a_symlinked_config_file(cli_raw, isolated, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "mailtrap.toml"
    real.write_text("[profiles.default]\nsandbox_id = 7\n")
    link = isolated / "config" / "config.toml"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    result = cli_raw("config", "set", "account_id", "5")
    assert result.code == 0, result
    assert link.is_symlink()
    assert "account_id = 5" in real.read_text() and "sandbox_id = 7" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o600


def test_api_accepts_a_full_url_of_a_profile_host(cli, server):
    result = cli("api", server.url + ACCOUNTS, "-o", "jsonl")
    assert result.code == 0, result
    assert json.loads(result.stdout)["id"] == 1
    assert len(server.requests(path=ACCOUNTS)) == 1


def test_api_refuses_a_url_of_another_host(cli, server):
    result = cli("api", "https://example.com/api/accounts")
    _clean_error(result, 2)
    assert "example.com" in result.stderr


def test_paginate_page_scheme_stops_when_pages_repeat():
    same = [{"id": i} for i in range(30)]
    client = FakeClient(lambda params: same)
    items = list(paginate(client, "api", "/x", scheme="page", all_pages=True, page_size=30))
    assert len(items) == 30
    assert len(client.calls) == 2
