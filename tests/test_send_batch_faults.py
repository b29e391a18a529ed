"""`mailtrap send batch` when things go wrong: 5xx, dropped connections, 429 storms,
rate limits, auth and network failures, reruns and foreign journals."""

from __future__ import annotations

import uuid

import pytest

from tests.send_batch_helpers import (
    FROM,
    PLAIN,
    batch_posts,
    csv_file,
    deliveries,
    journal_records,
    numbered,
    recipients,
)


def test_rerun_sends_nothing_already_accepted(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(30))
    first = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "7")
    assert first.code == 0, first
    again = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "7")
    assert again.code == 0, again
    summary = again.json()
    assert (summary["sent"], summary["skipped_already_sent"], summary["requests"]) == (0, 30, 0)
    assert len(batch_posts(server)) == 5
    assert set(recipients(server).values()) == {1} and len(recipients(server)) == 30


def test_server_error_mid_batch_is_unknown_and_not_resent(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(50))
    args = ["send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "10",
            "--concurrency", "1"]
    # After two answered requests, the third is processed and then answered 500:
    # delivered, but the outcome is unknown to the client.
    seen = []

    def third_fails(req, response):
        seen.append(req.path)
        if len(seen) == 2:
            from mailtrap_cli.local.faults import Fault

            server.app.faults.add(Fault(status=500, path="/api/batch", after=True))

    server.app.observers.append(third_fails)
    result = cli(*args)
    assert result.code == 8, result
    summary = result.json()
    assert (summary["sent"], summary["unknown"]) == (40, 10)
    [lost] = summary["unknown_chunks"]
    assert lost["rows"] == "22-31" and lost["count"] == 10 and "HTTP 500" in lost["reason"]
    assert "outcome unknown" in result.stderr and "not resent" in result.stderr
    assert "--resend-unknown" in result.stderr
    assert all(n == 1 for n in recipients(server).values()) and len(recipients(server)) == 50

    again = cli(*args)
    assert again.code == 8, again
    summary = again.json()
    assert (summary["sent"], summary["skipped_unknown"], summary["skipped_already_sent"]) == (
        0, 10, 40)
    assert summary["unknown_chunks"][0]["earlier_run"] is True
    assert all(n == 1 for n in recipients(server).values())

    resent = cli(*args, "--resend-unknown")
    assert resent.code == 0, resent
    assert resent.json()["sent"] == 10
    counts = recipients(server)
    assert sorted(r for r, n in counts.items() if n == 2) == sorted(
        f"u{i}@example.com" for i in range(21, 31))
    final = cli(*args)
    assert final.code == 0 and final.json()["skipped_already_sent"] == 50


def test_dropped_connection_after_sending_is_unknown(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(4))
    server.fault(drop=True, after=True, path="/api/batch")
    result = cli("send", "batch", "--csv", str(path), *PLAIN)
    assert result.code == 8, result
    summary = result.json()
    assert summary["unknown"] == 4 and summary["sent"] == 0
    assert "closed without an answer" in summary["unknown_chunks"][0]["reason"]
    assert len(deliveries(server)) == 4   # it did arrive: that is why it is not resent


def test_429_storm_is_retried_and_every_row_arrives_once(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(200))
    server.fault(status=429, count=12, retry_after="0", path="/api/batch")
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "10",
                 "--concurrency", "4")
    assert result.code == 0, result
    summary = result.json()
    assert summary["sent"] == 200 and summary["throttled"] == 12
    assert summary["requests"] == 20 + 12
    assert "HTTP 429: slowing down" in result.stderr
    counts = recipients(server)
    assert len(counts) == 200 and set(counts.values()) == {1}
    assert all(r["type"] != "unknown" for r in journal_records(
        tmp_path / "users.csv.journal.jsonl"))


@pytest.mark.slow
def test_server_rate_limit_is_honoured_via_retry_after(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(80))
    server.configure(rate_limit=[4, 1])
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "10",
                 "--rate", "100/1s", "--concurrency", "4")
    assert result.code == 0, result
    summary = result.json()
    assert summary["sent"] == 80 and summary["throttled"] >= 1
    assert set(recipients(server).values()) == {1}


def test_client_side_rate_limit_spaces_requests(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(6))
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "1",
                 "--rate", "3/0.5s", "--concurrency", "6")
    assert result.code == 0, result
    times = sorted(r["at"] for r in batch_posts(server))
    assert len(times) == 6
    assert times[3] - times[0] >= 0.5     # the 4th waited for the window to move


def test_api_rejections_are_reported_with_their_rows(cli, server, tmp_path):
    missing = str(uuid.uuid4())
    path = csv_file(tmp_path, numbered(3))
    args = ["send", "batch", "--csv", str(path), *FROM, "--template", missing]
    result = cli(*args)
    assert result.code == 8, result
    summary = result.json()
    assert summary["rejected"] == 3 and summary["sent"] == 0
    assert summary["rejected_rows"][0]["where"] == f"{path}:2"
    assert summary["rejected_rows"][0]["sent"] is True
    assert f"{path}:2: rejected by the API: template with uuid" in result.stderr
    again = cli(*args)
    assert again.code == 8 and again.json()["skipped_rejected"] == 3
    assert len(batch_posts(server)) == 1
    retried = cli(*args, "--retry-rejected")
    assert retried.code == 8 and retried.json()["rejected"] == 3
    assert len(batch_posts(server)) == 2


