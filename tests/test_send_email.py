"""`mailtrap send email` against the built-in server: every option, validation, errors."""

from __future__ import annotations

import json
import os
from email import message_from_bytes, policy

import pytest

FROM = "App <app@example.com>"


def send(cli, *args, stdin=None, env=None):
    return cli("send", "email", "--from", FROM, *args, "-o", "json", stdin=stdin, env=env)


def deliveries(server, **params):
    return server.call("GET", "/_local/deliveries", params=params).json()


def nothing_sent(server):
    return server.requests(path="/api/send") == [] and deliveries(server) == []


def sandbox_messages(server, sandbox_id=1):
    rows = server.app.store.all("SELECT raw FROM messages WHERE sandbox_id = ? ORDER BY id",
                                (sandbox_id,))
    return [message_from_bytes(r["raw"], policy=policy.default) for r in rows]


def set_profile(**values):
    from mailtrap_cli import config

    config.save_file({"profiles": {"local": values}})


def test_send_prints_message_ids_and_delivers(cli, server):
    result = send(cli, "--to", "Ann Example <ann@example.com>", "--to", "bo@example.com",
                  "--cc", "cc@example.com", "--bcc", "bcc@example.com",
                  "--reply-to", "Help <help@example.com>", "--subject", "Hi [there]",
                  "--text", "Hello")
    assert result.code == 0, result
    ids = result.json()["message_ids"]
    assert len(ids) == 4
    assert "sent to the transactional stream" in result.stderr
    rows = deliveries(server)
    assert [r["recipient"] for r in rows] == ["ann@example.com", "bo@example.com",
                                              "cc@example.com", "bcc@example.com"]
    payload = rows[0]["payload"]
    assert payload["from"] == {"email": "app@example.com", "name": "App"}
    assert payload["to"][0] == {"email": "ann@example.com", "name": "Ann Example"}
    assert payload["to"][1] == {"email": "bo@example.com"}
    assert payload["reply_to"] == {"email": "help@example.com", "name": "Help"}
    assert payload["subject"] == "Hi [there]" and payload["text"] == "Hello"
    assert {r["stream"] for r in rows} == {"transactional"}


def test_headers_custom_variables_and_category(cli, server):
    result = send(cli, "--to", "ann@example.com", "--subject", "s", "--html", "<b>x</b>",
                  "--header", "X-Campaign: spring", "--header", "List-Id:news",
                  "--custom-var", "user_id=42", "--custom-var", "note=a=b",
                  "--category", "welcome")
    assert result.code == 0, result
    payload = deliveries(server)[0]["payload"]
    assert payload["headers"] == {"X-Campaign": "spring", "List-Id": "news"}
    assert payload["custom_variables"] == {"user_id": "42", "note": "a=b"}
    assert payload["category"] == "welcome"
    assert payload["html"] == "<b>x</b>" and "text" not in payload


def test_from_and_stream_default_to_the_profile(cli, server):
    set_profile(**{"from": "Profile <profile@example.com>", "stream": "bulk"})
    result = cli("send", "email", "--to", "ann@example.com", "--subject", "s", "--text", "t")
    assert result.code == 0, result
    [row] = deliveries(server)
    assert row["stream"] == "bulk"
    assert row["payload"]["from"] == {"email": "profile@example.com", "name": "Profile"}
    assert server.requests(path="/api/send")[0]["stream"] == "bulk"
    result = cli("send", "email", "--to", "ann@example.com", "--subject", "s", "--text", "t",
                 "--stream", "transactional")
    assert result.code == 0
    assert len(deliveries(server, stream="transactional")) == 1


def test_bulk_stream_flag(cli, server):
    result = send(cli, "--to", "ann@example.com", "--subject", "s", "--text", "t",
                  "--stream", "bulk")
    assert result.code == 0, result
    assert [r["stream"] for r in deliveries(server)] == ["bulk"]


