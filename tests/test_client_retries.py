"""Retries, counted on the server: what is retried, how often, and what never is.

DESIGN.md, HTTP behaviour: idempotent calls retry on 429/502/503/504 and on
connection errors; sends (POST) retry on 429 only; a send that got a 5xx or
lost its connection is "unknown outcome" and is never resent.
"""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from mailtrap_cli.api.client import RetryPolicy, retry_after_seconds
from mailtrap_cli.api.errors import APIError

ACCOUNTS = "/api/accounts"
SEND = "/api/send"
# A send body valid for the API, so a success is a real one.
SEND_ARGS = ("api", "POST", SEND, "--host", "send",
             "-F", 'from={"email": "app@example.com"}',
             "-F", 'to=[{"email": "user@example.com"}]',
             "-F", "subject=Hello", "-F", "text=Hi there")
ATTEMPTS = 5   # README: "at most 5 tries" (a literal: a changed default must fail here)


def _count(server, path: str) -> int:
    return len(server.requests(path=path))


# -- Retry-After parsing ---------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    ("0", 0.0), ("3", 3.0), (" 7 ", 7.0), ("1.5", 1.5),
    (None, None), ("", None), ("soon", None),
    # No usable hint: back off normally, never "retry at once" five times.
    ("-4", None), ("-5", None), ("nan", None), ("inf", None), ("-inf", None),
])
def test_retry_after_seconds_delta(value, expected):
    assert retry_after_seconds(value) == expected


def test_retry_after_seconds_http_date():
    now = 1_700_000_000.0
    assert retry_after_seconds(formatdate(now + 90, usegmt=True), now=now) == pytest.approx(90)
    # A date in the past is no hint: the normal backoff applies, not "at once".
    assert retry_after_seconds(formatdate(now - 90, usegmt=True), now=now) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) is None


def test_retry_after_seconds_http_date_without_zone_is_utc(monkeypatch):
    """`-0000` parses to a naive datetime; it must not be read as local time."""
    now = 1_700_000_000.0
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        value = formatdate(now + 90)
        assert value.endswith("-0000")
        assert retry_after_seconds(value, now=now) == pytest.approx(90)
    finally:
        monkeypatch.undo()
        time.tzset()


# -- idempotent calls --------------------------------------------------------
@pytest.mark.parametrize("retry_after", ["0", formatdate(time.time() - 60, usegmt=True)],
                         ids=["seconds", "http-date"])
def test_get_retried_after_429_then_succeeds(cli, server, retry_after):
    server.fault(status=429, count=2, retry_after=retry_after, path=ACCOUNTS)
    result = cli("api", ACCOUNTS)
    assert result.code == 0, result
    assert result.json()[0]["id"] == 1
    assert _count(server, ACCOUNTS) == 3
    assert [e["status"] for e in server.requests(path=ACCOUNTS)] == [429, 429, 200]
    assert result.stderr.count("retry: HTTP 429") == 2


def test_get_retried_after_503_then_succeeds(cli, server):
    server.fault(status=503, count=1, path=ACCOUNTS)
    result = cli("api", ACCOUNTS)
    assert result.code == 0, result
    assert _count(server, ACCOUNTS) == 2


@pytest.mark.parametrize("status", [502, 504])
def test_get_retried_after_gateway_errors(cli, server, status):
    server.fault(status=status, count=1, path=ACCOUNTS)
    result = cli("api", ACCOUNTS)
    assert result.code == 0, result
    assert _count(server, ACCOUNTS) == 2


def test_get_500_is_not_retried(cli, server):
    server.fault(status=500, count=1, path=ACCOUNTS)
    result = cli("api", ACCOUNTS)
    assert result.code == 1, result
    assert _count(server, ACCOUNTS) == 1
    assert result.stderr.startswith("error: GET /api/accounts: HTTP 500")


def test_get_retried_after_dropped_connection(cli, server):
    server.fault(drop=True, count=1, path=ACCOUNTS)
    result = cli("api", ACCOUNTS)
    assert result.code == 0, result
    assert _count(server, ACCOUNTS) == 2
    assert "retry: the connection was closed without an answer" in result.stderr


def test_get_dropped_every_time_is_a_network_error(cli, server):
    server.fault(drop=True, count=100, path=ACCOUNTS)
    result = cli("api", ACCOUNTS)
    assert result.code == 7, result
    assert _count(server, ACCOUNTS) == ATTEMPTS
    assert "error: cannot reach http://127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr


# -- rate limiting: bounded, and never a long sleep ---------------------------
def test_429_forever_gives_up_with_exit_6(cli, server):
    server.fault(status=429, count=100, retry_after="0", path=ACCOUNTS)
    result = cli("api", ACCOUNTS)
    assert result.code == 6, result
    assert _count(server, ACCOUNTS) == ATTEMPTS
    assert f"HTTP 429: Rate limit exceeded (gave up after {ATTEMPTS} attempts)" in result.stderr
    assert result.stdout == ""


def test_429_attempts_follow_the_policy(cli, server):
    server.fault(status=429, count=100, retry_after="0", path=ACCOUNTS)
    result = cli("api", ACCOUNTS, env={"MAILTRAP_RETRY_ATTEMPTS": "2"})
    assert result.code == 6, result
    assert _count(server, ACCOUNTS) == 2


