"""`messages wait` against a flaky API and hostile bodies (issue 8): the "new since
the start" baseline survives a retried first poll, transient failures are polled
again within --timeout, and link extraction is linear in the body."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from mailtrap_cli import waiting
from mailtrap_cli.api.errors import APIError, AuthError, NetworkError, NotFoundError

START = datetime(2026, 12, 1, 10, 0, 0, tzinfo=timezone.utc)


def msg(ident, at, subject="Hello"):
    return {"id": ident, "subject": subject, "created_at": at.isoformat()}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_a_message_that_arrived_while_the_first_poll_was_retried_is_found():
    clock = Clock()
    old = msg(7, START - timedelta(minutes=5))
    new = msg(8, START + timedelta(seconds=0.7), subject="Reset")

    def first_poll():
        clock.sleep(2.0)   # two 503s and their backoff, inside the client
        return [new, old], 3, START + timedelta(seconds=2)

    found = waiting.wait_for(lambda last_id: [new, old], waiting.Filters(subject="reset"),
                             timeout=8, interval=1, since_start=True, clock=clock,
                             sleep=clock.sleep, first_poll=first_poll)
    assert found is not None and found["id"] == 8


def test_a_first_poll_on_its_first_attempt_keeps_the_id_boundary():
    clock = Clock()
    there = msg(8, START - timedelta(seconds=0.2), subject="Reset")
    found = waiting.wait_for(lambda last_id: [there], waiting.Filters(subject="reset"),
                             timeout=3, interval=1, since_start=True, clock=clock,
                             sleep=clock.sleep,
                             first_poll=lambda: ([there], 1, START))
    assert found is None


def test_a_first_poll_that_failed_then_answered_does_not_take_new_mail_for_old():
    clock = Clock()
    calls = []
    new = msg(8, START + timedelta(seconds=1), subject="Reset")

    def first_poll():
        calls.append(clock.now)
        if len(calls) < 3:
            raise NetworkError("cannot reach the API: connection refused")
        return [new], 1, START + timedelta(seconds=clock.now)

    found = waiting.wait_for(lambda last_id: [new], waiting.Filters(subject="reset"),
                             timeout=10, interval=1, since_start=True, clock=clock,
                             sleep=clock.sleep, first_poll=first_poll)
    assert found is not None and found["id"] == 8 and len(calls) == 3


@pytest.mark.parametrize("error", [NetworkError("dropped"), APIError("HTTP 500", status=500),
                                   APIError("HTTP 200 with HTML", status=200)])
def test_transient_failures_are_polled_again_within_the_timeout(error):
    clock = Clock()
    answers = [[msg(1, START)], error, error, [msg(2, START, "Reset"), msg(1, START)]]
    errors = []

    def fetch(last_id):
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    found = waiting.wait_for(fetch, waiting.Filters(subject="reset"), timeout=30, interval=1,
                             since_start=True, clock=clock, sleep=clock.sleep,
                             on_error=errors.append)
    assert found["id"] == 2 and len(errors) == 2


def test_transient_failures_until_the_timeout_end_as_a_timeout():
    clock = Clock()

    def fetch(last_id):
        raise NetworkError("dropped")

    assert waiting.wait_for(fetch, waiting.Filters(), timeout=5, interval=1, since_start=True,
                            clock=clock, sleep=clock.sleep) is None
    assert clock.now == pytest.approx(5)


@pytest.mark.parametrize("error", [AuthError("HTTP 401", status=401),
                                   NotFoundError("HTTP 404", status=404)])
def test_auth_and_not_found_end_the_wait_at_once(error):
    clock = Clock()

    def fetch(last_id):
        raise error

    with pytest.raises(type(error)):
        waiting.wait_for(fetch, waiting.Filters(), timeout=30, interval=1, since_start=False,
                         clock=clock, sleep=clock.sleep)
    assert clock.now == 0


@pytest.mark.parametrize("junk", ["<script ", "<a href=\"", "<", "<!--", "<a ", "<style>x"])
def test_link_extraction_is_linear_in_the_body(junk):
    html = junk * (400_000 // len(junk)) + '<a href="https://example.com/ok">ok</a>'
    started = time.process_time()
    found = waiting.links(None, html)
    waiting.html_to_text(html)
    assert time.process_time() - started < 2
    if junk in ("<", "<a "):
        assert "https://example.com/ok" in found


def test_html_to_text_still_hides_scripts_comments_and_breaks_lines():
    html = ("<head><title>T</title></head><SCRIPT>var a = '<p>1234</p>';</script >"
            "<!-- 5678 --><p>one</p><p>two<br/>three</p>")
    text = waiting.html_to_text(html)
    assert "1234" not in text and "5678" not in text and "T" not in text.split()
    assert [line.strip() for line in text.split("\n")[:3]] == ["one", "two", "three"]


# -- the command against the server ---------------------------------------------------
LIST = "/api/sandboxes/1/messages"


def _later(seconds, action):
    import threading

    timer = threading.Timer(seconds, action)
    timer.daemon = True
    timer.start()
    return timer


@pytest.mark.no_spec_check
def test_wait_finds_a_message_that_arrived_while_its_first_poll_was_retried(cli, server):
    from tests.sandbox_mail import make_message, store

    store(server, make_message(subject="Reset old"))
    server.fault(status=503, count=2, path=LIST)
    timer = _later(0.7, lambda: store(server, make_message(subject="Reset new")))
    result = cli("sandbox", "messages", "wait", "--subject", "Reset", "--timeout", "8",
                 "--interval", "0.1", "-o", "json", env={"MAILTRAP_RETRY_BACKOFF": "0.6"})
    timer.join()
    assert result.code == 0, result
    assert result.json()["subject"] == "Reset new"


@pytest.mark.no_spec_check
def test_wait_polls_again_after_a_500_and_a_dropped_connection(cli, server):
    from tests.sandbox_mail import make_message, store

    server.fault(status=500, count=1, path=LIST)
    server.fault(drop=True, count=1, path=LIST)
    server.fault(status=200, body="<html>portal</html>", content_type="text/html", count=1,
                 path=LIST)
    timer = _later(0.5, lambda: store(server, make_message(subject="Welcome")))
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--subject", "Welcome", "--timeout", "10",
                 "--interval", "0.1", "-o", "json", env={"MAILTRAP_RETRY_ATTEMPTS": "1"})
    timer.join()
    assert result.code == 0, result
    assert result.json()["subject"] == "Welcome"
    assert time.monotonic() - started < 8
    assert "polling again" in result.stderr


def test_wait_ends_at_once_on_auth_failure(cli, server):
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--timeout", "10",
                 env={"MAILTRAP_API_TOKEN": "invalid-token"})
    result.assert_clean_error(4)
    assert time.monotonic() - started < 3


@pytest.mark.no_spec_check
def test_wait_that_only_met_failures_times_out_naming_them(cli, server):
    server.fault(status=500, count=1000, path=LIST)
    result = cli("sandbox", "messages", "wait", "--timeout", "1", "--interval", "0.1")
    assert result.code == 9, result
    last = result.stderr.splitlines()[-2:]
    assert last[0].startswith("error: no new message arrived within 1s"), result
    assert "poll(s) failed" in last[1] and "HTTP 500" in last[1]
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


def test_a_failure_whose_next_try_falls_past_the_timeout_ends_the_wait_with_it():
    clock = Clock()
    limited = NetworkError("HTTP 429 (gave up after 1 attempt)")
    limited.retry_in = 5.0

    def fetch(last_id):
        raise limited

    with pytest.raises(NetworkError):
        waiting.wait_for(fetch, waiting.Filters(), timeout=3, interval=1, since_start=False,
                         clock=clock, sleep=clock.sleep)
    assert clock.now == 0


def test_a_failure_asking_for_a_pause_within_the_timeout_is_honoured():
    clock = Clock()
    calls = []
    slow = NetworkError("HTTP 429")
    slow.retry_in = 2.5

    def fetch(last_id):
        calls.append(clock.now)
        if len(calls) == 1:
            raise slow
        return [msg(1, START)]

    found = waiting.wait_for(fetch, waiting.Filters(), timeout=10, interval=0.1,
                             since_start=False, clock=clock, sleep=clock.sleep)
    assert found["id"] == 1 and calls[1] - calls[0] >= 2.5
