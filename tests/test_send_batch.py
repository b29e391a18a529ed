"""`mailtrap send batch` against the built-in server: inputs, journal, faults, exit codes."""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest

FROM = ["--from", "App <app@example.com>"]
PLAIN = [*FROM, "--subject", "Hi", "--text", "Hello"]


def deliveries(server, **params):
    response = server.call("GET", "/_local/deliveries", params=params)
    assert response.status_code == 200
    return response.json()


def recipients(server, **params):
    return Counter(d["recipient"] for d in deliveries(server, **params))


def csv_file(tmp_path, rows, header="email,name,code", name="users.csv"):
    path = tmp_path / name
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))
    return path


def numbered(count, start=1):
    return [f"u{i}@example.com,User {i},{i}" for i in range(start, start + count)]


def journal_records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def batch_posts(server):
    return [r for r in server.requests(path="/api/batch") if r["method"] == "POST"]


def test_csv_rows_become_messages_with_custom_variables(cli, server, tmp_path):
    path = csv_file(tmp_path, ["ann@example.com,Ann,1", "bob@example.com,,2"])
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--custom-var", "run=r1")
    assert result.code == 0, result
    summary = result.json()
    assert (summary["sent"], summary["rejected"], summary["unknown"]) == (2, 0, 0)
    assert summary["complete"] is True and summary["chunks"] == 1
    assert summary["journal"] == str(path) + ".journal.jsonl"
    assert "2 sent" in result.stderr
    by_rcpt = {d["recipient"]: d["payload"] for d in deliveries(server)}
    assert by_rcpt["ann@example.com"]["to"] == [{"email": "ann@example.com", "name": "Ann"}]
    assert by_rcpt["ann@example.com"]["custom_variables"] == {"run": "r1", "code": "1"}
    assert by_rcpt["bob@example.com"]["to"] == [{"email": "bob@example.com"}]
    assert by_rcpt["bob@example.com"]["subject"] == "Hi"
    records = journal_records(tmp_path / "users.csv.journal.jsonl")
    assert [r["type"] for r in records] == ["header", "run", "pending", "done"]
    ids = {d["message_id"] for d in deliveries(server)}
    assert {mid for _, mids in records[-1]["sent"] for mid in mids} == ids
    assert [row for row, _ in records[-1]["sent"]] == [2, 3]


def test_template_columns_become_template_variables(cli, server, tmp_path):
    created = server.call("POST", "/api/email_templates", json={"email_template": {
        "name": "Welcome", "subject": "Hi {{first}} #{{code}}", "category": "welcome",
        "body_text": "Hello {{first}} from {{company}}"}})
    assert created.status_code == 201, created.text
    path = csv_file(tmp_path, ["ann@example.com,Ann Lee,Ann,7"], header="email,name,first,code")
    result = cli("send", "batch", "--csv", str(path), *FROM, "--template",
                 created.json()["uuid"], "--var", "company=ACME", "--stream", "bulk")
    assert result.code == 0, result
    [delivery] = deliveries(server, stream="bulk")
    assert delivery["payload"]["subject"] == "Hi Ann #7"
    assert delivery["payload"]["to"] == [{"email": "ann@example.com", "name": "Ann Lee"}]
    assert delivery["payload"]["template_variables"] == {"company": "ACME", "first": "Ann",
                                                         "code": "7"}


def test_jsonl_recipients_and_full_requests(cli, server, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"email": "ann@example.com", "name": "Ann", "plan": "pro", "seats": 3}\n'
        '\n'
        '{"to": [{"email": "cc@example.com"}], "subject": "Own subject"}\n'
        '{"email": "bad"}\n'
        '{"email": "x@example.com",\n')
    result = cli("send", "batch", "--jsonl", str(path), *PLAIN)
    assert result.code == 8, result
    summary = result.json()
    assert (summary["sent"], summary["rejected"], summary["invalid"]) == (2, 2, 2)
    assert [(r["where"], r["sent"]) for r in summary["rejected_rows"]] == [
        (f"{path}:4", False), (f"{path}:5", False)]
    assert f"{path}:4: 'bad' is not a valid email address (not sent)" in result.stderr
    assert f"{path}:5: invalid JSON" in result.stderr
    by_rcpt = {d["recipient"]: d["payload"] for d in deliveries(server)}
    assert by_rcpt["ann@example.com"]["custom_variables"] == {"plan": "pro", "seats": "3"}
    assert by_rcpt["cc@example.com"]["subject"] == "Own subject"


def test_batch_json_input_flags_override_its_base(cli, server, tmp_path):
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({
        "base": {"from": {"email": "base@example.com"}, "subject": "Base", "text": "T"},
        "requests": [{"to": [{"email": f"r{i}@example.com"}]} for i in range(5)]
        + [{"to": [{"email": "nope"}]}]}))
    result = cli("send", "batch", str(path), "--subject", "Flag", "--chunk-size", "2")
    assert result.code == 8, result
    summary = result.json()
    assert summary["sent"] == 5 and summary["chunks"] == 3
    assert summary["rejected_rows"][0]["where"] == f"{path}: requests[5]"
    assert {d["payload"]["subject"] for d in deliveries(server)} == {"Flag"}
    assert {d["payload"]["from"]["email"] for d in deliveries(server)} == {"base@example.com"}


def test_sandbox_sends_land_in_the_sandbox(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(3))
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--sandbox", "1")
    assert result.code == 0, result
    assert deliveries(server) == []
    assert [r["path"] for r in batch_posts(server)] == ["/api/batch/1"]
    messages = server.call("GET", "/api/sandboxes/1/messages").json()
    assert sorted(m["to_email"] for m in messages) == [f"u{i}@example.com" for i in (1, 2, 3)]


