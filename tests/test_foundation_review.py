"""Hardening of the foundation: edge cases a demanding user hits with `api`,
output modes, `| head`, config files, `--timeout`, `--debug` and doctor.
(Pagination: test_pagination_schemes.py; the built-in server's edges:
test_local_server_edges.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mailtrap_cli.output import Output

ACCOUNTS = "/api/accounts"


def _write_config(isolated: Path, text: str) -> Path:
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- `| head`: the reader leaves early -----------------------------------------
@pytest.mark.slow
def test_reader_leaving_early_exits_141_quietly(cli, server, tmp_path):
    batch = {"base": {"from": {"email": "a@example.com"}, "text": "x" * 200},
             "requests": [{"to": [{"email": f"r{i}@example.com"}], "subject": f"s {i} " + "y" * 200}
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
    result.assert_clean_error(2)
    assert "--timeout" in result.stderr
    assert server.requests(path=ACCOUNTS) == []


def test_timeout_before_the_group_is_checked_too(cli, server):
    result = cli("--timeout", "0", "api", ACCOUNTS)
    result.assert_clean_error(2)


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
    result.assert_clean_error(2)
    assert str(path) in result.stderr


@pytest.mark.parametrize("url", ["not a url", "garbage", "ftp://example.com", "localhost:8025"])
def test_bad_base_url_in_profile_exits_2(cli_raw, isolated, url):
    path = _write_config(isolated, f'[profiles.default]\ntoken = "tok-1234567890"\n'
                                   f'base_url = "{url}"\n')
    result = cli_raw("api", ACCOUNTS)
    result.assert_clean_error(2)
    assert "base_url" in result.stderr and str(path) in result.stderr


@pytest.mark.parametrize("url", ["garbage", "not a url", "ftp://x"])
def test_bad_mailtrap_base_url_exits_2(cli_raw, url):
    result = cli_raw("api", ACCOUNTS, env={"MAILTRAP_PROFILE": "local",
                                           "MAILTRAP_BASE_URL": url})
    result.assert_clean_error(2)
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
    result.assert_clean_error(2)
    assert "cannot write config file" in result.stderr
    assert str(isolated / "config" / "config.toml") in result.stderr
    assert not list((isolated / "config").glob(".*.tmp"))


def test_config_dir_that_is_a_file(cli_raw, isolated):
    blocker = isolated / "blocker"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("x")
    result = cli_raw("config", "set", "sandbox_id", "3",
                     env={"MAILTRAP_CONFIG_DIR": str(blocker)})
    result.assert_clean_error(2)
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
    result.assert_clean_error(2)
    assert not (isolated / "config" / "config.toml").exists()


def test_api_with_a_method_and_no_path_is_a_usage_error(cli, server):
    result = cli("api", "GET")
    result.assert_clean_error(2)
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
    result.assert_clean_error(2)
    assert not (isolated / "config" / "config.toml").exists()


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
    result.assert_clean_error(2)
    assert server.requests(path=ACCOUNTS) == []


def test_mailtrap_output_auto_beats_the_profile_output(cli, isolated):
    _write_config(isolated, '[profiles.local]\noutput = "tsv"\n')
    assert cli("api", ACCOUNTS).stdout.startswith("id\t")  # the profile's default applies
    result = cli("api", ACCOUNTS, env={"MAILTRAP_OUTPUT": "auto"})
    assert result.code == 0, result
    assert result.json()[0]["id"] == 1  # env > profile: auto, i.e. JSON when piped


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
    result.assert_clean_error(2)
    assert "example.com" in result.stderr




@pytest.mark.parametrize("args", [("api", ACCOUNTS),
                                  ("api", "POST", "/api/send/1", "--host", "sandbox",
                                   "-f", "subject=x")])
def test_tls_failure_is_a_network_error_at_once(cli, server, args):
    """https:// to a plain-HTTP port: nothing was sent, and trying again cannot help."""
    port = server.running.port
    result = cli(*args, env={"MAILTRAP_BASE_URL": f"https://127.0.0.1:{port}"})
    result.assert_clean_error(7)
    assert "TLS" in result.stderr
    assert "retry:" not in result.stderr and "outcome" not in result.stderr


@pytest.mark.no_spec_check
def test_api_query_fields_repeat_and_typed_values_are_json(cli, server):
    seen: list[Any] = []
    server.app.observers.append(lambda req, response: seen.append(req.query))
    result = cli("api", "-X", "GET", ACCOUNTS, "-f", "filters[to][value][]=a@example.com",
                 "-f", "filters[to][value][]=b@example.com", "-F", "flag=true", "-F", "n=3",
                 "-f", "one=x", "-f", "one=y")
    assert result.code == 0, result
    assert seen[0]["filters[to][value][]"] == ["a@example.com", "b@example.com"]
    assert seen[0]["flag"] == ["true"] and seen[0]["n"] == ["3"]
    assert seen[0]["one"] == ["x", "y"]


def test_non_ascii_token_is_an_auth_error_without_showing_it(cli, server):
    token = "tok\U0001f600en1234567890"
    result = cli("api", ACCOUNTS, env={"MAILTRAP_API_TOKEN": token})
    result.assert_clean_error(4)
    assert "non-ASCII" in result.stderr and token not in result.stderr
    assert server.requests(path=ACCOUNTS) == []
