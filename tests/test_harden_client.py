"""The client against lying and slow servers (issue 8): 2xx bodies that are not
what they claim, trickling answers, redirects, Retry-After nonsense, huge bodies."""

from __future__ import annotations

import json
import time

import pytest

from mailtrap_cli.api.client import Client
from mailtrap_cli.api.errors import APIError, NetworkError

PROJECTS = "/api/projects"
SEND = "/api/send"
EMAIL = ["send", "email", "--from", "app@example.com", "--to", "user@example.com",
         "--subject", "Hi", "--text", "Hello"]
HTML = "<!doctype html><html><body>Please log in to the hotel Wi-Fi</body></html>"

pytestmark = pytest.mark.no_spec_check


@pytest.mark.parametrize(("body", "ctype"), [
    (HTML, "text/html"), ('[{"id": 1, "name": "trunc', "application/json"),
    ("null", "application/json"), ('{"success": false, "errors": ["nope"]}',
                                   "application/json")])
def test_projects_list_refuses_a_2xx_that_is_not_a_list_of_projects(cli, server, body, ctype):
    server.fault(status=200, body=body, content_type=ctype, path=PROJECTS)
    result = cli("sandbox", "projects", "list", "-o", "json")
    result.assert_clean_error(1)
    assert result.stdout == ""
    assert "HTTP 200 with" in result.stderr


@pytest.mark.parametrize("body", [HTML, "null", "[]", '{"success": true, "message_ids',
                                  '{"success": false, "errors": ["bounced"]}', "{}"])
def test_send_email_with_a_2xx_that_does_not_say_sent_is_not_a_success(cli, server, body):
    server.fault(status=200, body=body, content_type="application/json", path=SEND)
    result = cli(*EMAIL)
    assert result.code != 0, result
    assert "sent" not in result.stdout
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    if "bounced" not in body:
        assert "outcome is unknown" in result.stderr


def test_auth_login_does_not_store_a_token_a_captive_portal_accepted(cli, server):
    server.fault(status=200, body=HTML, content_type="text/html", path="/api/accounts")
    result = cli("auth", "login", "--with-token", stdin="tok-123\n",
                 env={"MAILTRAP_PROFILE": "default"})
    assert result.code == 1, result
    assert "not JSON" in result.stderr
    status = cli("auth", "status", env={"MAILTRAP_PROFILE": "default"})
    assert "tok-123" not in status.stdout + status.stderr


def test_a_trickling_answer_is_cut_at_the_timeout(cli, server):
    body = json.dumps([{"id": i, "name": f"project {i}"} for i in range(20)])
    server.fault(status=200, body=body, content_type="application/json", path=PROJECTS,
                 trickle=0.05)
    started = time.monotonic()
    result = cli("--timeout", "1", "sandbox", "projects", "list", "-o", "json")
    elapsed = time.monotonic() - started
    result.assert_clean_error(7)
    assert "timed out" in result.stderr and "ConnectionError" not in result.stderr
    assert elapsed < 4, elapsed


def test_a_trickling_answer_to_a_send_is_cut_and_reported_unknown(cli, server):
    server.fault(status=200, body='{"success": true, "message_ids": ["' + "x" * 200 + '"]}',
                 content_type="application/json", path=SEND, trickle=0.05, after=True)
    started = time.monotonic()
    result = cli("--timeout", "1", *EMAIL)
    assert time.monotonic() - started < 4
    result.assert_clean_error(7)
    assert "timed out" in result.stderr and "outcome is unknown" in result.stderr


def test_a_send_is_never_redirected(cli, server):
    server.fault(status=307, count=40, path=SEND, body={"errors": "moved"},
                 headers={"Location": server.url + SEND})
    result = cli(*EMAIL)
    result.assert_clean_error(1)
    assert "never redirected" in result.stderr
    assert len([r for r in server.requests(path=SEND) if r["method"] == "POST"]) == 1


def test_reads_follow_a_few_redirects_on_the_same_host_only(cli, server):
    server.fault(status=302, count=1, path=PROJECTS, body={"errors": "moved"},
                 headers={"Location": "/api/projects"})
    result = cli("sandbox", "projects", "list", "-o", "json")
    assert result.code == 0, result
    server.fault(status=302, count=1, path=PROJECTS, body={"errors": "moved"},
                 headers={"Location": "http://attacker.example/api/projects"})
    result = cli("sandbox", "projects", "list", "-o", "json")
    result.assert_clean_error(1)
    assert "another host" in result.stderr
    server.fault(status=307, count=10, path=PROJECTS, body={"errors": "moved"},
                 headers={"Location": "/api/projects"})
    result = cli("sandbox", "projects", "list", "-o", "json")
    result.assert_clean_error(1)
    assert "redirects" in result.stderr


@pytest.mark.parametrize("value", ["-5", "nan", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_meaningless_retry_after_backs_off_normally(cli, server, value):
    server.fault(status=429, count=2, retry_after=value, path=PROJECTS)
    result = cli("sandbox", "projects", "list", "-o", "json",
                 env={"MAILTRAP_RETRY_BACKOFF": "0.2"})
    assert result.code == 0, result
    hits = [r["at"] for r in server.requests(path=PROJECTS)]
    assert len(hits) == 3
    assert hits[1] - hits[0] >= 0.09 and hits[2] - hits[1] >= 0.19   # not "at once"


def test_an_answer_over_the_size_cap_is_refused_before_it_is_read(server):
    client = Client("tok", {"api": server.url})
    client.max_body = 1000
    server.fault(status=200, body="[" + ",".join(["1"] * 5000) + "]",
                 content_type="application/json", path=PROJECTS)
    with pytest.raises(APIError, match="larger than"):
        client.get("api", PROJECTS)
    client.max_body = 64 * 1024 * 1024
    assert isinstance(client.get("api", PROJECTS, expect=list), list)


def test_a_stalled_download_is_cut(server):
    client = Client("tok", {"api": server.url}, timeout=0.5)
    server.fault(status=200, body="x" * 100, content_type="application/octet-stream",
                 path="/api/anything", trickle=1.0)
    response = client.request("GET", "api", "/api/anything", raw=True, stream=True)
    started = time.monotonic()
    with pytest.raises(NetworkError, match="timed out"):
        b"".join(client.iter_body(response, 64 * 1024))
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("body", ["null", '"text"', HTML])
def test_messages_list_refuses_an_answer_that_is_not_a_page(cli, server, body):
    server.fault(status=200, body=body, content_type="application/json",
                 path="/api/sandboxes/1/messages")
    result = cli("sandbox", "messages", "list", "-o", "json")
    result.assert_clean_error(1)
    assert result.stdout == ""


def test_messages_wait_with_a_trickling_server_ends_at_its_timeout(cli, server):
    server.fault(status=200, body="[" + " " * 400 + "]", content_type="application/json",
                 path="/api/sandboxes/1/messages", trickle=0.05, count=100)
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--timeout", "2", "--interval", "0.1")
    assert result.code == 9, result
    assert time.monotonic() - started < 5


def test_a_server_trickling_its_headers_is_cut_at_the_timeout(cli, server):
    server.fault(status=200, body="[]", content_type="application/json", path=PROJECTS,
                 trickle=0.1, trickle_headers=True)
    started = time.monotonic()
    result = cli("--timeout", "1", "sandbox", "projects", "list", "-o", "json")
    result.assert_clean_error(7)
    assert "timed out" in result.stderr
    assert time.monotonic() - started < 4
