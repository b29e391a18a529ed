"""Awkward input for `send email`, `send raw` and `send batch`, found by trying the CLI:
non-JSON numbers, 8-bit headers, line breaks in header fields, several readers of stdin."""

from __future__ import annotations

import json
from email import message_from_bytes, policy

import pytest

from tests.send_batch_helpers import PLAIN, batch_posts, deliveries

FROM = "App <app@example.com>"
TEMPLATE = {"name": "Welcome", "subject": "Hi {{name}}", "category": "welcome",
            "body_text": "Hello {{name}} {{n}}"}


def create_template(server):
    response = server.call("POST", "/api/email_templates", json={"email_template": TEMPLATE})
    assert response.status_code == 201, response.text
    return response.json()["uuid"]


def sandbox_messages(server, sandbox_id=1):
    rows = server.app.store.all("SELECT raw FROM messages WHERE sandbox_id = ? ORDER BY id",
                                (sandbox_id,))
    return [message_from_bytes(r["raw"], policy=policy.default) for r in rows]


# -- NaN / Infinity are not JSON: refused as input, never a crash mid-send ---------------
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_var_that_python_reads_as_a_float_stays_text(cli, server, value):
    uuid = create_template(server)
    result = cli("send", "email", "--from", FROM, "--to", "a@example.com", "--template", uuid,
                 "--var", f"name={value}", "-o", "json")
    assert result.code == 0, result
    sent = deliveries(server)[0]["payload"]
    assert sent["template_variables"] == {"name": value}
    assert "unexpected" not in result.stderr


def test_vars_file_with_nan_is_invalid_json(cli, server, tmp_path):
    uuid = create_template(server)
    path = tmp_path / "vars.json"
    path.write_text('{"n": NaN}')
    result = cli("send", "email", "--from", FROM, "--to", "a@example.com", "--template", uuid,
                 "--vars-file", str(path))
    assert result.code == 2, result
    assert "not valid JSON" in result.stderr and "NaN" in result.stderr
    assert server.requests(path="/api/send") == []


def test_jsonl_row_with_nan_is_an_invalid_row_not_an_unknown_chunk(cli, server, tmp_path):
    uuid = create_template(server)
    path = tmp_path / "rows.jsonl"
    path.write_text('{"email": "nan@example.com", "n": NaN}\n'
                    '{"email": "ok@example.com", "n": 1}\n')
    result = cli("send", "batch", "--jsonl", str(path), "--from", FROM, "--template", uuid,
                 "-o", "json")
    assert result.code == 8, result
    summary = result.json()
    assert (summary["sent"], summary["invalid"], summary["unknown"]) == (1, 1, 0)
    assert summary["rejected_rows"][0]["where"].endswith("rows.jsonl:1")
    assert "NaN" in summary["rejected_rows"][0]["errors"][0]
    assert [d["recipient"] for d in deliveries(server)] == ["ok@example.com"]


def test_batch_json_and_base_with_nan_exit_2(cli, server, tmp_path):
    body = tmp_path / "batch.json"
    body.write_text('{"requests": [{"to": [{"email": "a@example.com"}], '
                    '"custom_variables": {"n": Infinity}}]}')
    result = cli("send", "batch", str(body), *PLAIN)
    assert result.code == 2, result
    assert "Infinity" in result.stderr
    base = tmp_path / "base.json"
    base.write_text('{"subject": "Hi", "text": "x", "template_variables": {"n": NaN}}')
    rows = tmp_path / "rows.csv"
    rows.write_text("email\na@example.com\n")
    result = cli("send", "batch", "--csv", str(rows), "--base", str(base), "--from", FROM)
    assert result.code == 2, result
    assert "NaN" in result.stderr
    assert batch_posts(server) == []


# -- send raw: 8-bit header bytes (UTF-8 or Latin-1) -----------------------------------
@pytest.mark.parametrize("charset, raw", [("utf-8", "Café ü".encode()),
                                          ("iso-8859-1", "Café ü".encode("latin-1"))])
def test_raw_8bit_headers_are_decoded_not_a_crash(cli, server, tmp_path, charset, raw):
    eml = (b"From: Zo" + raw + b" <me@example.com>\r\nTo: t@example.com\r\n"
           b"Subject: " + raw + b"\r\nX-Note: " + raw + b"\r\n"
           b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + raw + b"\r\n")
    path = tmp_path / "m.eml"
    path.write_bytes(eml)
    result = cli("send", "raw", str(path), "-o", "json")
    assert result.code == 0, result
    sent = deliveries(server)[0]["payload"]
    assert sent["subject"] == "Café ü"
    assert sent["from"] == {"email": "me@example.com", "name": "ZoCafé ü"}
    assert sent["headers"] == {"X-Note": "Café ü"}
    assert sent["text"].strip() == "Café ü"


# -- built-in server: a sandbox send never drops the connection ------------------------
SENDER = {"email": "app@example.com", "name": "App"}


@pytest.mark.parametrize("change, header, expected", [
    ({"subject": "two\nlines"}, "Subject", "two lines"),
    ({"subject": "crlf\r\nsubject"}, "Subject", "crlf subject"),
    ({"category": "cat\r\negory"}, "X-MT-Category", "cat egory"),
    ({"to": [{"email": "t@example.com", "name": "Multi\r\nline"}]}, "To",
     "Multi line <t@example.com>"),
    ({"from": {"email": "me@exämple.com", "name": "Zoë"}}, "From", "Zoë <me@exämple.com>"),
    ({"reply_to": {"email": "jösé@example.com"}}, "Reply-To", "jösé@example.com"),
])
def test_sandbox_send_with_awkward_header_fields_is_stored(server, change, header, expected):
    body = {"from": SENDER, "to": [{"email": "t@example.com"}], "subject": "Hi",
            "text": "Hello", **change}
    response = server.call("POST", "/api/send/1", json=body)
    assert response.status_code == 200, response.text
    stored = sandbox_messages(server)
    assert len(stored) == 1
    assert str(stored[0][header]) == expected