def test_dry_run_prints_the_first_request_and_sends_nothing(cli, server, tmp_path):
    path = csv_file(tmp_path, [*numbered(5), "broken"])
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "2",
                 "--dry-run", "--stream", "bulk")
    assert result.code == 0, result
    request = result.json()
    assert request["method"] == "POST"
    assert request["url"] == server.url + "/bulk/api/batch"
    assert request["headers"]["Authorization"] == "Bearer ***"
    assert request["body"]["base"]["subject"] == "Hi"
    assert [r["to"][0]["email"] for r in request["body"]["requests"]] == [
        "u1@example.com", "u2@example.com"]
    assert "would send 5 row(s) in 3 request(s); 1 invalid" in result.stderr
    assert f"{path}:7:" in result.stderr
    assert batch_posts(server) == []
    assert not (tmp_path / "users.csv.journal.jsonl").exists()


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
    # The first request is processed, then answered 500: delivered, outcome unknown.
    server.fault(status=500, path="/api/batch", after=True, count=1)
    result = cli(*args)
    assert result.code == 8, result
    summary = result.json()
    assert (summary["sent"], summary["unknown"]) == (40, 10)
    [lost] = summary["unknown_chunks"]
    assert lost["rows"] == "2-11" and lost["count"] == 10 and "HTTP 500" in lost["reason"]
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
        f"u{i}@example.com" for i in range(1, 11))
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


def test_stdin_input_needs_a_journal(cli, server, tmp_path):
    data = "email\na@example.com\nb@example.com\n"
    refused = cli("send", "batch", "--csv", "-", *PLAIN, stdin=data)
    assert refused.code == 2 and "needs --journal" in refused.stderr
    journal = tmp_path / "stdin.journal.jsonl"
    result = cli("send", "batch", "--csv", "-", *PLAIN, "--journal", str(journal), stdin=data)
    assert result.code == 0, result
    assert result.json()["sent"] == 2 and journal.exists()
    again = cli("send", "batch", "--csv", "-", *PLAIN, "--journal", str(journal), stdin=data)
    assert again.json()["skipped_already_sent"] == 2


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


@pytest.mark.parametrize("args, needle", [
    (["--csv", "{csv}", "--jsonl", "{csv}"], "give exactly one input"),
    ([], "give exactly one input"),
    (["--csv", "{dir}/missing.csv"], "cannot read"),
    (["--csv", "{noemail}"], "no `email` column in the header line (found: name)"),
    (["--csv", "{csv}", "--rate", "fast"], "--rate 'fast' is not a rate"),
    (["--csv", "{csv}", "--vars-as", "both"], "--vars-as must be template or custom"),
    (["--csv", "{csv}", "--stream", "bulk", "--sandbox", "1"], "not both"),
    (["--csv", "{csv}", "--template", str(uuid.uuid4()), "--subject", "x"],
     "--template cannot be combined with --subject"),
    (["--csv", "{csv}", "--base", "{dir}/base.json"], "--base"),
    (["--csv", "{csv}", "--new-journal", "--force"], "not both"),
])
def test_bad_input_exits_2_before_sending(cli, server, tmp_path, args, needle):
    path = csv_file(tmp_path, numbered(2))
    (tmp_path / "noemail.csv").write_text("name\nAnn\n")
    (tmp_path / "base.json").write_text("[1]")
    values = {"csv": str(path), "dir": str(tmp_path), "noemail": str(tmp_path / "noemail.csv")}
    result = cli("send", "batch", *[a.format(**values) for a in args], *PLAIN)
    assert result.code == 2, result
    assert result.stderr.startswith("error: ") and needle in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert batch_posts(server) == []


def test_incomplete_shared_message_exits_2(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(2))
    result = cli("send", "batch", "--csv", str(path), *FROM, "--text", "x")
    assert result.code == 2, result
    assert "the shared message is incomplete: 'subject' is required" in result.stderr
    no_sender = cli("send", "batch", "--csv", str(path), "--subject", "s", "--text", "x")
    assert no_sender.code == 2 and "no sender given" in no_sender.stderr
    assert batch_posts(server) == []


def test_base_file_and_profile_sender(cli, server, tmp_path):
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"subject": "From base", "html": "<p>x</p>",
                                "headers": {"X-Run": "1"}}))
    path = csv_file(tmp_path, numbered(1))
    config = tmp_path / "home" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        '[profiles.local]\nfrom = "Profile <profile@example.com>"\n')
    result = cli("send", "batch", "--csv", str(path), "--base", str(base),
                 "--header", "X-Extra: 2")
    assert result.code == 0, result
    [delivery] = deliveries(server)
    assert delivery["payload"]["from"] == {"email": "profile@example.com", "name": "Profile"}
    assert delivery["payload"]["subject"] == "From base"
    assert delivery["payload"]["headers"] == {"X-Run": "1", "X-Extra": "2"}


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


def test_progress_bar_only_when_stderr_is_a_terminal(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(20))
    plain = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "5")
    assert plain.code == 0 and "rows/s" not in plain.stderr
    shown = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "5",
                "--new-journal", env={"MAILTRAP_FORCE_TTY": "1"})
    assert shown.code == 0, shown
    assert "20/20" in shown.stderr and "rows/s" in shown.stderr and "ETA" in shown.stderr
    assert "sent" in shown.stdout          # a table on a terminal


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
