"""Hostile input that used to end in "unexpected ..." (issue 8): odd .eml files,
deep JSON, attachment names near the file-system limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox_mail import make_message, store

HEAD = b"From: app@example.com\r\nTo: user@example.com\r\nSubject: Hi\r\n"


def _eml(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "m.eml"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("header", [b"Message-ID: <<<>>>", b"In-Reply-To: <<<>>>",
                                    b"References: <<<>>> <<", b"Message-ID: <"])
def test_send_raw_with_a_broken_message_id_is_sent_without_a_crash(cli, server, tmp_path,
                                                                     header):
    path = _eml(tmp_path, HEAD + header + b"\r\n\r\nHello\r\n")
    result = cli("send", "raw", str(path))
    assert result.code == 0, result
    assert "unexpected" not in result.stderr


def test_send_raw_with_parts_nested_thousands_deep_is_a_usage_error(cli, server, tmp_path):
    depth = 3000
    body = b"MIME-Version: 1.0\r\n"
    for i in range(depth):
        body += b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
    body += b"Content-Type: text/plain\r\n\r\nhello\r\n"
    for i in reversed(range(depth)):
        body += b"--b%d--\r\n" % i
    result = cli("send", "raw", str(_eml(tmp_path, HEAD + body)))
    result.assert_clean_error(2)
    assert "nests its parts too deeply" in result.stderr


def test_send_email_vars_file_nested_too_deep_is_a_usage_error(cli, server, tmp_path):
    path = tmp_path / "vars.json"
    path.write_text('{"a": ' + "[" * 5000 + "]" * 5000 + "}")
    result = cli("send", "email", "--from", "app@example.com", "--to", "user@example.com",
                 "--template", "11111111-2222-3333-4444-555555555555", "--vars-file",
                 str(path))
    result.assert_clean_error(2)
    assert "nested" in result.stderr


def test_download_force_with_a_name_of_250_bytes(cli, server, tmp_path):
    name = "r" * 246 + ".pdf"
    mid = store(server, make_message(attachments=[(name, b"new", "application/pdf")]))
    (tmp_path / name).write_bytes(b"old")
    result = cli("sandbox", "attachments", "download", str(mid), "--dir", str(tmp_path),
                 "--force", "-o", "json")
    assert result.code == 0, result
    assert (tmp_path / name).read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


EMAIL = ["send", "email", "--from", "app@example.com", "--to", "user@example.com",
         "--subject", "Hi", "--text", "Hello"]


@pytest.mark.parametrize("kind", ["device", "fifo", "folder", "huge"])
def test_attach_must_be_a_regular_file_within_the_limit(cli, server, tmp_path, kind):
    import os

    if kind == "device":
        path = "/dev/zero"
    elif kind == "fifo":
        path = str(tmp_path / "pipe")
        os.mkfifo(path)
    elif kind == "folder":
        path = str(tmp_path)
    else:
        path = str(tmp_path / "big.bin")
        with open(path, "wb") as handle:
            handle.truncate(11 * 1024 * 1024)   # sparse: nothing read to refuse it
    result = cli(*EMAIL, "--attach", path)
    result.assert_clean_error(2)
    assert "regular file" in result.stderr or "at most" in result.stderr
    assert server.requests(path="/api/send") == []


def test_var_with_a_number_json_cannot_carry_is_a_usage_error(cli, server):
    result = cli("send", "email", "--from", "app@example.com", "--to", "user@example.com",
                 "--template", "11111111-2222-3333-4444-555555555555", "--var", "code=1e999")
    result.assert_clean_error(2)
    assert "--var code=1e999" in result.stderr and "out of range" in result.stderr
