"""`sandbox messages wait`: the pure rules (mailtrap_cli/waiting.py) and the command
against the built-in server, with messages arriving while it waits."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from mailtrap_cli import waiting
from tests.sandbox_mail import api_requests, make_message, store

LIST = "/api/sandboxes/1/messages"
FAST = ("--interval", "0.05")


def msg(ident: int, **fields) -> dict:
    base = {"id": ident, "subject": "Hello", "from_email": "app@example.com",
            "to_email": "bob@example.com", "created_at": "2026-11-26T10:00:00.000Z",
            "smtp_information": {"data": {"rcpt_to_addrs": ["bob@example.com"]}}}
    base.update(fields)
    return base


# -- matching ------------------------------------------------------------------------
def test_filters_match_addresses_whole_and_case_insensitively():
    f = waiting.Filters(to="BOB@example.com")
    assert f.matches(msg(1))
    assert not f.matches(msg(1, to_email="bobby@example.com",
                             smtp_information={"data": {"rcpt_to_addrs": []}}))
    assert f.matches(msg(1, to_email="a@example.com, bob@example.com"))
    cc = msg(1, to_email="a@example.com",
             smtp_information={"data": {"rcpt_to_addrs": ["a@example.com", "bob@example.com"]}})
    assert f.matches(cc)
    assert waiting.Filters(to="Bob <bob@example.com>").matches(msg(1))
    assert waiting.Filters(sender="App@Example.com").matches(msg(1))
    assert not waiting.Filters(sender="other@example.com").matches(msg(1))


def test_filters_subject_substring_regex_and_since():
    assert waiting.Filters(subject="hell").matches(msg(1))
    assert not waiting.Filters(subject="bye").matches(msg(1))
    assert waiting.Filters(subject_regex=re.compile(r"^H.l+o$")).matches(msg(1))
    assert not waiting.Filters(subject_regex=re.compile(r"^h")).matches(msg(1))
    at = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
    assert waiting.Filters(since=at).matches(msg(1))
    assert not waiting.Filters(since=at + timedelta(seconds=1)).matches(msg(1))
    assert waiting.Filters(subject="x", to="y@z.io").search_term() == "x"
    assert waiting.Filters(to="y@z.io").search_term() is None   # Cc/Bcc are not searched
    assert waiting.Filters(sender="y@z.io").search_term() is None


def test_parse_since():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
    assert waiting.parse_since("any") is None
    assert waiting.parse_since("5m", now) == now - timedelta(minutes=5)
    assert waiting.parse_since("90s", now) == now - timedelta(seconds=90)
    assert waiting.parse_since("2h", now) == now - timedelta(hours=2)
    assert waiting.parse_since("2026-11-26T10:00:00Z") == datetime(2026, 11, 26, 10,
                                                                    tzinfo=timezone.utc)
    assert waiting.parse_since("1795000000") == datetime.fromtimestamp(1795000000, timezone.utc)
    assert waiting.parse_since("2026-11-26T10:00:00").tzinfo is not None   # local time
    with pytest.raises(ValueError, match="is not a time"):
        waiting.parse_since("yesterday")


def test_backoff_grows_to_a_cap_and_respects_the_rate_limit():
    backoff = waiting.Backoff(1.0)
    assert [round(backoff.next(), 3) for _ in range(7)] == [1.0, 1.5, 2.25, 3.375, 5.0, 5.0, 5.0]
    assert waiting.Backoff(0.001).next() == pytest.approx(10 / 150)


# -- scanning and the loop (fake pages, fake clock) --------------------------------------
def pages_of(messages: list[dict]):
    """fetch_page over a newest-first list, 30 per page, with last_id."""
    calls = []

    def fetch(last_id):
        calls.append(last_id)
        older = [m for m in messages if last_id is None or m["id"] < last_id]
        return older[:30]

    return fetch, calls


def test_scan_stops_at_the_floor_and_pages_back_with_last_id():
    messages = [msg(i, subject="Wanted" if i == 5 else "Other") for i in range(100, 0, -1)]
    fetch, calls = pages_of(messages)
    found, newest = waiting.scan(fetch, waiting.Filters(subject="wanted"), floor_id=0)
    assert found["id"] == 5 and newest == 100
    assert calls == [None, 71, 41, 11]
    fetch, calls = pages_of(messages)
    found, newest = waiting.scan(fetch, waiting.Filters(subject="wanted"), floor_id=90)
    assert found is None and newest == 100 and calls == [None]


def test_scan_prefers_the_newest_match():
    fetch, _ = pages_of([msg(3), msg(2), msg(1)])
    assert waiting.scan(fetch, waiting.Filters(), 0)[0]["id"] == 3


def test_wait_for_ignores_messages_present_at_start_and_times_out():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    fetch, calls = pages_of([msg(7), msg(6)])
    found = waiting.wait_for(fetch, waiting.Filters(), timeout=10, interval=1,
                             since_start=True, clock=lambda: now[0], sleep=sleep)
    assert found is None
    assert sum(slept) == pytest.approx(10)
    assert slept[:3] == [1, 1.5, 2.25]
    assert len(calls) == 1 + len(slept)


def test_wait_for_returns_a_message_that_arrives_later():
    messages = [msg(7)]
    fetch, _ = pages_of(messages)
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
        if now[0] >= 3:
            messages.insert(0, msg(8, subject="Arrived"))

    found = waiting.wait_for(fetch, waiting.Filters(subject="arrived"), timeout=60, interval=1,
                             since_start=True, clock=lambda: now[0], sleep=sleep)
    assert found["id"] == 8


# -- extraction ----------------------------------------------------------------------
HTML_ONLY = """<html><head><style>p { color: #123456 }</style></head><body>
<p>© 2026 Example. <a href="https://example.com/confirm?token=abc&amp;u=42">Confirm</a></p>
<p>Or <a href='http://example.com/second'>here</a>. <a href="mailto:x@y.z">mail</a></p>
<p>Your code: <b>482913</b></p></body></html>"""
TEXT_ONLY = """Hi Bob,

Visit https://example.com/reset?t=9876543 (valid 24h).
Order 2026-11-26, total $1234, ref ABC12345.
Call 555 123 4567 if it was not you. Your verification code is 7342.
Also https://example.com/second.
"""


def test_links_from_html_only_and_text_only():
    assert waiting.links(None, HTML_ONLY) == ["https://example.com/confirm?token=abc&u=42",
                                              "http://example.com/second"]
    assert waiting.links(TEXT_ONLY, None) == ["https://example.com/reset?t=9876543",
                                              "https://example.com/second"]
    assert waiting.links("see (https://example.com/a_(b)).", None) == [
        "https://example.com/a_(b)"]


def test_codes_from_html_only_and_text_only():
    # Not the #colour, not the year in the footer? The year comes first: it is a
    # standalone 4-digit number, so the text body's order decides.
    assert waiting.codes(None, "<style>p{color:#123456}</style><p>Code: 482913</p>") == [
        "482913"]
    assert waiting.codes(TEXT_ONLY, None) == ["7342"]
    assert waiting.codes("call 555-1234 or 3.14159, code 0042", None) == ["0042"]
    assert waiting.codes("no digits here", "<p>none</p>") == []


# Real-looking mails: the code a person reads is not the first number in them.
REAL_MAILS = [
    # a date and an order number before the code
    ("Order #88231 placed on March 3, 2026.\nYour verification code is 604219.\n", "604219"),
    ("On 2026-03-03 at 14:05 you asked to sign in.\nUse 773401 to sign in: it is your "
     "one-time code.\n", "773401"),
    # a phone number, then the code
    ("Questions? Call +1 (415) 555-0199 or 0800 123 4567.\nOTP: 5521\n", "5521"),
    # a price and a year
    ("Your plan renews at 1299 USD in 2027.\nPIN 8090\n", "8090"),
    # the code split as 123 456
    ("Hi Ann,\nYour Acme security code: 123 456\nIt expires in 10 minutes.\n", "123456"),
    ("Invoice 20261104 is attached.\nVerification code\n482-913\n", "482913"),
    # no keyword: the first number that is not a year, phone, price or reference
    ("© 2026 Acme Inc. Ref 99182311.\nEnter 3141 on the page.\n", "3141"),
]


@pytest.mark.parametrize("text, code", REAL_MAILS)
def test_code_a_person_would_read(text, code):
    assert waiting.codes(text, None)[0] == code


def test_code_in_an_html_table():
    html = """<html><body><table>
<tr><td>Order</td><td>#771203</td></tr>
<tr><td>Date</td><td>12 March 2026</td></tr>
<tr><td>Your sign-in code</td><td><b>390114</b></td></tr>
</table><p>&copy; 2026 Acme, 1 Main St, Springfield 62704</p></body></html>"""
    assert waiting.codes(None, html)[0] == "390114"


def test_regex_extraction_group_or_whole_match():
    pattern = re.compile(r"token=(\w+)")
    assert waiting.regex_matches(pattern, None, HTML_ONLY) == ["abc"]
    assert waiting.regex_matches(re.compile(r"ABC\d+"), TEXT_ONLY, None) == ["ABC12345"]


def test_extractor_fetches_only_what_it_needs():
    fetched = []

    def text():
        fetched.append("text")
        return "code 123456"

    def html():
        fetched.append("html")
        return "<p>654321</p>"

    assert waiting.Extractor.parse("code").run(text, html) == ["123456"]
    assert fetched == ["text"]
    with pytest.raises(re.error):
        waiting.Extractor.parse("(unclosed")


# -- the command against the server ---------------------------------------------------------
def after_polls(server, count: int, action, timeout: float = 10.0) -> threading.Thread:
    """Run `action` once the server has answered `count` message listings."""

    def run():
        deadline = time.monotonic() + timeout
        while len(api_requests(server, LIST)) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_wait_returns_a_message_that_arrives_while_waiting(cli, server):
    store(server, make_message(subject="Welcome old", to="new@example.com"))
    new_id = []
    thread = after_polls(server, 2, lambda: new_id.append(
        store(server, make_message(subject="Welcome new", to="new@example.com"))))
    result = cli("sandbox", "messages", "wait", "--to", "new@example.com", "--subject",
                 "welcome", *FAST, "--timeout", "10", "-o", "json")
    thread.join()
    assert result.code == 0, result
    assert result.json()["id"] == new_id[0]
    assert result.json()["subject"] == "Welcome new"
    assert result.stderr == ""
    queries = [e["query"] for e in api_requests(server, LIST)]
    assert all(q.get("search") == "welcome" for q in queries)


def test_wait_never_matches_older_messages_and_times_out_with_exit_9(cli, server):
    store(server, make_message(subject="Reset your password", to="u@example.com"))
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--to", "u@example.com", *FAST,
                 "--timeout", "0.3")
    assert time.monotonic() - started < 5
    assert result.code == 9
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        "error: no message matching to=u@example.com arrived within 0.3s")
    assert "--since any" in result.stderr


def test_wait_ignores_new_messages_that_do_not_match(cli, server):
    thread = after_polls(server, 2, lambda: store(server, make_message(subject="Other")))
    result = cli("sandbox", "messages", "wait", "--subject-regex", "^Invoice #\\d+$", *FAST,
                 "--timeout", "0.5")
    thread.join()
    assert result.code == 9
    assert "subject matching /^Invoice #\\d+$/" in result.stderr


def test_wait_since_any_and_since_a_time_accept_older_messages(cli, server):
    old = store(server, make_message(subject="Already here"))
    result = cli("sandbox", "messages", "wait", "--since", "any", "--timeout", "0", "-o", "json")
    assert result.code == 0 and result.json()["id"] == old
    recent = cli("sandbox", "messages", "wait", "--since", "10m", "--timeout", "0", "-o", "json")
    assert recent.code == 0 and recent.json()["id"] == old
    future = cli("sandbox", "messages", "wait", "--since", "2999-01-01T00:00:00Z",
                 "--timeout", "0")
    assert future.code == 9


def test_wait_extracts_a_link_from_an_html_only_message(cli, server):
    thread = after_polls(server, 2, lambda: store(server, make_message(
        subject="Confirm", text=None, html=HTML_ONLY)))
    result = cli("sandbox", "messages", "wait", "--subject", "Confirm", "--extract", "link",
                 *FAST, "--timeout", "10")
    thread.join()
    assert result.code == 0, result
    assert result.stdout == "https://example.com/confirm?token=abc&u=42\n"


def test_wait_extracts_a_code_from_a_text_only_message(cli, server):
    store(server, make_message(subject="Your code", text=TEXT_ONLY))
    result = cli("sandbox", "messages", "wait", "--since", "any", "--extract", "code",
                 "--timeout", "0")
    assert result.code == 0, result
    assert result.stdout == "7342\n"
    both = cli("sandbox", "messages", "wait", "--since", "any", "--extract", "link",
               "--all-matches", "--timeout", "0")
    assert both.stdout.splitlines() == ["https://example.com/reset?t=9876543",
                                        "https://example.com/second"]
    as_json = cli("sandbox", "messages", "wait", "--since", "any", "--extract",
                  r"ref (\w+)", "--timeout", "0", "-o", "json")
    assert as_json.json() == ["ABC12345"]
    # A text-only message: the HTML body is never asked for.
    assert api_requests(server, "/api/sandboxes/1/messages/1/body.html") == []


def test_one_wait_extracts_several_values(cli, server):
    store(server, make_message(subject="Confirm", text=None, html=HTML_ONLY))
    args = ("sandbox", "messages", "wait", "--since", "any", "--timeout", "5",
            "--extract", "link", "--extract", "code")
    result = cli(*args)
    assert result.code == 0, result
    assert result.stdout == "https://example.com/confirm?token=abc&u=42\n482913\n"
    as_json = cli(*args, "--extract", r"token=(\w+)", "-o", "json")
    assert as_json.json() == {"link": "https://example.com/confirm?token=abc&u=42",
                              "code": "482913", r"token=(\w+)": "abc"}
    every = cli(*args, "--all-matches", "-o", "json")
    assert every.json()["link"] == ["https://example.com/confirm?token=abc&u=42",
                                    "http://example.com/second"]
    # Each body is fetched once, whatever is extracted from it.
    assert len(api_requests(server, "/api/sandboxes/1/messages/1/body.html")) == 3


def test_wait_extract_with_nothing_to_extract_fails_clearly(cli, server):
    mid = store(server, make_message(text="no numbers at all"))
    result = cli("sandbox", "messages", "wait", "--since", "any", "--extract", "code",
                 "--timeout", "0")
    assert result.code == 1
    assert f"error: message {mid} matched but has no 4-8 digit code in its body" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("--extract", "(unclosed"), "error: --extract (unclosed: invalid regex"),
    (("--subject-regex", "[x"), "error: --subject-regex: invalid regex"),
    (("--all-matches",), "error: --all-matches needs --extract"),
    (("--since", "last tuesday"), "error: --since: 'last tuesday' is not a time"),
])
def test_wait_bad_input_is_a_usage_error_before_any_request(cli, server, args, message):
    result = cli("sandbox", "messages", "wait", *args)
    assert result.code == 2
    assert result.stderr.startswith(message)
    assert api_requests(server, "/api/") == []


def test_wait_polls_within_the_rate_limit(cli, server):
    server.configure(rate_limit=[150, 10])
    result = cli("sandbox", "messages", "wait", "--interval", "0.01", "--timeout", "0.6")
    assert result.code == 9
    polls = api_requests(server, LIST)
    assert 2 <= len(polls) <= 0.6 * 15 + 2
    assert all(e["status"] == 200 for e in polls)


def test_wait_timeout_flag_is_the_wait_not_the_http_timeout(cli, server):
    result = cli("sandbox", "messages", "wait", "--timeout", "0.2", *FAST)
    assert result.code == 9
    assert "within 0.2s" in result.stderr


def test_end_to_end_send_email_to_the_sandbox_then_extract(cli, server, tmp_path):
    report = tmp_path / "report.txt"
    report.write_text("numbers 111111\n")
    sent = cli("send", "email", "--sandbox", "1", "--from", "App <app@example.com>",
               "--to", "New User <new@example.com>", "--subject", "Verify your account",
               "--html", '<p>Code <b>918273</b>, or <a href="https://example.com/v?c=918273&amp;'
               'u=1">verify</a></p>', "--attach", str(report), "-o", "json")
    assert sent.code == 0, sent
    wait = ("sandbox", "messages", "wait", "--to", "NEW@example.com", "--subject", "verify",
            "--since", "1m", "--timeout", "0")
    message = cli(*wait, "-o", "json")
    assert message.code == 0, message
    assert message.json()["to_name"] == "New User"
    assert cli(*wait, "--extract", "code").stdout == "918273\n"
    assert cli(*wait, "--extract", "link").stdout == "https://example.com/v?c=918273&u=1\n"
    saved = cli("sandbox", "attachments", "download", str(message.json()["id"]),
                "--dir", str(tmp_path / "out"), "-o", "json")
    assert saved.code == 0, saved
    assert (tmp_path / "out" / "report.txt").read_text() == "numbers 111111\n"


def test_a_slow_api_does_not_hold_the_wait_past_its_timeout(cli, server):
    """Each poll and its retries are bounded by --timeout: an API that answers in
    5 s ends a 1 s wait as a time-out (exit 9), not after 5 s (or 30 s and retries)."""
    server.configure(latency=5)
    started = time.monotonic()
    result = cli("sandbox", "messages", "wait", "--timeout", "1", "--interval", "0.05")
    elapsed = time.monotonic() - started
    server.configure(latency=0)
    assert result.code == 9, result
    assert result.stderr.startswith("error: no answer from the API within 1s"), result
    assert elapsed < 4, f"the wait ran {elapsed:.1f}s past a 1 s timeout"


def test_timeout_zero_still_extracts_from_a_match_already_there(cli, server):
    store(server, make_message(subject="Code", text="your code is 482913"))
    result = cli("sandbox", "messages", "wait", "--since", "any", "--timeout", "0",
                 "--extract", "code")
    assert result.code == 0, result
    assert result.stdout.strip() == "482913"
