"""`mailtrap inbound ...` against the built-in server."""

from __future__ import annotations

import pytest


@pytest.fixture
def inbox(cli):
    folder = cli("inbound", "folders", "create", "Support", "-o", "json").json()
    created = cli("inbound", "inboxes", "create", "Tickets", "--folder", str(folder["id"]),
                  "-o", "json")
    assert created.code == 0, created
    return {**created.json(), "folder": str(folder["id"])}


def _receive(cli, tmp_path, address, subject="Help", attach=True):
    args = ["send", "email", "--from", "cust@example.com", "--to", address,
            "--to", "colleague@example.com", "--subject", subject, "--text", "please"]
    if attach:
        evil = tmp_path / "report.txt"
        evil.write_text("numbers")
        args += ["--attach", str(evil)]
    assert cli(*args).code == 0


def test_folders_and_inboxes(cli, server, inbox):
    folder = inbox["folder"]
    assert cli("inbound", "folders", "list", "-o", "json").json() == [
        {"id": int(folder), "name": "Support"}]
    renamed = cli("inbound", "folders", "update", folder, "--name", "Help", "-o", "json")
    assert renamed.json()["name"] == "Help"
    cli("inbound", "folders", "create", " ").assert_clean_error(2)
    listed = cli("inbound", "inboxes", "list", "--folder", folder, "-o", "json").json()
    assert listed[0]["address"] == inbox["address"]
    got = cli("inbound", "inboxes", "get", str(inbox["id"]), "--folder", folder, "-o", "json")
    assert got.json()["name"] == "Tickets"
    cli("inbound", "inboxes", "get", "99", "--folder", folder).assert_clean_error(5)
    assert cli("inbound", "inboxes", "update", str(inbox["id"]), "--folder", folder,
               "--name", "T2").code == 0
    cli("inbound", "inboxes", "delete", str(inbox["id"]), "--folder", folder
        ).assert_clean_error(3)
    assert cli("inbound", "inboxes", "delete", str(inbox["id"]), "--folder", folder,
               "--yes").code == 0
    assert cli("inbound", "folders", "delete", folder, "--yes").code == 0
    assert cli("inbound", "folders", "list", "-o", "json").json() == []


def test_messages_body_download_delete(cli, server, inbox, tmp_path):
    _receive(cli, tmp_path, inbox["address"])
    box = str(inbox["id"])
    listed = cli("inbound", "messages", "list", "--inbox", box, "-o", "json").json()
    assert [m["subject"] for m in listed] == ["Help"]
    mid = listed[0]["id"]
    got = cli("inbound", "messages", "get", mid, "--inbox", box, "-o", "json").json()
    assert got["text_body"].strip() == "please" and got["attachments"][0]["filename"] == \
        "report.txt"
    assert cli("inbound", "messages", "body", mid, "--inbox", box).stdout.strip() == "please"
    cli("inbound", "messages", "body", mid, "--inbox", box, "--html").assert_clean_error(2)
    out = tmp_path / "out"
    saved = cli("inbound", "messages", "download", mid, "--inbox", box, "--dir", str(out),
                "-o", "json")
    assert saved.code == 0, saved
    assert (out / "report.txt").read_text() == "numbers"
    again = cli("inbound", "messages", "download", mid, "--inbox", box, "--dir", str(out))
    again.assert_clean_error(2)
    raw = cli("inbound", "messages", "download", mid, "--inbox", box, "--dir", str(out),
              "--raw")
    assert raw.code == 0 and (out / f"{mid}.eml").read_bytes().startswith(b"From:")
    cli("inbound", "messages", "delete", mid, "--inbox", box).assert_clean_error(3)
    assert cli("inbound", "messages", "delete", mid, "--inbox", box, "--yes").code == 0
    cli("inbound", "messages", "get", mid, "--inbox", box).assert_clean_error(5)


def test_reply_reply_all_forward_and_threads(cli, server, inbox, tmp_path):
    _receive(cli, tmp_path, inbox["address"], attach=False)
    box = str(inbox["id"])
    mid = cli("inbound", "messages", "list", "--inbox", box, "-o", "json").json()[0]["id"]
    cli("inbound", "messages", "reply", mid, "--inbox", box).assert_clean_error(2)
    replied = cli("inbound", "messages", "reply", mid, "--inbox", box, "--text", "On it")
    assert replied.code == 0, replied
    everyone = cli("inbound", "messages", "reply-all", mid, "--inbox", box, "--text", "All")
    assert everyone.code == 0
    sent = server.call("GET", "/_local/deliveries").json()
    replies = [d for d in sent if d["payload"]["subject"] == "Re: Help"]
    assert sorted(d["recipient"] for d in replies) == [
        "colleague@example.com", "cust@example.com", "cust@example.com"]
    fwd = cli("inbound", "messages", "forward", mid, "--inbox", box, "--to", "boss@example.com",
              "--text", "FYI")
    assert fwd.code == 0
    cli("inbound", "messages", "forward", mid, "--inbox", box, "--to", "x").assert_clean_error(2)
    threads = cli("inbound", "threads", "list", "--inbox", box, "-o", "json").json()
    assert len(threads) == 1 and threads[0]["messages_count"] == 1
    tid = threads[0]["id"]
    shown = cli("inbound", "threads", "get", tid, "--inbox", box, "-o", "table")
    assert shown.code == 0 and "Help" in shown.stdout
    assert cli("inbound", "threads", "delete", tid, "--inbox", box, "--yes").code == 0
    assert cli("inbound", "messages", "list", "--inbox", box, "-o", "json").json() == []


def test_rules(cli, server, inbox):
    box = str(inbox["id"])
    created = cli("inbound", "rules", "create", "ops@example.com", "--inbox", box, "-o", "json")
    assert created.code == 0, created
    rid = str(created.json()["data"]["id"])
    off = cli("inbound", "rules", "update", rid, "--inbox", box, "--inactive", "-o", "json")
    assert off.json()["data"]["active"] is False
    listed = cli("inbound", "rules", "list", "--inbox", box, "-o", "json").json()
    assert [r["email"] for r in listed] == ["ops@example.com"]
    cli("inbound", "rules", "create", "nope", "--inbox", box).assert_clean_error(2)
    cli("inbound", "rules", "update", rid, "--inbox", box).assert_clean_error(2)
    assert cli("inbound", "rules", "delete", rid, "--inbox", box, "--yes").code == 0


def test_messages_all_pages(cli, server, inbox):
    raw = "From: a@example.com\r\nTo: {to}\r\nSubject: n{n}\r\n\r\nbody\r\n"
    for n in range(65):
        server.call("POST", f"/_local/inbound/inboxes/{inbox['id']}/messages",
                    data=raw.format(to=inbox["address"], n=n).encode())
    box = str(inbox["id"])
    first = cli("inbound", "messages", "list", "--inbox", box, "-o", "json").json()
    assert len(first) == 30
    every = cli("inbound", "messages", "list", "--inbox", box, "--all", "-o", "jsonl").jsonl()
    assert [m["subject"] for m in every] == [f"n{n}" for n in reversed(range(65))]
