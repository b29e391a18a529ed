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
    result.assert_clean_error(6)
    assert len(arrivals.of("GET", MESSAGES)) == 1


def test_a_poll_interval_longer_than_the_wait_is_cut_short(cli, server, arrivals):
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--timeout", "1", "--interval", "30")
    elapsed = time.monotonic() - started
    assert result.code == 9, result
    assert 1 <= elapsed < 4, elapsed
    assert 1 <= len(arrivals.of("GET", MESSAGES)) <= 3


def test_backoff_between_failed_polls_stays_inside_the_wait(cli, server, arrivals):
    """503s are retried with backoff; none of that may carry the wait past --timeout."""
    server.fault(status=503, count=1000, path=MESSAGES)
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--timeout", "1",
                 env={"MAILTRAP_RETRY_BACKOFF": "0.8"})
    elapsed = time.monotonic() - started
    assert result.code in (1, 9), result
    assert elapsed < 3, elapsed