def test_no_sender_anywhere_is_a_usage_error(cli, server):
    result = cli("send", "email", "--to", "ann@example.com", "--subject", "s", "--text", "t")
    assert result.code == 2
    assert result.stderr.startswith("error: no sender given")
    assert "config set from" in result.stderr
    assert nothing_sent(server)


def test_the_profile_sandbox_is_not_a_default(cli, server):
    # The local profile has sandbox_id 1; without --sandbox the send is live.
    result = send(cli, "--to", "ann@example.com", "--subject", "s", "--text", "t")
    assert result.code == 0
    assert sandbox_messages(server) == [] and len(deliveries(server)) == 1


def test_attachments_round_trip_byte_for_byte_through_a_sandbox(cli, server, tmp_path):
    binary = tmp_path / "data.bin"
    binary.write_bytes(os.urandom(70_000) + bytes(range(256)))
    text = tmp_path / "notes.txt"
    text.write_bytes("crlf\r\nlf\nlatin-1 \xe9".encode("latin-1"))
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(os.urandom(300))
    result = send(cli, "--to", "qa@example.com", "--subject", "Files", "--text", "see",
                  "--html", "<img src='cid:logo'><img src='cid:photo.jpg'>",
                  "--attach", str(binary), "--attach", str(text),
                  "--inline", f"{logo}:logo", "--inline", str(photo), "--sandbox", "1")
    assert result.code == 0, result
    assert "sent to sandbox 1" in result.stderr
    assert deliveries(server) == []
    [msg] = sandbox_messages(server)
    parts = {p.get_filename(): p for p in msg.walk() if p.get_filename()}
    assert parts["data.bin"].get_payload(decode=True) == binary.read_bytes()
    assert parts["notes.txt"].get_payload(decode=True) == text.read_bytes()
    assert parts["notes.txt"].get_content_type() == "text/plain"
    assert parts["logo.png"].get_payload(decode=True) == logo.read_bytes()
    assert parts["logo.png"]["Content-ID"] == "<logo>"
    assert parts["logo.png"].get_content_disposition() == "inline"
    assert parts["photo.jpg"]["Content-ID"] == "<photo.jpg>"
    assert parts["photo.jpg"].get_content_type() == "image/jpeg"
    assert parts["data.bin"].get_content_disposition() == "attachment"


def test_missing_sandbox_is_not_found(cli, server):
    result = send(cli, "--to", "qa@example.com", "--subject", "s", "--text", "t",
                  "--sandbox", "999")
    assert result.code == 5
    assert result.stderr.startswith("error: ") and "sandbox 999 not found" in result.stderr


def test_bodies_from_files_and_stdin(cli, server, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<h1>Ünïcode</h1>", encoding="utf-8")
    result = send(cli, "--to", "ann@example.com", "--subject", "s", "--text-file", "-",
                  "--html-file", str(page), stdin="from stdin\n")
    assert result.code == 0, result
    payload = deliveries(server)[0]["payload"]
    assert payload["text"] == "from stdin\n"
    assert payload["html"] == "<h1>Ünïcode</h1>"


def test_template_send_with_vars_and_vars_file(cli, server, tmp_path):
    created = server.call("POST", "/api/email_templates", json={"email_template": {
        "name": "t", "category": "onboarding", "subject": "Hi {{name}}",
        "body_text": "n={{n}} s={{s}} o={{o.a}} f={{from_file}}"}}).json()
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"from_file": "yes", "name": "File"}))
    result = send(cli, "--to", "ann@example.com", "--template", created["uuid"],
                  "--vars-file", str(variables), "--var", "name=Ann", "--var", "n=3",
                  "--var", "s=abc", "--var", 'o={"a":1}')
    assert result.code == 0, result
    payload = deliveries(server)[0]["payload"]
    assert payload["template_variables"] == {"from_file": "yes", "name": "Ann", "n": 3,
                                             "s": "abc", "o": {"a": 1}}
    assert payload["subject"] == "Hi Ann"
    assert payload["text"] == "n=3 s=abc o=1 f=yes"
    assert payload["category"] == "onboarding"


