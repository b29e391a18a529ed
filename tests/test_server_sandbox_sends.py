"""The built-in server stores sandbox sends with awkward header fields and names."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from tests.send_batch_helpers import PLAIN


def sandbox_messages(server, sandbox_id=1):
    rows = server.app.store.all("SELECT raw FROM messages WHERE sandbox_id = ? ORDER BY id",
                                (sandbox_id,))
    return [message_from_bytes(r["raw"], policy=policy.default) for r in rows]


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

