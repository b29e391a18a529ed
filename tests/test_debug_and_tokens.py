"""Malformed and non-ASCII tokens never shown; what --debug prints of bodies."""

from __future__ import annotations

import pytest

ACCOUNTS = "/api/accounts"


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


def test_non_ascii_token_is_an_auth_error_without_showing_it(cli, server):
    token = "tok\U0001f600en1234567890"
    result = cli("api", ACCOUNTS, env={"MAILTRAP_API_TOKEN": token})
    result.assert_clean_error(4)
    assert "non-ASCII" in result.stderr and token not in result.stderr
    assert server.requests(path=ACCOUNTS) == []


@pytest.mark.no_spec_check
def test_debug_says_how_big_a_binary_body_is(cli, server):
    from mailtrap_cli.local.router import Response

    server.app.router.add("GET", "/api/_blob", lambda app, req: Response.of(b"\x00\x01" * 50))
    result = cli("api", "/api/_blob", "--debug")
    assert result.code == 0, result
    assert result.stdout_bytes == b"\x00\x01" * 50
    assert "< [100 bytes application/octet-stream]" in result.stderr


def test_debug_truncation_never_leaves_part_of_the_token(cli, server):
    token = "Qz7Wp" + "k" * 27
    body_start = len('{"subject": "') + 1970 + len('", "note": "')
    assert body_start < 2000 < body_start + len(token)
    result = cli("api", "POST", "/api/send/1", "--host", "sandbox", "-f", "subject=" + "x" * 1970,
                 "-f", "note=" + token, "--debug", env={"MAILTRAP_API_TOKEN": token})
    assert "Qz7Wp" not in result.stderr
    assert "Qz7Wp" not in result.stdout