@pytest.mark.parametrize("flag", [["--subject", "s"], ["--text", "t"], ["--html", "h"],
                                  ["--category", "c"], ["--text-file", "x.txt"]])
def test_template_refuses_content_flags(cli, server, flag):
    result = send(cli, "--to", "ann@example.com", "--template",
                  "6f1c1d44-51a8-4f3e-9a55-6b1c2c7d9e01", *flag)
    assert result.code == 2
    assert f"--template cannot be combined with {flag[0]}" in result.stderr
    assert "the API refuses them" in result.stderr
    assert nothing_sent(server)


def test_unknown_template_shows_the_api_error(cli, server):
    result = send(cli, "--to", "ann@example.com", "--template",
                  "6f1c1d44-51a8-4f3e-9a55-6b1c2c7d9e01")
    assert result.code == 1
    assert result.stderr.startswith("error: ")
    assert "HTTP 400" in result.stderr and "not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_api_400_errors_are_shown_with_the_servers_messages(cli, server):
    server.fault(status=400, path="/api/send", body={
        "success": False, "errors": ["'from' address is invalid", "domain not verified"]})
    result = send(cli, "--to", "ann@example.com", "--subject", "s", "--text", "t")
    assert result.code == 1
    assert result.stderr.startswith("error: ")
    assert "'from' address is invalid; domain not verified" in result.stderr
    assert result.stdout == ""


def test_401_exits_4(cli, server):
    result = send(cli, "--to", "ann@example.com", "--subject", "s", "--text", "t",
                  env={"MAILTRAP_API_TOKEN": "invalid-token"})
    assert result.code == 4
    assert result.stderr.startswith("error: ")
    assert "invalid-token" not in result.stderr + result.stdout


def _many(flag, count):
    args = []
    for i in range(count):
        args += [flag, f"r{i}@example.com"]
    return args


@pytest.mark.parametrize(("args", "needle"), [
    (["--to", "not an address", "--subject", "s", "--text", "t"], "--to 'not an address'"),
    (["--to", "a@example.com", "--cc", "x@", "--subject", "s", "--text", "t"], "--cc 'x@'"),
    (["--to", "a@example.com", "--reply-to", "nope", "--subject", "s", "--text", "t"],
     "--reply-to"),
    (["--subject", "s", "--text", "t"], "no recipient given"),
    (["--to", "a@example.com", "--subject", "s"], "no body given"),
    (["--to", "a@example.com", "--text", "t"], "no subject given"),
    (["--to", "a@example.com", "--subject", "s", "--text", ""], "no body given"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--attach", "/no/such/file"],
     "cannot read --attach /no/such/file"),
    (["--to", "a@example.com", "--subject", "s", "--text-file", "/no/such.txt"],
     "cannot read --text-file"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--text-file", "x"],
     "either --text or --text-file"),
    (["--to", "a@example.com", "--subject", "s", "--text-file", "-", "--html-file", "-"],
     "only one of --text-file and --html-file"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--header", "NoColon"],
     "expected KEY:VALUE"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--header", "From: x"],
     "header 'From' is reserved"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--custom-var", "k"],
     "expected KEY=VALUE"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--custom-var",
      "k=" + "v" * 1000], "'custom_variables' is"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--category", "c" * 256],
     "'category' is longer than 255"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--var", "a=1"],
     "--var and --vars-file need --template"),
    (["--to", "a@example.com", "--template", "12"], "is not a template UUID"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--stream", "fast"],
     "--stream must be transactional or bulk"),
    (["--to", "a@example.com", "--subject", "s", "--text", "t", "--stream", "bulk",
      "--sandbox", "1"], "either --stream or --sandbox"),
    ([*_many("--to", 1001), "--subject", "s", "--text", "t"], "at most 1000"),
    ([*_many("--bcc", 1001), "--subject", "s", "--text", "t"], "'bcc' has 1001"),
])
def test_invalid_input_exits_2_and_sends_nothing(cli, server, args, needle):
    result = send(cli, *args)
    assert result.code == 2, result
    assert result.stderr.startswith("error: ")
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert nothing_sent(server)