def test_sandbox_attachment_name_with_a_line_break(server):
    body = {"from": SENDER, "to": [{"email": "t@example.com"}], "subject": "Hi",
            "text": "Hello", "attachments": [{"content": "aGk=", "filename": "a\nb.txt",
                                              "content_id": "x\ny"}]}
    response = server.call("POST", "/api/batch/1", json={"requests": [body, body]})
    assert response.status_code == 200, response.text
    assert all(r["success"] for r in response.json()["responses"])
    parts = [p for p in sandbox_messages(server)[0].iter_attachments()]
    assert parts[0].get_filename() == "a b.txt"
    assert parts[0].get_content() == b"hi"


def test_cli_sandbox_send_with_a_line_break_in_a_csv_name(cli, server, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text('email,name\nq@example.com,"A\nB"\n')
    result = cli("send", "batch", "--csv", str(rows), *PLAIN, "--sandbox", "1", "-o", "json")
    assert result.code == 0, result
    assert result.json()["sent"] == 1
    assert str(sandbox_messages(server)[0]["To"]) == "A B <q@example.com>"


# -- send batch: stdin can be read once -------------------------------------------------
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


def test_raw_without_from_hints_at_what_raw_accepts(cli, server):
    result = cli("send", "raw", "-", stdin=b"To: ann@example.com\nSubject: s\n\nbody\n")
    assert result.code == 2, result
    assert "no sender given" in result.stderr
    assert "--from" not in result.stderr     # `send raw` has no --from
    assert "From:" in result.stderr and "config set from" in result.stderr


@pytest.mark.parametrize("command", ["email", "batch"])
def test_empty_attachment_names_the_file(cli, server, tmp_path, command):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    rows = tmp_path / "rows.csv"
    rows.write_text("email\na@example.com\n")
    args = ["--to", "a@example.com"] if command == "email" else ["--csv", str(rows)]
    result = cli("send", command, *args, "--from", FROM, "--subject", "Hi", "--text", "x",
                 "--attach", str(empty))
    assert result.code == 2, result
    assert f"--attach {empty}: the file is empty" in result.stderr
    assert server.requests(path="/api/send") == [] and batch_posts(server) == []


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


@pytest.mark.parametrize("value", ["a@example.com, b@example.com", "a@example.com;b@example.com",
                                   "Ann <a@example.com>, b@example.com"])
def test_a_list_in_one_recipient_flag_says_to_repeat_it(cli, server, value):
    result = cli("send", "email", "--from", FROM, "--cc", value, "--to", "x@example.com",
                 "--subject", "Hi", "--text", "x")
    assert result.code == 2, result
    assert "one address per --cc" in result.stderr
    assert server.requests(path="/api/send") == []


# -- send batch: JSONL recipient rows are checked against the shared part ----------------
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
    [row] = summary["rejected_rows"]
    assert row["row"] == 2 and row["sent"] is False
    assert "'subject' is required" in row["errors"][0]
    assert [d["recipient"] for d in deliveries(server)] == ["c@example.com"]


# -- files saved with a UTF-8 byte order mark (Windows editors) ---------------------------
def test_bom_is_not_part_of_bodies_vars_or_base(cli, server, tmp_path):
    bom = b"\xef\xbb\xbf"
    text = tmp_path / "body.txt"
    text.write_bytes(bom + "Grüße".encode())
    result = cli("send", "email", "--from", FROM, "--to", "a@example.com", "--subject", "Hi",
                 "--text-file", str(text), "--html-file", "-", stdin=bom + b"<p>x</p>")
    assert result.code == 0, result
    sent = deliveries(server)[0]["payload"]
    assert (sent["text"], sent["html"]) == ("Grüße", "<p>x</p>")
    uuid = create_template(server)
    variables = tmp_path / "vars.json"
    variables.write_bytes(bom + b'{"name": "Ann"}')
    result = cli("send", "email", "--from", FROM, "--to", "b@example.com", "--template", uuid,
                 "--vars-file", str(variables))
    assert result.code == 0, result
    base = tmp_path / "base.json"
    base.write_bytes(bom + b'{"subject": "Hi", "text": "x"}')
    rows = tmp_path / "rows.csv"
    rows.write_text("email\nc@example.com\n")
    result = cli("send", "batch", "--csv", str(rows), "--base", str(base), "--from", FROM)
    assert result.code == 0, result
    assert [d["recipient"] for d in deliveries(server)] == ["a@example.com", "b@example.com",
                                                            "c@example.com"]


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


def test_raw_empty_text_alternative_is_left_out(cli, server):
    eml = (b"From: me@example.com\nTo: t@example.com\nSubject: s\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/alternative; boundary=XX\n\n--XX\nContent-Type: text/plain"
           b"\n\n\n--XX\nContent-Type: text/html\n\n<p>hi</p>\n--XX--\n")
    result = cli("send", "raw", "-", "-o", "json", stdin=eml)
    assert result.code == 0, result
    sent = deliveries(server)[0]["payload"]
    assert "text" not in sent        # the spec's text has minLength 1
    assert sent["html"].strip() == "<p>hi</p>"
