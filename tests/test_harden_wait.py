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
