"""`send batch` input: one reader of stdin, chunk byte limits, JSONL rows against the
shared message, big CSV fields, the journal is not the input."""

from __future__ import annotations

import json

import pytest

from tests.send_batch_helpers import PLAIN, batch_posts, deliveries

FROM = "App <app@example.com>"


TEMPLATE = {"name": "Welcome", "subject": "Hi {{name}}", "category": "welcome",
            "body_text": "Hello {{name}} {{n}}"}


def create_template(server):
    response = server.call("POST", "/api/email_templates", json={"email_template": TEMPLATE})
    assert response.status_code == 201, response.text
    return response.json()["uuid"]


@pytest.mark.parametrize("args", [
    ["--csv", "-", "--base", "-"],
    ["--csv", "-", "--text-file", "-"],
    ["--jsonl", "-", "--html-file", "-"],
    ["-", "--base", "-"],
    ["--csv", "rows.csv", "--text-file", "-", "--html-file", "-"],
])
def test_batch_refuses_two_readers_of_stdin(cli, server, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.csv").write_text("email\na@example.com\n")
    result = cli("send", "batch", *args, "--from", FROM, "--subject", "Hi",
                 "--journal", str(tmp_path / "j.jsonl"), stdin="email\nb@example.com\n")
    assert result.code == 2, result
    assert "stdin" in result.stderr and "only one" in result.stderr
    assert "Traceback" not in result.stderr
    assert batch_posts(server) == []


@pytest.mark.no_spec_check   # 240 kB bodies: the checker takes seconds on them
def test_batch_chunks_stay_under_the_byte_limit_with_non_ascii_rows(cli, server, tmp_path,
                                                                    monkeypatch):
    # The body goes out as ASCII-escaped JSON (é is 6 bytes there, 2 in the file): a
    # chunk cut by the file's byte count could exceed the API's 50 MB and be refused
    # whole (413). Scaled down: a 100 kB limit on both sides.
    from mailtrap_cli.commands.send import batch_run as send_batch_run
    from mailtrap_cli.local import routes_sending

    monkeypatch.setattr(send_batch_run, "MAX_BATCH_BYTES", 100_000)
    monkeypatch.setattr(routes_sending, "MAX_BATCH_BYTES", 100_000)
    rows = tmp_path / "rows.jsonl"
    with rows.open("w", encoding="utf-8") as handle:
        for i in range(10):
            handle.write(json.dumps({"to": [{"email": f"u{i}@example.com"}],
                                     "html": "é" * 4000}, ensure_ascii=False) + "\n")
    result = cli("send", "batch", "--jsonl", str(rows), "--from", FROM, "--subject", "Hi",
                 "-o", "json")
    assert result.code == 0, result
    assert result.json()["sent"] == 10
    assert len(batch_posts(server)) >= 3     # 24 kB per row as sent: at most 4 per request


def test_jsonl_starting_with_a_broken_line_still_checks_the_shared_message(cli, server,
                                                                           tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{oops\n{"email": "a@example.com"}\n')
    result = cli("send", "batch", "--jsonl", str(rows), "--from", FROM)
    assert result.code == 2, result
    assert "the shared message is incomplete" in result.stderr
    assert batch_posts(server) == []


def test_jsonl_recipient_rows_after_a_full_request_need_a_complete_shared_message(
        cli, server, tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"to": [{"email": "c@example.com"}], "subject": "Own", "text": "t"}\n'
                    '{"email": "a@example.com"}\n')
    result = cli("send", "batch", "--jsonl", str(rows), "--from", FROM, "-o", "json")
    assert result.code == 8, result
    summary = result.json()
    assert (summary["sent"], summary["invalid"]) == (1, 1)
    [row] = summary["invalid_rows"]
    assert row["row"] == 2 and summary["rejected_rows"] == []
    assert "'subject' is required" in row["errors"][0]
    assert [d["recipient"] for d in deliveries(server)] == ["c@example.com"]


def test_csv_field_over_128_kb_is_a_variable_like_any_other(cli, server, tmp_path):
    uuid = create_template(server)
    rows = tmp_path / "rows.csv"
    rows.write_text("email,name,n\n" f"a@example.com,Ann,{'x' * 140_000}\nb@example.com,Bo,2\n")
    result = cli("send", "batch", "--csv", str(rows), "--from", FROM, "--template", uuid,
                 "-o", "json")
    assert result.code == 0, result
    assert result.json()["sent"] == 2
    sent = deliveries(server, to="a@example.com")[0]["payload"]
    assert len(sent["template_variables"]["n"]) == 140_000


@pytest.mark.parametrize("extra", [[], ["--new-journal"]])
def test_the_journal_cannot_be_the_input_file(cli, server, tmp_path, monkeypatch, extra):
    monkeypatch.chdir(tmp_path)
    rows = tmp_path / "rows.csv"
    rows.write_text("email\na@example.com\n")
    result = cli("send", "batch", "--csv", "rows.csv", "--journal", str(rows), *extra,
                 *PLAIN)
    assert result.code == 2, result
    assert "journal" in result.stderr and "input" in result.stderr
    assert rows.read_text() == "email\na@example.com\n"
    assert list(tmp_path.glob("rows.csv?*")) == []
    assert batch_posts(server) == []

