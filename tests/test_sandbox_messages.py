"""`sandbox messages` list/get/body/headers/spam-report/analyze/forward/mark-read/delete
against the built-in server, and the server's message endpoints themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtrap_cli.local import routes_sandbox_messages
from tests.sandbox_mail import add_sandbox, api_requests, make_message, store

MESSAGE_FIELDS = {
    "id", "sandbox_id", "subject", "sent_at", "from_email", "from_name", "to_email", "to_name",
    "email_size", "is_read", "created_at", "updated_at", "template_id", "template_variables",
    "html_body_size", "text_body_size", "human_size", "html_path", "txt_path", "raw_path",
    "download_path", "html_source_path", "blacklists_report_info", "smtp_information"}
HTML = ('<html><head><style>.a { color: red }</style></head>\n<body>\n'
        '<div style="display: block">Hi</div>\n</body></html>')


def seed_many(server, count: int, subject: str = "Message {}") -> list[int]:
    return [store(server, make_message(subject=subject.format(i))) for i in range(count)]


# -- list ------------------------------------------------------------------------
def test_list_newest_first_with_every_field(cli, server):
    ids = seed_many(server, 3)
    result = cli("sandbox", "messages", "list", "-o", "json")
    assert result.code == 0, result
    items = result.json()
    assert [m["id"] for m in items] == ids[::-1]
    assert set(items[0]) == MESSAGE_FIELDS
    assert items[0]["subject"] == "Message 2"
    assert result.stderr == ""


def test_list_empty_sandbox_is_success(cli, server):
    result = cli("sandbox", "messages", "list", "-o", "json")
    assert result.code == 0
    assert result.json() == []


def test_list_search_matches_subject_to_email_and_to_name_only(cli, server):
    store(server, make_message(subject="Welcome aboard"))
    store(server, make_message(subject="Other", to="Welcome Team <team@example.com>"))
    store(server, make_message(subject="Third", to="x@welcome.example"))
    store(server, make_message(subject="Fourth", sender="welcome@example.com"))
    result = cli("sandbox", "messages", "list", "--search", "WELCOME", "-o", "json")
    assert result.code == 0
    assert sorted(m["subject"] for m in result.json()) == ["Other", "Third", "Welcome aboard"]
    assert api_requests(server, "/api/sandboxes/1/messages")[-1]["query"]["search"] == "WELCOME"


def test_list_one_page_by_default_and_all_pages_with_all(cli, server):
    ids = seed_many(server, 65)
    first = cli("sandbox", "messages", "list", "-o", "json")
    assert [m["id"] for m in first.json()] == ids[::-1][:30]
    before = len(api_requests(server, "/api/sandboxes/1/messages"))
    every = cli("sandbox", "messages", "list", "--all", "-o", "jsonl")
    assert every.code == 0
    assert [m["id"] for m in every.jsonl()] == ids[::-1]
    pages = api_requests(server, "/api/sandboxes/1/messages")[before:]
    assert [p["query"].get("last_id") for p in pages] == [None, str(ids[35]), str(ids[5])]


def test_list_page_last_id_and_limit(cli, server):
    ids = seed_many(server, 65)[::-1]
    page2 = cli("sandbox", "messages", "list", "--page", "2", "-o", "json").json()
    assert [m["id"] for m in page2] == ids[30:60]
    older = cli("sandbox", "messages", "list", "--last-id", str(ids[9]), "-o", "json").json()
    assert [m["id"] for m in older] == ids[10:40]
    limited = cli("sandbox", "messages", "list", "-L", "40", "-o", "json").json()
    assert [m["id"] for m in limited] == ids[:40]
    tail = cli("sandbox", "messages", "list", "--page", "2", "--all", "-o", "json").json()
    assert [m["id"] for m in tail] == ids[30:]


def test_list_page_and_last_id_together_is_usage_error(cli, server):
    result = cli("sandbox", "messages", "list", "--page", "2", "--last-id", "5")
    assert result.code == 2
    assert result.stderr.startswith("error: give --page or --last-id")
    assert api_requests(server, "/api/sandboxes") == []


def test_list_sandbox_from_flag_and_environment(cli, server):
    add_sandbox(server, 2)
    store(server, make_message(subject="in one"))
    store(server, make_message(subject="in two"), sandbox=2)
    by_flag = cli("sandbox", "messages", "list", "--sandbox", "2", "-o", "json").json()
    by_env = cli("sandbox", "messages", "list", "-o", "json",
                 env={"MAILTRAP_SANDBOX_ID": "2"}).json()
    assert [m["subject"] for m in by_flag] == [m["subject"] for m in by_env] == ["in two"]


def test_list_unknown_sandbox_is_not_found(cli, server):
    result = cli("sandbox", "messages", "list", "--sandbox", "999")
    assert result.code == 5
    assert result.stderr.startswith("error: GET /api/sandboxes/999/messages: HTTP 404")
    assert "Traceback" not in result.stderr


def test_list_table_shows_brackets_in_subjects(cli, server):
    store(server, make_message(subject="[CI] build passed"))
    result = cli("sandbox", "messages", "list", "-o", "table")
    assert result.code == 0
    assert "[CI] build passed" in result.stdout


# -- get / headers -------------------------------------------------------------------
def test_get_message(cli, server):
    mid = store(server, make_message(text="plain", html="<b>bold</b>", cc="c@example.com"),
                smtp_to=["bob@example.com", "c@example.com"])
    result = cli("sandbox", "messages", "get", str(mid), "-o", "json")
    assert result.code == 0
    message = result.json()
    assert message["id"] == mid and message["from_email"] == "app@example.com"
    assert message["to_name"] == "Bob" and message["is_read"] is False
    assert message["text_body_size"] == len("plain\n")
    assert message["html_body_size"] == len("<b>bold</b>\n")
    assert message["sent_at"] == "2026-11-26T10:00:00.000Z"
    assert message["txt_path"] == f"/api/sandboxes/1/messages/{mid}/body.txt"
    assert message["smtp_information"]["data"]["rcpt_to_addrs"] == ["bob@example.com",
                                                                    "c@example.com"]


def test_get_unknown_message_is_not_found(cli, server):
    result = cli("sandbox", "messages", "get", "12345")
    assert result.code == 5
    assert result.stderr.startswith("error: GET /api/sandboxes/1/messages/12345: HTTP 404: "
                                    "Not Found")


def test_message_id_must_be_a_positive_number(cli, server):
    result = cli("sandbox", "messages", "get", "abc")
    assert result.code == 2
    assert result.stderr.startswith("error: ")


def test_headers_json_and_table(cli, server):
    mid = store(server, make_message(subject="Headers [x]"))
    as_json = cli("sandbox", "messages", "headers", str(mid), "-o", "json")
    assert as_json.code == 0
    headers = as_json.json()["headers"]
    assert headers["subject"] == "Headers [x]"
    assert headers["from"] == "App <app@example.com>"
    table = cli("sandbox", "messages", "headers", str(mid), "-o", "table")
    assert "Headers [x]" in table.stdout and "message-id" in table.stdout


# -- body ---------------------------------------------------------------------------
def test_body_every_format(cli, server):
    msg = make_message(text="Plain text ✓", html="<p>HTML ✓</p>")
    mid = store(server, msg)
    raw = bytes(msg)

    def body(*args):
        result = cli("sandbox", "messages", "body", str(mid), *args)
        assert result.code == 0, result
        return result

    assert body().stdout == "Plain text ✓\n"
    assert body("--format", "text").stdout == "Plain text ✓\n"
    assert body("--format", "html").stdout == "<p>HTML ✓</p>\n"
    assert body("--format", "html-source").stdout == "<p>HTML ✓</p>\n"
    assert body("--format", "raw").stdout_bytes == raw
    assert body("--format", "eml").stdout_bytes == raw


def test_body_missing_part_is_a_clear_error(cli, server):
    mid = store(server, make_message(text="only text"))
    result = cli("sandbox", "messages", "body", str(mid), "--format", "html")
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == f"error: message {mid} has no HTML body"
    assert "--format text" in result.stderr
    html_only = store(server, make_message(text=None, html="<p>x</p>"))
    result = cli("sandbox", "messages", "body", str(html_only))
    assert result.code == 1
    assert f"message {html_only} has no text body" in result.stderr


def test_server_answers_409_text_for_missing_part(server):
    mid = store(server, make_message(text="only text"))
    response = server.call("GET", f"/api/sandboxes/1/messages/{mid}/body.html")
    assert response.status_code == 409
    assert response.text == "Conflict"


def test_body_bad_format_is_usage_error(cli, server):
    result = cli("sandbox", "messages", "body", "1", "--format", "pdf")
    assert result.code == 2
    assert "--format must be one of text, html, html-source, raw, eml" in result.stderr
    assert api_requests(server, "/api/") == []


def test_body_follows_returned_paths(cli, server, monkeypatch):
    monkeypatch.setattr(routes_sandbox_messages, "BODY_PATHS", "parts")
    mid = store(server, make_message(text="via parts"))
    result = cli("sandbox", "messages", "body", str(mid))
    assert result.code == 0
    assert result.stdout == "via parts\n"
    assert [e["path"] for e in api_requests(server, "/api/testing_message_parts/")] == [
        f"/api/testing_message_parts/{mid}/body.txt"]
    assert api_requests(server, f"/api/sandboxes/1/messages/{mid}/body") == []


def test_body_falls_back_to_canonical_path_when_none_given(cli, server, monkeypatch):
    monkeypatch.setattr(routes_sandbox_messages, "body_paths", lambda sid, mid: {})
    mid = store(server, make_message(text="canonical"))
    result = cli("sandbox", "messages", "body", str(mid), "--format", "text")
    assert result.code == 0 and result.stdout == "canonical\n"
    assert len(api_requests(server, f"/api/sandboxes/1/messages/{mid}/body.txt")) == 1


def test_follow_path_never_sends_the_token_to_another_host():
    from mailtrap_cli.api.messages import follow_path

    class FakeClient:
        hosts = {"api": "http://127.0.0.1:9", "send": "https://send.example"}

    client = FakeClient()
    assert follow_path(client, "/api/x/body.txt", "/fallback") == "/api/x/body.txt"
    assert follow_path(client, "http://127.0.0.1:9/api/y", "/fallback") == "http://127.0.0.1:9/api/y"
    assert follow_path(client, "https://evil.example/steal", "/fallback") == "/fallback"
    assert follow_path(client, "//evil.example/steal", "/fallback") == "/fallback"
    assert follow_path(client, None, "/fallback") == "/fallback"
    assert follow_path(client, "", "/fallback") == "/fallback"


def test_body_save_refuses_to_overwrite_without_force(cli, server, tmp_path: Path):
    msg = make_message(text="saved")
    mid = store(server, msg)
    target = tmp_path / "mail.eml"
    result = cli("sandbox", "messages", "body", str(mid), "--format", "eml", "--save",
                 str(target))
    assert result.code == 0, result
    assert result.json() == {"message_id": mid, "format": "eml", "path": str(target),
                             "bytes": len(bytes(msg))}
    assert target.read_bytes() == bytes(msg)
    again = cli("sandbox", "messages", "body", str(mid), "--save", str(target))
    assert again.code == 2
    assert again.stderr.startswith(f"error: {target} exists")
    assert target.read_bytes() == bytes(msg)
    forced = cli("sandbox", "messages", "body", str(mid), "--save", str(target), "--force")
    assert forced.code == 0
    assert target.read_text() == "saved\n"


# -- reports ------------------------------------------------------------------------
def test_spam_report_json_is_deterministic(cli, server):
    mid = store(server, make_message(text="hello", html="<p>hello</p>"))
    first = cli("sandbox", "messages", "spam-report", str(mid), "-o", "json")
    second = cli("sandbox", "messages", "spam-report", str(mid), "-o", "json")
    assert first.code == 0 and first.stdout == second.stdout
    report = first.json()["report"]
    assert report["Spam"] is False and report["Threshold"] == 5.0
    assert [d["RuleName"] for d in report["Details"]] == ["HTML_MESSAGE"]


def test_spam_report_flags_spammy_messages_and_renders_a_table(cli, server):
    mid = store(server, make_message(subject="WINNER WINNER FREE MONEY", text="Act now, winner!",
                                     date=False))
    report = cli("sandbox", "messages", "spam-report", str(mid), "-o", "json").json()["report"]
    assert report["Spam"] is True and report["Score"] >= report["Threshold"]
    table = cli("sandbox", "messages", "spam-report", str(mid), "-o", "table")
    assert table.code == 0
    for word in ("score", "spam", "SUBJ_ALL_CAPS", "SPAMMY_PHRASES", "MISSING_DATE"):
        assert word in table.stdout


def test_analyze_reports_html_rules_by_line(cli, server):
    mid = store(server, make_message(html=HTML))
    result = cli("sandbox", "messages", "analyze", str(mid), "-o", "json")
    assert result.code == 0
    errors = result.json()["report"]["errors"]
    assert [(e["rule_name"], e["error_line"]) for e in errors] == [("style", 1), ("display", 3)]
    assert "Outlook 2007–16" in errors[1]["email_clients"]["desktop"]


def test_analyze_table_has_issues_and_per_client_summary(cli, server):
    mid = store(server, make_message(html=HTML))
    result = cli("sandbox", "messages", "analyze", str(mid), "-o", "table")
    assert result.code == 0
    assert "HTML issues" in result.stdout and "Clients" in result.stdout
    assert "Yahoo! Mail iOS app" in result.stdout
    tsv = cli("sandbox", "messages", "analyze", str(mid), "-o", "tsv")
    assert tsv.stdout.splitlines()[0] == "line\trule\tplatform\tclient"
    assert "1\tstyle\tdesktop\tNotes 6 / 7" in tsv.stdout.splitlines()


def test_analyze_text_only_message_has_no_issues(cli, server):
    mid = store(server, make_message(text="just text"))
    result = cli("sandbox", "messages", "analyze", str(mid), "-o", "table")
    assert result.code == 0
    assert result.stdout == ""
    assert "no HTML compatibility issues" in result.stderr


# -- forward / mark-read / delete ------------------------------------------------------
def test_forward(cli, server):
    mid = store(server, make_message())
    result = cli("sandbox", "messages", "forward", str(mid), "--to", "qa@example.com",
                 "-o", "json")
    assert result.code == 0, result
    assert result.json() == {"message": "Your email message has been successfully forwarded"}
    rows = server.app.store.all("SELECT email FROM message_forwards WHERE message_id = ?", (mid,))
    assert rows == [{"email": "qa@example.com"}]
    count = server.app.store.one("SELECT forwarded_messages_count AS n FROM sandboxes "
                                 "WHERE id = 1")
    assert count == {"n": 1}


def test_forward_invalid_address_sends_nothing(cli, server):
    mid = store(server, make_message())
    result = cli("sandbox", "messages", "forward", str(mid), "--to", "not-an-address")
    assert result.code == 2
    assert result.stderr.startswith("error: --to 'not-an-address' is not an email address")
    assert api_requests(server, "/api/", "POST") == []


def test_forward_dry_run(cli, server):
    result = cli("sandbox", "messages", "forward", "7", "--to", "qa@example.com", "--dry-run",
                 "-o", "json")
    assert result.code == 0
    request = result.json()
    assert request["method"] == "POST"
    assert request["url"].endswith("/api/sandboxes/1/messages/7/forward")
    assert request["body"] == {"email": "qa@example.com"}
    assert api_requests(server, "/api/", "POST") == []


def test_mark_read_and_unread(cli, server):
    mid = store(server, make_message())
    read = cli("sandbox", "messages", "mark-read", str(mid), "-o", "json")
    assert read.code == 0
    assert read.json()["is_read"] is True
    assert read.json()["blacklists_report_info"] is False   # the PATCH answer's shape
    assert "marked message" in read.stderr
    unread = cli("sandbox", "messages", "mark-read", str(mid), "--unread", "-o", "json")
    assert unread.json()["is_read"] is False
    dry = cli("sandbox", "messages", "mark-read", str(mid), "--dry-run", "-o", "json")
    assert dry.json()["body"] == {"message": {"is_read": "true"}}
    assert len(api_requests(server, "/api/", "PATCH")) == 2


def test_delete_needs_yes_off_a_terminal(cli, server):
    mid = store(server, make_message())
    refused = cli("sandbox", "messages", "delete", str(mid))
    assert refused.code == 3
    assert api_requests(server, "/api/", "DELETE") == []
    dry = cli("sandbox", "messages", "delete", str(mid), "--dry-run", "-o", "json")
    assert dry.code == 0 and dry.json()["method"] == "DELETE"
    deleted = cli("sandbox", "messages", "delete", str(mid), "--yes", "-o", "json")
    assert deleted.code == 0
    assert deleted.json()["id"] == mid
    assert cli("sandbox", "messages", "get", str(mid)).code == 5


def test_deleted_ids_are_not_reused(server):
    first = store(server, make_message())
    server.call("DELETE", f"/api/sandboxes/1/messages/{first}")
    assert store(server, make_message()) > first


# -- server details -------------------------------------------------------------------
@pytest.mark.no_spec_check   # out-of-range paging on purpose
@pytest.mark.parametrize("query", ["page=0", "page=x", "last_id=0"])
def test_server_rejects_bad_paging(server, query):
    response = server.call("GET", f"/api/sandboxes/1/messages?{query}")
    assert response.status_code == 422
    assert "errors" in response.json()


def test_server_patch_validates_is_read(server):
    mid = store(server, make_message())
    response = server.call("PATCH", f"/api/sandboxes/1/messages/{mid}", json={"message": {}})
    assert response.status_code == 422
    ok = server.call("PATCH", f"/api/sandboxes/1/messages/{mid}",
                     json={"message": {"is_read": "true"}})
    assert ok.json()["is_read"] is True
    assert ok.json()["updated_at"] >= ok.json()["created_at"]


def test_message_in_another_sandbox_is_not_found(server):
    add_sandbox(server, 2)
    mid = store(server, make_message(), sandbox=2)
    assert server.call("GET", f"/api/sandboxes/1/messages/{mid}").status_code == 404
    assert server.call("GET", f"/api/sandboxes/2/messages/{mid}").status_code == 200



MALFORMED = [
    b"",
    b"garbage without headers",
    b"Subject: =?bad?=\nFrom: <<<\nTo: ,,,\nDate: not a date\n\n\xff\xfe body",
    b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain; charset=bogus"
    b"\n\nhi\n--x\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n--x--\n",
    b"Content-Type: multipart/alternative; boundary=y\n\nno parts at all",
    b"Content-Type: multipart/mixed\n\nno boundary parameter",
    b"Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n<p>=ZZ bad qp</p>",
]


def test_server_survives_malformed_messages(server):
    for raw in MALFORMED:
        mid = store(server, raw)
        base = f"/api/sandboxes/1/messages/{mid}"
        for suffix in ("", "/body.txt", "/body.html", "/body.htmlsource", "/body.raw",
                       "/body.eml", "/mail_headers", "/spam_report", "/analyze", "/attachments"):
            response = server.call("GET", base + suffix)
            assert response.status_code in (200, 409), (raw, suffix, response.text)
        for attachment in server.call("GET", base + "/attachments").json():
            assert server.call("GET", attachment["download_path"]).status_code == 200
    assert len(server.call("GET", "/api/sandboxes/1/messages").json()) == len(MALFORMED)
