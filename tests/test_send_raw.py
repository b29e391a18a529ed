"""`mailtrap send raw`: .eml / MIME files parsed into the API's fields and sent."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
PDF = b"%PDF-1.4\n" + bytes(range(255, -1, -1)) * 5

RAW = b"""Received: from mx.example.com by relay; Thu, 26 Nov 2026 10:00:00 +0000
DKIM-Signature: v=1; a=rsa-sha256; d=example.com; b=abc
Message-ID: <orig-1@example.com>
Date: Thu, 26 Nov 2026 10:00:00 +0000
From: =?UTF-8?Q?Zo=C3=AB_=C3=9Cn=C3=AFcode?= <zoe@example.com>
To: Ann <ann@example.com>, bo@example.com
Cc: =?UTF-8?B?Q8OpY2lsZQ==?= <cecile@example.com>
Reply-To: help@example.com
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_=E2=80=94?= hello
X-Campaign: =?UTF-8?Q?fr=C3=BChling?=
X-MT-Category: news
X-MT-Custom-Variables: {"user_id": "9", "n": 2}
List-Unsubscribe: <mailto:unsubscribe@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed"

--mixed
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe, plain
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>Hi <img src="cid:logo@example.com"></p>
--rel
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <logo@example.com>

""" + base64.encodebytes(PNG) + b"""--rel--
--alt--
--mixed
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

