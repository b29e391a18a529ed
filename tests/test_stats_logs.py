"""`mailtrap stats ...` and `mailtrap logs ...` against real traffic on the built-in server."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from mailtrap_cli.local.router import Request
from tests.memory_probe import peak_kib

# 60 list requests a minute would make 400 pages take 7 minutes: pacing is tested below.
UNPACED = "email_logs_list=off,token=off"
SEND = ["send", "email", "--from", "App <app@example.com>", "--text", "hello"]


def _traffic(cli):
    assert cli(*SEND, "--to", "ann@gmail.com", "--to", "bob+click@yahoo.com",
               "--subject", "Welcome aboard", "--category", "welcome").code == 0
    assert cli(*SEND, "--to", "bounce@customer.test", "--subject", "Reset your password",
               "--category", "reset").code == 0


# -- stats --------------------------------------------------------------------------
def test_stats_summary_json_untouched_and_table_in_percent(cli, server):
    _traffic(cli)
    raw = cli("stats", "summary", "-o", "json")
    assert raw.code == 0
    assert raw.json() == server.call("GET", "/api/stats", params={
        "start_date": (date.today() - timedelta(days=29)).isoformat(),
        "end_date": date.today().isoformat()}).json()
    assert raw.json()["delivery_count"] == 2 and raw.json()["bounce_rate"] == 0.3333
    table = cli("stats", "summary", "-o", "table")
    assert "2 (66.7%)" in table.stdout and "1 (33.3%)" in table.stdout
    query = server.requests(path="/api/stats")[-1]["query"]
    assert query["start_date"] == (date.today() - timedelta(days=29)).isoformat()


def test_stats_groups_and_filters(cli, server):
    _traffic(cli)
    cats = cli("stats", "categories", "--from", "7d", "--category", "reset", "-o", "json")
    assert [c["category"] for c in cats.json()] == ["reset"]
    assert server.requests(path="/api/stats/categories")[-1]["query"]["categories[]"] == "reset"
    esps = cli("stats", "esps", "-o", "json").json()
    assert {e["email_service_provider"] for e in esps} == {"Google", "Yahoo", "Other"}
    doms = cli("stats", "domains", "--stream", "transactional", "-o", "json")
    assert doms.code == 0 and doms.json()[0]["stats"]["delivery_count"] == 2
    cli("stats", "summary", "--stream", "nope").assert_clean_error(2)
    cli("stats", "summary", "--from", "soon").assert_clean_error(2)
    cli("stats", "summary", "--from", "2026-02-01", "--to", "2026-01-01").assert_clean_error(2)


def test_stats_dates_chart_on_a_table(cli, server):
    _traffic(cli)
    table = cli("stats", "dates", "--from", "2d", "-o", "table")
    assert table.code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["DATE", "DELIVERED", "BOUNCED", "OPENED"]
    today = [line for line in lines if line.startswith(date.today().isoformat())][0]
    assert "█" in today
    data = cli("stats", "dates", "--from", "2d", "-o", "json").json()
    assert [d["date"] for d in data][-1] == date.today().isoformat() and len(data) == 3
    assert "█" not in cli("stats", "dates", "--from", "2d", "-o", "tsv").stdout


# -- logs ---------------------------------------------------------------------------
def test_logs_list_filters_are_mapped_and_checked_server_side(cli, server):
    _traffic(cli)
    every = cli("logs", "list", "-o", "json").json()
    assert [e["to"] for e in every] == ["bounce@customer.test", "bob+click@yahoo.com",
                                        "ann@gmail.com"]

    def run(*args):
        result = cli("logs", "list", *args, "-o", "json")
        assert result.code == 0, result
        return [e["to"] for e in result.json()], server.requests(path="/api/email_logs")[-1][
            "query"]

    found, query = run("--status", "not_delivered")
    assert found == ["bounce@customer.test"]
    assert query["filters[status][operator]"] == "equal"
    assert query["filters[status][value]"] == "not_delivered"
    found, query = run("--to", "ANN@gmail.com")
    assert found == ["ann@gmail.com"] and query["filters[to][operator]"] == "ci_equal"
    found, query = run("--to", "yahoo.com")
    assert found == ["bob+click@yahoo.com"] and query["filters[to][operator]"] == "ci_contain"
    found, _ = run("--subject-contains", "welcome")
    assert found == ["bob+click@yahoo.com", "ann@gmail.com"]
    found, query = run("--event", "click", "--event", "bounce")
    assert found == ["bounce@customer.test", "bob+click@yahoo.com"]
    assert query["filters[events][operator]"] == "include_event"
    found, _ = run("--category", "reset")
    assert found == ["bounce@customer.test"]
    found, _ = run("--from", "app@example.com", "--stream", "transactional")
    assert len(found) == 3
    found, query = run("--since", "1h")
    assert len(found) == 3 and query["filters[sent_after]"].endswith("Z")
    found, _ = run("--until", "2000-01-01T00:00:00Z")
    assert found == []
    cli("logs", "list", "--status", "lost").assert_clean_error(2)
    cli("logs", "list", "--event", "boing").assert_clean_error(2)
    cli("logs", "list", "--since", "whenever").assert_clean_error(2)


def test_logs_get_timeline_and_raw(cli, server, tmp_path):
    _traffic(cli)
    entry = cli("logs", "list", "--to", "bob+click@yahoo.com", "-o", "json").json()[0]
    mid = entry["message_id"]
    got = cli("logs", "get", mid, "-o", "json").json()
    assert [e["event_type"] for e in got["events"]] == ["delivery", "open", "click"]
    table = cli("logs", "get", mid, "-o", "table")
    assert "events" in table.stdout and "click_url=https://example.com/" in table.stdout
    raw = cli("logs", "get", mid, "--raw")
    assert raw.code == 0 and "Subject: Welcome aboard" in raw.stdout
    target = tmp_path / "m.eml"
    saved = cli("logs", "get", mid, "--raw", "--save", str(target))
    assert saved.code == 0 and target.read_bytes().startswith(b"From: ")
    cli("logs", "get", mid, "--raw", "--save", str(target)).assert_clean_error(2)
    cli("logs", "get", "00000000-0000-0000-0000-000000000000").assert_clean_error(5)


def test_logs_tail_prints_new_entries_as_they_come(cli, server):
    _traffic(cli)
    sent = []

    def send_later(req, response):  # a new message is logged after the first poll
        if req.path == "/api/email_logs" and not sent:
            sent.append(True)
            body = json.dumps({"from": {"email": "app@example.com"}, "subject": "Deployed",
                               "to": [{"email": "new@example.com"}], "text": "x"}).encode()
            server.app.handle(Request.build("POST", "/api/send",
                                            {"Authorization": "Bearer t"}, body))

    server.app.observers.append(send_later)
    result = cli("logs", "tail", "--lines", "2", "--interval", "1", "--max", "3", "-o",
                 "jsonl")
    assert result.code == 0, result
    assert [e["to"] for e in result.jsonl()] == ["bob+click@yahoo.com",
                                                 "bounce@customer.test", "new@example.com"]
    table = cli("logs", "tail", "--lines", "1", "--max", "1", "-o", "table")
    assert table.stdout.splitlines()[0].split()[:3] == ["SENT", "STATUS", "TO"]
    assert "new@example.com" in table.stdout.splitlines()[1]


def test_logs_list_stops_at_a_page_unless_all(cli, server):
    server.call("POST", "/_local/email_logs", json={"count": 120})
    assert len(cli("logs", "list", "-o", "json").json()) == 50
    assert len(cli("logs", "list", "--limit", "70", "-o", "json").json()) == 70
    assert len(cli("logs", "list", "--all", "-o", "json").json()) == 120


@pytest.mark.slow
def test_logs_all_over_20000_entries_in_order_in_flat_memory(server, tmp_path):
    server.call("POST", "/_local/email_logs", json={"count": 500})
    code, small = peak_kib(["logs", "list", "--all", "-o", "jsonl"], server.url,
                           tmp_path / "small.jsonl", UNPACED)
    assert code == 0
    server.call("POST", "/_local/email_logs", json={"count": 19500, "to": "x{n}@big.test"})
    out = tmp_path / "all.jsonl"
    code, big = peak_kib(["logs", "list", "--all", "-o", "jsonl"], server.url, out, UNPACED)
    assert code == 0
    seen = [json.loads(line)["to"] for line in out.read_text().splitlines()]
    expected = [f"user{n}@example.com" for n in range(500)] + [
        f"x{n}@big.test" for n in range(19500)]
    assert seen == expected[::-1]                        # every entry once, newest first
    assert big - small < 4_000, (small, big)             # KiB


def test_logs_all_is_paced_under_the_family_limit_without_a_429(cli, server, monkeypatch):
    server.call("POST", "/_local/email_logs", json={"count": 260})
    server.configure(family_limits={"email_logs_list": "fixed:2/1s"})
    monkeypatch.setenv("MAILTRAP_RATE_LIMITS", "email_logs_list=2/1s")
    result = cli("logs", "list", "--all", "-o", "jsonl")
    assert result.code == 0, result
    assert len(result.stdout.splitlines()) == 260
    statuses = [r["status"] for r in server.requests(path="/api/email_logs")]
    assert statuses == [200] * 6, statuses


def test_stats_runs_over_the_family_limit_wait_it_out(cli, server, monkeypatch):
    """Each run paces itself; runs in a row can still meet the limit (the pacer lives
    in one process), and then the 429 is waited out, not reported."""
    server.configure(family_limits={"stats": "fixed:2/1s"})
    monkeypatch.setenv("MAILTRAP_RATE_LIMITS", "stats=2/1s")
    for group in ("summary", "domains", "categories"):
        assert cli("stats", group, "-o", "json").code == 0
    statuses = [r["status"] for r in server.requests(path="/api/stats")]
    assert statuses.count(200) == 3 and set(statuses) <= {200, 429}