def test_vars_file_must_be_a_json_object(cli, server, tmp_path):
    bad = tmp_path / "vars.json"
    bad.write_text("[1, 2]")
    result = send(cli, "--to", "a@example.com", "--template",
                  "6f1c1d44-51a8-4f3e-9a55-6b1c2c7d9e01", "--vars-file", str(bad))
    assert result.code == 2 and "must hold a JSON object" in result.stderr
    bad.write_text("{nope")
    result = send(cli, "--to", "a@example.com", "--template",
                  "6f1c1d44-51a8-4f3e-9a55-6b1c2c7d9e01", "--vars-file", str(bad))
    assert result.code == 2 and "not valid JSON" in result.stderr
    assert nothing_sent(server)


def test_oversized_message_exits_2(cli, server, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (8 * 1024 * 1024))  # 10.7 MB once base64-encoded
    result = send(cli, "--to", "a@example.com", "--subject", "s", "--text", "t",
                  "--attach", str(big))
    assert result.code == 2
    assert "message is too large" in result.stderr
    assert nothing_sent(server)


def test_dry_run_prints_the_request_and_sends_nothing(cli, server, tmp_path):
    attachment = tmp_path / "report.pdf"
    attachment.write_bytes(b"%PDF" + b"x" * 1230)
    result = send(cli, "--to", "ann@example.com", "--subject", "s", "--text", "t",
                  "--attach", str(attachment), "--stream", "bulk", "--dry-run",
                  env={"MAILTRAP_API_TOKEN": "secret-token-123"})
    assert result.code == 0, result
    request = result.json()
    assert request["method"] == "POST"
    assert request["url"] == server.url + "/bulk/api/send"
    assert request["headers"]["Authorization"] == "Bearer ***"
    item = request["body"]["attachments"][0]
    assert item == {"content": "<base64 1234 bytes>", "filename": "report.pdf",
                    "type": "application/pdf", "disposition": "attachment"}
    assert "secret-token-123" not in result.stdout + result.stderr
    assert "nothing was sent" in result.stderr
    assert nothing_sent(server)


def test_dry_run_into_a_sandbox_still_validates(cli, server):
    result = send(cli, "--to", "ann@example.com", "--subject", "s", "--text", "t",
                  "--sandbox", "7", "--dry-run")
    assert result.code == 0
    assert result.json()["url"] == server.url + "/api/send/7"
    result = send(cli, "--to", "ann@example.com", "--subject", "s", "--dry-run")
    assert result.code == 2
    assert nothing_sent(server)


@pytest.mark.parametrize(("text", "expected"), [
    ("ann@example.com", {"email": "ann@example.com"}),
    ("<ann@example.com>", {"email": "ann@example.com"}),
    ("Ann Example <ann@example.com>", {"email": "ann@example.com", "name": "Ann Example"}),
    ('"Doe, Jane" <jane@example.com>', {"email": "jane@example.com", "name": "Doe, Jane"}),
    ("Zoë <zoë@exämple.de>", {"email": "zoë@exämple.de", "name": "Zoë"}),
])
def test_parse_address(text, expected):
    from mailtrap_cli.message import parse_address

    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["", "ann", "ann@", "@example.com", "a b@example.com",
                                  "ann@example", "a..b@example.com", "Ann <>",
                                  "ann@-example.com"])
def test_parse_address_refuses(text):
    from mailtrap_cli.message import parse_address

    with pytest.raises(ValueError):
        parse_address(text)


def test_local_profile_sends_without_a_running_server(cli_raw, isolated):
    from mailtrap_cli.local.transport import app_for

    result = cli_raw("send", "email", "--from", FROM, "--to", "ann@example.com",
                     "--subject", "offline", "--text", "t", "-o", "json",
                     env={"MAILTRAP_PROFILE": "local"})
    assert result.code == 0, result
    app = app_for(isolated / "data" / "local.sqlite3")
    rows = app.store.all("SELECT recipient, stream FROM deliveries")
    assert rows == [{"recipient": "ann@example.com", "stream": "transactional"}]