@pytest.mark.parametrize("retry_after", ["3600", formatdate(time.time() + 3600, usegmt=True)],
                         ids=["seconds", "http-date"])
def test_retry_after_beyond_the_cap_gives_up_at_once(cli, server, retry_after):
    server.fault(status=429, count=5, retry_after=retry_after, path=ACCOUNTS)
    started = time.monotonic()
    result = cli("api", ACCOUNTS)
    assert time.monotonic() - started < 5
    assert result.code == 6, result
    assert _count(server, ACCOUNTS) == 1
    assert "error: GET /api/accounts: HTTP 429" in result.stderr
    assert "more than the 30s limit" in result.stderr
    assert "retry:" not in result.stderr


def test_backoff_without_retry_after_grows_and_is_bounded(server):
    """Exponential backoff with jitter, each wait within [cap/2, cap], the total capped."""
    from mailtrap_cli.api.client import Client

    slept: list[float] = []
    policy = RetryPolicy(attempts=6, backoff=0.5, max_sleep=30.0, max_total=60.0)
    client = Client("tok", {"api": server.url}, retry=policy, sleep=slept.append)
    server.fault(status=503, count=100, path=ACCOUNTS)
    with pytest.raises(APIError) as info:
        client.get("api", ACCOUNTS)
    client.close()
    assert info.value.status == 503
    assert len(slept) == 5 == _count(server, ACCOUNTS) - 1
    for n, delay in enumerate(slept):
        cap = 0.5 * 2 ** n
        assert cap / 2 <= delay <= cap

    slept.clear()
    server.requests()  # the log keeps growing; count from here
    before = _count(server, ACCOUNTS)
    policy = RetryPolicy(attempts=50, backoff=1.0, max_sleep=4.0, max_total=10.0)
    client = Client("tok", {"api": server.url}, retry=policy, sleep=slept.append)
    with pytest.raises(APIError):
        client.get("api", ACCOUNTS)
    client.close()
    assert all(d <= 4.0 for d in slept)
    assert sum(slept) <= 10.0
    assert len(slept) < 49
    assert _count(server, ACCOUNTS) - before == len(slept) + 1


# -- sends: never resent when the outcome is unknown ---------------------------
def test_send_not_retried_after_503(cli, server):
    server.fault(status=503, count=5, path=SEND)
    result = cli(*SEND_ARGS)
    assert result.code == 1, result
    assert _count(server, SEND) == 1
    assert "outcome is unknown" in result.stderr
    assert "retry:" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("after", [True, False], ids=["after-processing", "before-processing"])
def test_send_not_retried_after_dropped_connection(cli, server, after):
    server.fault(drop=True, after=after, count=5, path=SEND)
    result = cli(*SEND_ARGS)
    assert result.code == 7, result
    assert _count(server, SEND) == 1
    assert "outcome is unknown" in result.stderr
    assert "not retried" in result.stderr
    assert "retry:" not in result.stderr


def test_send_retried_after_429(cli, server):
    server.fault(status=429, count=1, retry_after="0", path=SEND)
    result = cli(*SEND_ARGS)
    assert _count(server, SEND) == 2
    assert result.code == 0, result
    assert result.json()["success"] is True


def test_send_429_forever_gives_up_with_exit_6(cli, server):
    server.fault(status=429, count=100, retry_after="0", path=SEND)
    result = cli(*SEND_ARGS)
    assert result.code == 6, result
    assert _count(server, SEND) == ATTEMPTS


def test_send_to_a_closed_port_is_retried_and_exits_7(cli, server, unused_port):
    """Connection refused: nothing left the machine, so a retry is safe even for a send."""
    result = cli(*SEND_ARGS, env={"MAILTRAP_BASE_URL": f"http://127.0.0.1:{unused_port}"})
    assert result.code == 7, result
    assert "connection refused" in result.stderr
    assert result.stderr.count("retry: connection refused") == ATTEMPTS - 1
    assert "outcome" not in result.stderr


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- timeouts ------------------------------------------------------------------
def _await_requests(server, path: str, count: int, deadline: float = 10.0) -> int:
    """The server logs a request once its handler finished: poll, don't sleep blindly."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        seen = _count(server, path)
        if seen >= count:
            return seen
        time.sleep(0.02)
    return _count(server, path)


def test_get_read_timeout_is_retried_then_exit_7(cli, server):
    server.configure(latency=0.4)
    result = cli("api", ACCOUNTS, "--timeout", "0.1", env={"MAILTRAP_RETRY_ATTEMPTS": "2"})
    assert result.code == 7, result
    assert "no answer before the read timeout" in result.stderr
    assert result.stderr.count("retry: no answer before the read timeout") == 1
    assert _await_requests(server, ACCOUNTS, 2) == 2


def test_send_read_timeout_is_not_retried_and_exits_7(cli, server):
    server.configure(latency=0.4)
    result = cli(*SEND_ARGS, "--timeout", "0.1")
    assert result.code == 7, result
    assert "no answer before the read timeout; the outcome is unknown" in result.stderr
    assert "retry:" not in result.stderr
    assert _await_requests(server, SEND, 1) == 1
    server.configure(latency=0)
    # One more request to the server flushes anything still in flight.
    assert cli("api", ACCOUNTS).code == 0
    assert _count(server, SEND) == 1
