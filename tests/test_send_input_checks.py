"""What `send email|raw|batch` refuses or fixes before sending: NaN and Infinity,
8-bit headers, a missing From, empty attachments, a list in one --to, a BOM."""

from __future__ import annotations

import pytest

from tests.send_batch_helpers import PLAIN, batch_posts, deliveries

FROM = "App <app@example.com>"


TEMPLATE = {"name": "Welcome", "subject": "Hi {{name}}", "category": "welcome",
            "body_text": "Hello {{name}} {{n}}"}


def create_template(server):
    response = server.call("POST", "/api/email_templates", json={"email_template": TEMPLATE})
    assert response.status_code == 201, response.text
    return response.json()["uuid"]


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
    assert summary["invalid_rows"][0]["where"].endswith("rows.jsonl:1")
    assert "NaN" in summary["invalid_rows"][0]["errors"][0]
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


@pytest.mark.parametrize("value", ["a@example.com, b@example.com", "a@example.com;b@example.com",
                                   "Ann <a@example.com>, b@example.com"])
def test_a_list_in_one_recipient_flag_says_to_repeat_it(cli, server, value):
    result = cli("send", "email", "--from", FROM, "--cc", value, "--to", "x@example.com",
                 "--subject", "Hi", "--text", "x")
    assert result.code == 2, result
    assert "one address per --cc" in result.stderr
    assert server.requests(path="/api/send") == []


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


def test_raw_empty_text_alternative_is_left_out(cli, server):
    eml = (b"From: me@example.com\nTo: t@example.com\nSubject: s\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/alternative; boundary=XX\n\n--XX\nContent-Type: text/plain"
           b"\n\n\n--XX\nContent-Type: text/html\n\n<p>hi</p>\n--XX--\n")
    result = cli("send", "raw", "-", "-o", "json", stdin=eml)
    assert result.code == 0, result
    sent = deliveries(server)[0]["payload"]
    assert "text" not in sent        # the spec's text has minLength 1
    assert sent["html"].strip() == "<p>hi</p>"

