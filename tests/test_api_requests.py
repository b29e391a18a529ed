"""`mailtrap api` requests: scalar answers, HEAD, --dry-run headers, --input bytes,
headers, full URLs, repeated and typed query fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

ACCOUNTS = "/api/accounts"


@pytest.mark.no_spec_check
def test_api_prints_a_json_scalar_answer_as_json(cli, server):
    # A JSON string answer stays valid JSON for jq.
    from mailtrap_cli.local.router import Response

    server.app.router.add("GET", "/api/_scalar", lambda app, req: Response(
        200, b'"done"', {"Content-Type": "application/json"}))
    result = cli("api", "/api/_scalar", "-o", "json")
    assert result.code == 0, result
    assert json.loads(result.stdout) == "done"


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


def test_api_with_a_method_and_no_path_is_a_usage_error(cli, server):
    result = cli("api", "GET")
    result.assert_clean_error(2)
    assert "PATH" in result.stderr
    assert server.requests(path="/GET") == []


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


@pytest.mark.parametrize("header", ["X-A: b\nc", "Bad Name: v", "X-B: v\r\nInjected: 1"])
def test_api_header_that_cannot_be_sent_is_a_usage_error(cli, server, header):
    result = cli("api", ACCOUNTS, "-H", header)
    result.assert_clean_error(2)
    assert server.requests(path=ACCOUNTS) == []


def test_api_accepts_a_full_url_of_a_profile_host(cli, server):
    result = cli("api", server.url + ACCOUNTS, "-o", "jsonl")
    assert result.code == 0, result
    assert json.loads(result.stdout)["id"] == 1
    assert len(server.requests(path=ACCOUNTS)) == 1


def test_api_refuses_a_url_of_another_host(cli, server):
    result = cli("api", "https://example.com/api/accounts")
    result.assert_clean_error(2)
    assert "example.com" in result.stderr


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

