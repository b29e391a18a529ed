"""`sandbox messages wait --timeout N` ends at N seconds, whatever the API does:
no poll interval, Retry-After or retry sleeps past it (the unit tests in
test_messages_wait.py show the sleeps; these time the real command)."""

from __future__ import annotations

import time

MESSAGES = "/api/sandboxes/1/messages"


def test_a_retry_after_longer_than_the_wait_is_not_slept(cli, server, arrivals):
    server.fault(status=429, count=100, retry_after="5", path=MESSAGES)
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--timeout", "1")
    elapsed = time.monotonic() - started
    assert elapsed < 3, f"the wait ran {elapsed:.1f}s past a 1 s timeout"
    # A 429 during a wait is retried within --timeout (never past it): the wait
    # ends as a time-out, naming the failed polls.
    assert result.code == 9, result
    assert "\nerror: no answer from the API within 1s" in result.stderr
    assert "429" in result.stderr
    assert 1 <= len(arrivals.of("GET", MESSAGES)) <= 3


def test_a_poll_interval_longer_than_the_wait_is_cut_short(cli, server, arrivals):
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--timeout", "1", "--interval", "30")
    elapsed = time.monotonic() - started
    assert result.code == 9, result
    assert 1 <= elapsed < 4, elapsed
    assert 1 <= len(arrivals.of("GET", MESSAGES)) <= 3


def test_a_backoff_longer_than_the_wait_is_not_slept(cli, server, arrivals):
    """A 503 is retried after 10-20 s here (backoff 20 s with jitter): far more than
    the 1 s the wait has, so that sleep is cut to what is left and the wait ends as a
    time-out."""
    server.fault(status=503, count=1000, path=MESSAGES)
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--timeout", "1",
                 env={"MAILTRAP_RETRY_BACKOFF": "20"})
    elapsed = time.monotonic() - started
    assert result.code == 9, result
    assert "error: no new message arrived within 1s" in result.stderr
    assert "503" in result.stderr
    assert elapsed < 5, elapsed   # one backoff sleep would be 10 s or more
    assert 1 <= len(arrivals.of("GET", MESSAGES)) <= 3


def test_each_request_gets_no_more_time_than_the_wait_has_left(cli, server, monkeypatch):
    """The HTTP time-outs shrink to the wait's --timeout (not 10 s / 30 s)."""
    from requests.adapters import HTTPAdapter

    given: list = []
    original = HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        given.append(kwargs.get("timeout"))
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", send)
    result = cli("sandbox", "messages", "wait", "--timeout", "1", "--interval", "0.2")
    assert result.code == 9, result
    assert given and all(connect <= 1 and read <= 1 for connect, read in given), given
