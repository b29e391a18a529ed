"""Sandbox commands on awkward mail and ids: nested and broken MIME in every output
mode, attachment names, missing sandboxes, ids beyond 64 bits."""

from __future__ import annotations

import pytest

from tests.sandbox_mail import make_message, store

NESTED = (b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\r\n"
          b"To: =?utf-8?b?w4RubmE=?= <anna@example.com>, b@example.com\r\n"
          b"Subject: =?utf-8?b?w5xiZXIgbmVzdGVk?=\r\nX-Dup: 1\r\nX-Dup: 2\r\n"
          b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=OUT\r\n\r\n"
          b"--OUT\r\nContent-Type: multipart/related; boundary=REL\r\n\r\n"
          b"--REL\r\nContent-Type: multipart/alternative; boundary=ALT\r\n\r\n"
          b"--ALT\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
          b"Content-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 code 246810\r\n"
          b"--ALT\r\nContent-Type: text/html; charset=koi8-r\r\n\r\n"
          b"<p>\xf0\xd2\xc9\xd7\xc5\xd4 <a href='https://e.x/?k=1'>go</a>"
          b"<img src=\"cid:img1\"></p>\r\n--ALT--\r\n"
          b"--REL\r\nContent-Type: image/png\r\nContent-ID: <img1>\r\n"
          b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--REL--\r\n"
          b"--OUT\r\nContent-Type: application/pdf; name=\"no-disp.pdf\"\r\n"
          b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
          b"--OUT\r\nContent-Type: text/plain\r\n"
          b"Content-Disposition: attachment; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt"
          b"\r\n\r\nrfc2231\r\n"
          b"--OUT\r\nContent-Type: application/octet-stream\r\n"
          b"Content-Disposition: attachment\r\n\r\nnoname\r\n--OUT--\r\n")


BROKEN = [b"", b"\r\n", b"\x00\xff\xfe garbage \x80\x81", b"Subject: only header",
         b"Content-Type: multipart/mixed\r\n\r\nno boundary at all",
         b"Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n"
         b"Content-Type: text/plain\r\n\r\nunterminated",
         b"Subject: " + b"x" * 20000 + b"\r\n\r\nbody",
         b"From: \"unterminated <a@b\r\nTo: ,,,@@@\r\nDate: not a date\r\n"
         b"Subject: =?utf-8?b?!!!?=\r\n\r\nb",
         b"Content-Type: text/html; charset=utf-16\r\n\r\n\xff\xfe<\x00p\x00>\x00",
         b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64",
         b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n",
         ]


HUGE = "99999999999999999999"   # more than SQLite's 64-bit integers


def test_list_of_a_missing_sandbox_prints_nothing_on_stdout(cli, server):
    result = cli("sandbox", "messages", "list", "--sandbox", "999", "-o", "json")
    assert result.code == 5
    assert result.stdout == ""          # not a dangling "[" for jq to choke on
    assert result.stderr.startswith("error: ")


def test_unique_names_never_give_two_attachments_the_same_file():
    from mailtrap_cli.filenames import unique_names

    names = unique_names([("1", "a-3.txt"), ("2", "a.txt"), ("3", "a.txt"), ("4", "A.TXT")])
    assert len({n.lower() for n in names.values()}) == 4, names
    assert names["1"] == "a-3.txt" and names["2"] == "a.txt"


def test_every_read_command_in_every_output_mode_on_an_awkward_message(cli, server):
    """Nested multiparts, 8-bit non-UTF-8 parts, encoded words, repeated headers,
    nameless / RFC 2231 / disposition-less attachments: all spec-shaped, no traceback."""
    mid = store(server, NESTED)
    commands = [("messages", "list"), ("messages", "get", str(mid)),
                ("messages", "headers", str(mid)), ("messages", "spam-report", str(mid)),
                ("messages", "analyze", str(mid)), ("attachments", "list", str(mid)),
                ("attachments", "get", str(mid), "1")]
    for command in commands:
        for mode in ("table", "json", "jsonl", "tsv"):
            result = cli("sandbox", *command, "-o", mode)
            assert result.code == 0, (command, mode, result)
            assert "Traceback" not in result.stderr
    message = cli("sandbox", "messages", "get", str(mid), "-o", "json").json()
    assert message["subject"] == "Über nested"
    assert (message["from_name"], message["to_name"]) == ("Jürgen", "Änna")
    headers = cli("sandbox", "messages", "headers", str(mid), "-o", "json").json()["headers"]
    assert all(isinstance(v, str) for v in headers.values())
    text = cli("sandbox", "messages", "body", str(mid))
    assert text.stdout == "Café code 246810\n"
    html = cli("sandbox", "messages", "body", str(mid), "--format", "html")
    assert "Привет" in html.stdout
    names = [a["filename"] for a in
             cli("sandbox", "attachments", "list", str(mid), "-o", "json").json()]
    assert "naïve résumé.txt" in names and "no-disp.pdf" in names
    code = cli("sandbox", "messages", "wait", "--since", "any", "--timeout", "0",
               "--extract", "code")
    assert code.stdout == "246810\n"


def test_body_save_creates_missing_folders_like_download_dir(cli, server, tmp_path):
    mid = store(server, make_message(text="kept"))
    target = tmp_path / "artifacts" / "mail" / "body.txt"
    result = cli("sandbox", "messages", "body", str(mid), "--save", str(target))
    assert result.code == 0, result
    assert target.read_text() == "kept\n"
    blocked = tmp_path / "file"
    blocked.write_text("x")
    bad = cli("sandbox", "messages", "body", str(mid), "--save", str(blocked / "b.txt"))
    assert bad.code == 2 and bad.stderr.startswith("error: cannot write")
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("raw", BROKEN)
def test_broken_mime_is_listed_shown_and_reported_without_a_crash(cli, server, raw):
    mid = store(server, raw)
    for cmd in (["messages", "list"], ["messages", "get", str(mid)],
                ["messages", "headers", str(mid)], ["messages", "spam-report", str(mid)],
                ["messages", "analyze", str(mid)], ["attachments", "list", str(mid)],
                ["messages", "body", str(mid), "--format", "raw"]):
        for mode in ("json",):
            r = cli("sandbox", *cmd, "-o", mode)
            assert r.code == 0, (cmd, r)
    for fmt in ("text", "html", "html-source", "eml"):
        r = cli("sandbox", "messages", "body", str(mid), "--format", fmt)
        assert r.code in (0, 1), (fmt, r)
        assert "Traceback" not in r.stderr and "unexpected" not in r.stderr, (fmt, r)
    r = cli("sandbox", "messages", "wait", "--since", "any", "--timeout", "0",
            "--extract", "link")
    assert r.code in (0, 1) and "unexpected" not in r.stderr, r


@pytest.mark.parametrize("args", [
    ("messages", "get", HUGE), ("messages", "delete", HUGE, "--yes"),
    ("messages", "list", "--sandbox", HUGE), ("attachments", "list", HUGE),
    ("sandboxes", "get", HUGE), ("projects", "get", HUGE)])
def test_ids_beyond_64_bits_are_not_found_not_a_dropped_connection(cli, server, args):
    result = cli("sandbox", *args)
    assert result.code == 5, result
    assert "retry" not in result.stderr


@pytest.mark.parametrize("flag", ["--last-id", "--page"])
def test_list_cursor_beyond_64_bits_is_answered(cli, server, flag):
    store(server, make_message())
    result = cli("sandbox", "messages", "list", flag, HUGE, "-o", "json")
    assert result.code == 0, result
    assert len(result.json()) == (1 if flag == "--last-id" else 0)

