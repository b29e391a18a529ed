"""`mailtrap sandbox messages list --follow`: new messages as they arrive."""

from __future__ import annotations

import threading
import time

from mailtrap_cli import waiting
from tests.sandbox_mail import api_requests, make_message, store

LIST = "/api/sandboxes/1/messages"


def test_follow_yields_each_new_message_once_oldest_first():
    box = [{"id": 3}, {"id": 2}]
    now = [0.0]
    polls = []

    def fetch(last_id):
        polls.append(last_id)
        page = [m for m in box if last_id is None or m["id"] < last_id]
        return page[:waiting.PAGE_SIZE]

    def sleep(seconds):
        now[0] += seconds
        if len(polls) == 2:     # after the second poll, 35 arrive at once (two pages)
            box[:0] = [{"id": i} for i in range(38, 3, -1)]

    seen = [m["id"] for m in waiting.follow(fetch, timeout=30, interval=1,
                                            clock=lambda: now[0], sleep=sleep)]
    assert seen == list(range(4, 39))          # not 2 or 3: they were there at the start
    assert now[0] >= 30


def test_follow_streams_jsonl_until_the_timeout(cli, server):
    store(server, make_message(subject="Before"))

    def arrive():
        deadline = time.monotonic() + 10
        while len(api_requests(server, LIST)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        store(server, make_message(subject="First"))
        store(server, make_message(subject="Second"))

    thread = threading.Thread(target=arrive)
    thread.start()
    result = cli("sandbox", "messages", "list", "--follow", "--interval", "0.1",
                 "--timeout", "3")
    thread.join()
    assert result.code == 0, result
    assert [m["subject"] for m in result.jsonl()] == ["First", "Second"]
    assert result.stdout.count("\n") == 2          # JSONL: one object a line


def test_follow_refuses_listing_options(cli, server):
    result = cli("sandbox", "messages", "list", "--follow", "--all")
    result.assert_clean_error(2)
    assert "--follow prints new messages" in result.stderr
