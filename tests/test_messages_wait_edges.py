"""`messages wait` edges: Cc/Bcc recipients, non-ASCII case, a burst of new mail,
out-of-range --since, NaN and infinite waits."""

from __future__ import annotations

import pytest

from tests.sandbox_mail import make_message, store


def test_wait_to_matches_a_cc_or_bcc_recipient_without_a_subject(cli, server):
    # --to also counts envelope recipients (Cc/Bcc), so the listing must not be
    # narrowed by `search=` (which only looks at subject, to_email, to_name).
    mid = store(server, make_message(subject="Reset", to="other@example.com"),
                smtp_from="app@example.com",
                smtp_to=["other@example.com", "hidden@example.com"])
    result = cli("sandbox", "messages", "wait", "--to", "hidden@example.com",
                 "--since", "any", "--timeout", "0", "-o", "json")
    assert result.code == 0, result
    assert result.json()["id"] == mid


def test_search_and_wait_subject_are_case_insensitive_beyond_ascii(cli, server):
    mid = store(server, make_message(subject="Über café"))
    store(server, make_message(subject="Other"))
    found = cli("sandbox", "messages", "list", "--search", "ÜBER CAFÉ", "-o", "json")
    assert found.code == 0, found
    assert [m["id"] for m in found.json()] == [mid]
    waited = cli("sandbox", "messages", "wait", "--subject", "über", "--since", "any",
                 "--timeout", "0", "-o", "json")
    assert waited.code == 0, waited
    assert waited.json()["id"] == mid


def test_wait_finds_a_match_behind_a_burst_of_more_than_300_new_messages():
    """A load test sends 400 mails right after the wanted one: the first poll can
    only look at 300 of them; the rest must still be looked at on later polls."""
    from mailtrap_cli import waiting
    from tests.test_messages_wait import msg, pages_of

    messages = [msg(1, subject="Old")]
    fetch, calls = pages_of(messages)
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
        if len(messages) == 1:   # during the first pause: the wanted one, then a burst
            burst = [msg(2, subject="Wanted")] + [msg(i, subject="Noise")
                                                 for i in range(3, 403)]
            messages[:0] = list(reversed(burst))

    found = waiting.wait_for(fetch, waiting.Filters(subject="wanted"), timeout=30,
                             interval=1, since_start=True, clock=lambda: now[0], sleep=sleep)
    assert found is not None and found["id"] == 2
    assert len(calls) <= 1 + 14      # the first poll, then every page once


@pytest.mark.parametrize("value", ["99999999999999999999", "1795000000000", "9" * 400,
                                   "3000000d", "99999999999d", "1" + "0" * 40 + "s"])
def test_wait_since_out_of_range_numbers_are_usage_errors(cli, server, value):
    result = cli("sandbox", "messages", "wait", "--since", value, "--timeout", "0")
    assert result.code == 2, result
    assert result.stderr.startswith(f"error: --since: '{value}' is out of range")
    assert server.requests(path="/api/sandboxes/1/messages") == []


@pytest.mark.parametrize("args", [
    ("messages", "wait", "--timeout", "nan"), ("messages", "wait", "--interval", "nan"),
    ("smtp-test", "--timeout", "nan"), ("smtp-test", "--timeout", "inf")])
def test_nan_and_infinite_waits_are_usage_errors(cli, server, args):
    result = cli("sandbox", *args)
    assert result.code == 2, result
    assert result.stderr.startswith("error: ")
    assert "unexpected" not in result.stderr