def test_auth_failure_stops_and_a_rerun_sends_everything(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(20))
    args = ["send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "5"]
    result = cli(*args, env={"MAILTRAP_API_TOKEN": "invalid-token"})
    assert result.code == 4, result
    assert result.json()["sent"] == 0 and result.json()["complete"] is False
    assert "error: " in result.stderr and "Traceback" not in result.stderr
    again = cli(*args)
    assert again.code == 0, again
    assert again.json()["sent"] == 20


def test_journal_of_another_input_is_refused(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(3))
    assert cli("send", "batch", "--csv", str(path), *PLAIN).code == 0
    changed = cli("send", "batch", "--csv", str(path), *FROM, "--subject", "Other",
                  "--text", "Hello")
    assert changed.code == 2, changed
    assert "belongs to a different input" in changed.stderr and "--new-journal" in changed.stderr
    csv_file(tmp_path, numbered(4))   # the file grew by one row
    forced = cli("send", "batch", "--csv", str(path), *PLAIN, "--force")
    assert forced.code == 0 and forced.json()["sent"] == 1
    fresh = cli("send", "batch", "--csv", str(path), *PLAIN, "--new-journal")
    assert fresh.code == 0 and fresh.json()["sent"] == 4
    assert "previous journal moved to" in fresh.stderr
    assert recipients(server)["u1@example.com"] == 2


@pytest.mark.slow
@pytest.mark.no_spec_check
def test_thousands_of_rows_arrive_exactly_once(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(5000))
    result = cli("send", "batch", "--csv", str(path), *PLAIN)
    assert result.code == 0, result
    summary = result.json()
    assert (summary["sent"], summary["chunks"], summary["requests"]) == (5000, 10, 10)
    count = server.call("GET", "/_local/deliveries/count").json()
    assert count == {"count": 5000, "recipients": 5000}


def test_unreachable_api_stops_with_exit_7_and_nothing_unknown(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(3))
    result = cli("send", "batch", "--csv", str(path), *PLAIN,
                 env={"MAILTRAP_BASE_URL": "http://127.0.0.1:9"})
    assert result.code == 7, result
    summary = result.json()
    assert summary["complete"] is False and summary["unknown"] == 0 and summary["sent"] == 0
    assert "cannot reach" in result.stderr and "gave up after 8 attempts" in result.stderr
    again = cli("send", "batch", "--csv", str(path), *PLAIN)
    assert again.code == 0 and again.json()["sent"] == 3


def test_a_chunk_too_large_is_split_and_each_row_sent_once(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(8))
    server.fault(status=413, count=1, path="/api/batch",
                 body={"success": False, "errors": ["request entity too large"]})
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--concurrency", "1")
    assert result.code == 0, result
    assert [r["status"] for r in batch_posts(server)] == [413, 200, 200]
    counts = recipients(server)
    assert len(counts) == 8 and set(counts.values()) == {1}
    again = cli("send", "batch", "--csv", str(path), *PLAIN)
    assert again.code == 0 and again.json()["skipped_already_sent"] == 8


def test_only_a_single_message_still_too_large_is_rejected(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(4))
    # 4 rows -> 413; rows 2-3 (the first half) -> 413; row 2 alone -> 413: rejected.
    server.fault(status=413, count=3, path="/api/batch")
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--concurrency", "1")
    assert result.code == 8, result
    summary = result.json()
    assert (summary["sent"], summary["rejected"], summary["invalid"]) == (3, 1, 0)
    assert summary["rejected_rows"][0]["where"] == f"{path}:2"
    assert f"{path}:2: rejected by the API: too large to send even alone" in result.stderr
    assert sorted(recipients(server)) == [f"u{i}@example.com" for i in (2, 3, 4)]


def test_a_file_without_a_valid_row_exits_2_and_sends_nothing(cli, server, tmp_path):
    path = csv_file(tmp_path, ["not-an-email,A,1", ",B,2"])
    result = cli("send", "batch", "--csv", str(path), *PLAIN)
    assert result.code == 2 and "Traceback" not in result.stderr, result
    assert "error: " + str(path) + ": no valid row (2 invalid); nothing was sent" in result.stderr
    assert result.json()["invalid"] == 2 and result.json()["rejected"] == 0
    assert batch_posts(server) == []
    assert not (tmp_path / "users.csv.journal.jsonl").exists()   # a fixed file starts clean
    dry = cli("send", "batch", "--csv", str(path), *PLAIN, "--dry-run")
    assert dry.code == 2 and "no valid row" in dry.stderr


def test_dry_run_after_a_real_run_neither_reads_nor_writes_the_journal(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(3))
    assert cli("send", "batch", "--csv", str(path), *PLAIN).code == 0
    journal = tmp_path / "users.csv.journal.jsonl"
    before = journal.read_bytes()
    changed = cli("send", "batch", "--csv", str(path), *FROM, "--subject", "Other",
                  "--text", "Hello", "--dry-run")
    assert changed.code == 0, changed
    assert changed.json()["body"]["base"]["subject"] == "Other"
    assert "would send 3 row(s) in 1 request(s)" in changed.stderr
    assert journal.read_bytes() == before
    assert len(batch_posts(server)) == 1