""" + base64.encodebytes(PDF) + b"""--mixed--
"""


@pytest.fixture
def eml(tmp_path):
    path = tmp_path / "message.eml"
    path.write_bytes(RAW)
    return path


def deliveries(server, **params):
    return server.call("GET", "/_local/deliveries", params=params).json()


def nothing_sent(server):
    return server.requests(path="/api/send") == [] and deliveries(server) == []


def att(payload, filename):
    return next(a for a in payload["attachments"] if a["filename"] == filename)


def test_multipart_message_becomes_the_api_fields(cli, server, eml):
    result = cli("send", "raw", str(eml), "-o", "json")
    assert result.code == 0, result
    assert len(result.json()["message_ids"]) == 3
    payload = deliveries(server)[0]["payload"]
    assert payload["from"] == {"email": "zoe@example.com", "name": "Zoë Ünïcode"}
    assert payload["to"] == [{"email": "ann@example.com", "name": "Ann"},
                             {"email": "bo@example.com"}]
    assert payload["cc"] == [{"email": "cecile@example.com", "name": "Cécile"}]
    assert payload["reply_to"] == {"email": "help@example.com"}
    assert payload["subject"] == "Grüße — hello"
    assert payload["text"] == "Grüße, plain"
    assert payload["html"].startswith('<p>Hi <img src="cid:logo@example.com">')
    logo = att(payload, "part3.png")
    assert logo["disposition"] == "inline" and logo["content_id"] == "logo@example.com"
    assert base64.b64decode(logo["content"]) == PNG
    report = att(payload, "report.pdf")
    assert report["disposition"] == "attachment" and report["type"] == "application/pdf"
    assert base64.b64decode(report["content"]) == PDF
    assert payload["headers"] == {"X-Campaign": "frühling",
                                  "List-Unsubscribe": "<mailto:unsubscribe@example.com>"}
    assert payload["category"] == "news"
    assert payload["custom_variables"] == {"user_id": "9", "n": "2"}


def test_sandbox_round_trip_keeps_inline_parts_and_bytes(cli, server, eml):
    result = cli("send", "raw", str(eml), "--sandbox", "1", "-o", "json")
    assert result.code == 0, result
    rows = server.app.store.all("SELECT raw FROM messages WHERE sandbox_id = 1")
    assert len(rows) == 1
    stored = message_from_bytes(rows[0]["raw"], policy=policy.default)
    assert stored["Subject"] == "Grüße — hello"
    assert stored["X-Campaign"] == "frühling"
    assert stored["Message-ID"] != "<orig-1@example.com>"
    assert stored["Received"] is None and stored["DKIM-Signature"] is None
    parts = {p.get_content_type(): p for p in stored.walk()}
    assert parts["image/png"].get_payload(decode=True) == PNG
    assert parts["image/png"]["Content-ID"] == "<logo@example.com>"
    assert parts["application/pdf"].get_payload(decode=True) == PDF
    assert parts["application/pdf"].get_filename() == "report.pdf"
    assert deliveries(server) == []


def test_recipient_flags_replace_the_files_recipients(cli, server, eml):
    result = cli("send", "raw", str(eml), "--to", "QA <qa@example.com>", "--bcc",
                 "log@example.com", "--stream", "bulk", "-o", "json")
    assert result.code == 0, result
    rows = deliveries(server)
    assert [r["recipient"] for r in rows] == ["qa@example.com", "log@example.com"]
    assert {r["stream"] for r in rows} == {"bulk"}
    assert "cc" not in rows[0]["payload"]


def test_stdin_and_an_rfc2231_filename(cli, server):
    msg = EmailMessage()
    msg["From"] = "App <app@example.com>"
    msg["To"] = "ann@example.com"
    msg["Subject"] = "Bericht"
    msg.set_content("Anbei.")
    msg.add_attachment(b"\x00\x01data", maintype="application", subtype="octet-stream",
                       filename="Übersicht 2026.bin")
    result = cli("send", "raw", "-", "-o", "json", stdin=msg.as_bytes())
    assert result.code == 0, result
    payload = deliveries(server)[0]["payload"]
    assert payload["text"] == "Anbei.\n"
    assert "html" not in payload
    [item] = payload["attachments"]
    assert item["filename"] == "Übersicht 2026.bin"
    assert base64.b64decode(item["content"]) == b"\x00\x01data"


def test_missing_from_uses_the_profile(cli, server):
    from mailtrap_cli import config

    raw = b"To: ann@example.com\nSubject: s\n\nbody\n"
    result = cli("send", "raw", "-", stdin=raw)
    assert result.code == 2 and "no sender given" in result.stderr
    config.save_file({"profiles": {"local": {"from": "Default <default@example.com>"}}})
    result = cli("send", "raw", "-", "-o", "json", stdin=raw)
    assert result.code == 0, result
    assert deliveries(server)[0]["payload"]["from"] == {"email": "default@example.com",
                                                        "name": "Default"}


def test_dry_run_abbreviates_attachments(cli, server, eml):
    result = cli("send", "raw", str(eml), "--sandbox", "1", "--dry-run", "-o", "json")
    assert result.code == 0, result
    request = result.json()
    assert request["url"] == server.url + "/api/send/1"
    contents = sorted(a["content"] for a in request["body"]["attachments"])
    assert contents == [f"<base64 {len(PDF)} bytes>", f"<base64 {len(PNG)} bytes>"]
    assert nothing_sent(server)


@pytest.mark.parametrize(("raw", "needle"), [
    (b"", "the message is empty"),
    (b"From: a@example.com\nSubject: s\n\nno recipients\n", "has no recipients"),
    (b"From: a@example.com\nTo: not-an-address\nSubject: s\n\nx\n", "invalid message"),
    (b"From: a@example.com\nTo: b@example.com\n\nno subject\n", "'subject' is required"),
    (b"From: a@example.com\nTo: b@example.com\nSubject: s\nX-MT-Custom-Variables: {x\n\nb\n",
     "X-MT-Custom-Variables is not valid JSON"),
    (b"From: a@example.com\nTo: b@example.com\nSubject: s\nContent-Type: image/png\n"
     b"Content-Disposition: attachment; filename=a.png\n\nxx\n", "text or html body"),
])
def test_unusable_messages_exit_2_and_send_nothing(cli, server, raw, needle):
    result = cli("send", "raw", "-", stdin=raw)
    assert result.code == 2, result
    assert result.stderr.startswith("error: ") and needle in result.stderr
    assert "Traceback" not in result.stderr
    assert nothing_sent(server)


def test_unreadable_file_exits_2(cli, server, tmp_path):
    result = cli("send", "raw", str(tmp_path / "missing.eml"))
    assert result.code == 2
    assert result.stderr.startswith("error: cannot read")
    assert nothing_sent(server)


def test_invalid_recipient_flag_exits_2(cli, server, eml):
    result = cli("send", "raw", str(eml), "--to", "nope")
    assert result.code == 2 and "--to 'nope'" in result.stderr
    assert nothing_sent(server)
