"""`mailtrap send batch` against the built-in server: inputs, options, what arrives."""

from __future__ import annotations

import json
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
    assert delivery["payload"]["template_variables"] == {
        "company": "ACME", "email": "ann@example.com", "name": "Ann Lee", "first": "Ann",
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
    assert (summary["sent"], summary["rejected"], summary["invalid"]) == (2, 0, 2)
    assert [r["where"] for r in summary["invalid_rows"]] == [f"{path}:4", f"{path}:5"]
    assert summary["rejected_rows"] == []
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
    assert summary["invalid_rows"][0]["where"] == f"{path}: requests[5]"
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


def test_progress_bar_only_when_stderr_is_a_terminal(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(20))
    plain = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "5")
    assert plain.code == 0 and "rows/s" not in plain.stderr
    shown = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "5",
                "--new-journal", env={"MAILTRAP_FORCE_TTY": "1"})
    assert shown.code == 0, shown
    assert "20/20" in shown.stderr and "rows/s" in shown.stderr and "ETA" in shown.stderr
    assert "sent" in shown.stdout          # a table on a terminal


def test_malformed_csv_rows_are_reported_by_line_and_the_rest_is_sent(cli, server, tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(b"email,name,code\n"
                     b"ok1@example.com,One,1\n"
                     b"too@example.com,Many,2,extra\n"
                     b"\n"
                     b"not-an-email,Bad,3\n"
                     b"ok2@example.com,\"Two\nLines\",4\n"
                     b"utf@example.com,\xff,5\n"
                     b",,6\n"
                     b"ok3@example.com,Three,7\n")
    result = cli("send", "batch", "--csv", str(path), *PLAIN)
    assert result.code == 8, result
    for line, reason in ((3, "4 fields, but the header has 3"),
                         (5, "'not-an-email' is not a valid email address"),
                         (8, "not valid UTF-8"), (9, "no email address")):
        assert f"{path}:{line}: {reason} (not sent)" in result.stderr
    summary = result.json()
    assert (summary["sent"], summary["invalid"]) == (3, 4)
    assert [r["row"] for r in summary["invalid_rows"]] == [3, 5, 8, 9]
    assert sorted(recipients(server)) == ["ok1@example.com", "ok2@example.com",
                                          "ok3@example.com"]
    assert "error: not everything was sent: 3 sent, 4 invalid (not sent)" in result.stderr


def test_message_flags_reach_every_message(cli, server, tmp_path):
    (tmp_path / "body.html").write_text("<p>Report</p>")
    (tmp_path / "report.txt").write_text("numbers")
    path = csv_file(tmp_path, numbered(2))
    result = cli("send", "batch", "--csv", str(path), *FROM, "--subject", "Report",
                 "--html-file", str(tmp_path / "body.html"), "--category", "reports",
                 "--reply-to", "Desk <desk@example.com>", "--attach",
                 str(tmp_path / "report.txt"))
    assert result.code == 0, result
    for delivery in deliveries(server):
        payload = delivery["payload"]
        assert payload["html"] == "<p>Report</p>" and payload["category"] == "reports"
        assert payload["reply_to"] == {"email": "desk@example.com", "name": "Desk"}
        assert payload["attachments"][0]["filename"] == "report.txt"


def test_vars_as_custom_with_a_template(cli, server, tmp_path):
    created = server.call("POST", "/api/email_templates", json={"email_template": {
        "name": "T", "subject": "Hello", "category": "c", "body_text": "Hi {{who}}"}})
    path = csv_file(tmp_path, numbered(1))
    result = cli("send", "batch", "--csv", str(path), *FROM, "--template",
                 created.json()["uuid"], "--var", "who=you", "--vars-as", "custom")
    assert result.code == 0, result
    [delivery] = deliveries(server)
    assert delivery["payload"]["custom_variables"] == {"code": "1"}
    assert delivery["payload"]["template_variables"] == {"who": "you"}
    refused = cli("send", "batch", "--csv", str(path), *PLAIN, "--vars-as", "template",
                  "--new-journal")
    assert refused.code == 2 and "need a template" in refused.stderr
