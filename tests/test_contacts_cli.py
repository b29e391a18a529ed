"""`mailtrap contacts ...` against the built-in server."""

from __future__ import annotations

import pytest


def _error(result, code):
    """Exit code and an `error:` line after what was said before it (a plan, a
    started export): no traceback."""
    assert result.code == code, result
    assert "\nerror: " in "\n" + result.stderr, result
    assert "Traceback" not in result.stderr


def _field(server, tag, kind):
    r = server.call("POST", "/api/contacts/fields",
                    json={"name": tag, "data_type": kind, "merge_tag": tag})
    assert r.status_code == 201, r.text


def _list(server, name):
    return server.call("POST", "/api/contacts/lists", json={"name": name}).json()["id"]


@pytest.fixture
def account(server):
    _field(server, "first_name", "text")
    _field(server, "age", "integer")
    _field(server, "vip", "boolean")
    _field(server, "born", "date")
    return {"news": _list(server, "Newsletter"), "vip": _list(server, "VIP")}


def test_create_get_update_delete_with_plus_and_unicode(cli, server, account):
    r = cli("contacts", "create", "a+b@example.com", "--field", "age=31", "--field",
            "vip=yes", "--list", "Newsletter", "-o", "json")
    assert r.code == 0, r
    created = r.json()
    assert created["fields"] == {"age": 31, "vip": True}
    assert created["list_ids"] == [account["news"]]
    assert "created contact a+b@example.com" in r.stderr
    got = cli("contacts", "get", "A+B@example.com", "-o", "json").json()
    assert got["id"] == created["id"]
    assert any("%2B" in e["path"] for e in server.requests(path="/api/contacts/", method="GET"))
    up = cli("contacts", "update", created["id"], "--remove-list", str(account["news"]),
             "--list", "VIP", "--field", "born=1990-01-02", "--unsubscribe", "-o", "json")
    assert up.code == 0, up
    assert "updated contact a+b@example.com" in up.stderr
    assert up.json()["list_ids"] == [account["vip"]] and up.json()["status"] == "unsubscribed"
    new = cli("contacts", "update", "zoë@exämple.de", "--field", "first_name=Zoë",
              "-o", "json")
    assert new.code == 0, new
    assert "created contact zoë@exämple.de" in new.stderr
    pct = cli("contacts", "create", "100%off@example.com", "-o", "json")
    assert pct.code == 0, pct
    assert cli("contacts", "get", "100%OFF@example.com", "-o", "json").json()["id"] == \
        pct.json()["id"]
    refused = cli("contacts", "delete", "zoë@exämple.de")
    refused.assert_clean_error(3)
    gone = cli("contacts", "delete", "zoë@exämple.de", "--yes")
    assert gone.code == 0, gone
    cli("contacts", "get", "zoë@exämple.de").assert_clean_error(5)


def test_typed_fields_refuse_bad_values_before_sending(cli, server, account):
    r = cli("contacts", "create", "x@example.com", "--field", "age=old")
    r.assert_clean_error(2)
    assert "field 'age' is integer" in r.stderr
    r = cli("contacts", "create", "x@example.com", "--field", "shoe=44")
    r.assert_clean_error(2)
    assert "unknown field 'shoe'" in r.stderr and "first_name" in r.stderr
    r = cli("contacts", "create", "x@example.com", "--list", "Nope")
    r.assert_clean_error(2)
    assert [e for e in server.requests(method="POST") if e["path"] == "/api/contacts"] == []


def test_dry_run_shows_the_encoded_path(cli, server, account):
    r = cli("contacts", "update", "a+b@example.com", "--field", "age=3", "--dry-run",
            "-o", "json")
    assert r.code == 0, r
    request = r.json()
    assert request["method"] == "PATCH"
    assert request["url"].endswith("/api/contacts/a%2Bb%40example.com")
    assert request["body"]["contact"] == {"email": "a+b@example.com", "fields": {"age": 3}}
    assert server.requests(method="PATCH") == []


def test_event_with_typed_params(cli, server, account):
    cli("contacts", "create", "e@example.com")
    r = cli("contacts", "event", "e@example.com", "purchase", "--param", "amount=49.9",
            "--param", "first=true", "--param", "plan=pro", "-o", "json")
    assert r.code == 0, r
    assert r.json()["params"] == {"amount": 49.9, "first": True, "plan": "pro"}
    cli("contacts", "event", "e@example.com", "x", "--param", "novalue").assert_clean_error(2)


@pytest.mark.no_spec_check   # ?search is in the SDKs, not yet in the spec
def test_lists_and_fields_commands(cli, server, account):
    r = cli("contacts", "lists", "list", "--search", "news", "-o", "json")
    assert [x["name"] for x in r.json()] == ["Newsletter"]
    r = cli("contacts", "lists", "create", "Beta", "-o", "json")
    assert r.code == 0 and r.json()["name"] == "Beta"
    assert cli("contacts", "lists", "update", "Beta", "--name", "Gamma").code == 0
    assert cli("contacts", "lists", "get", "gamma", "-o", "json").json()["name"] == "Gamma"
    assert cli("contacts", "lists", "delete", "Gamma", "--yes").code == 0
    r = cli("contacts", "fields", "create", "Shoe size", "--type", "integer", "-o", "json")
    assert r.code == 0 and r.json()["merge_tag"] == "shoe_size"
    r = cli("contacts", "fields", "update", "shoe_size", "--merge-tag", "shoe", "-o", "json")
    assert r.json()["merge_tag"] == "shoe"
    tsv = cli("contacts", "fields", "list", "-o", "tsv")
    assert tsv.stdout.splitlines()[0] == "id\tname\ttype\tmerge tag"
    cli("contacts", "fields", "create", "X", "--type", "money").assert_clean_error(2)
    assert cli("contacts", "fields", "delete", "shoe", "--yes").code == 0


def test_import_wait_counts_and_a_rerun_sends_nothing(cli, server, account, tmp_path):
    src = tmp_path / "people.csv"
    src.write_text("email,first_name,age,lists\nann@example.com,Ann,30,VIP\n"
                   "bob+x@example.com,Bob,,\n", encoding="utf-8")
    r = cli("contacts", "import", str(src), "--list", "Newsletter", "--wait",
            "--interval", "0.01", "-o", "json")
    assert r.code == 0, r
    summary = r.json()
    assert summary["created"] == 2 and summary["imports"][0]["status"] == "finished"
    again = cli("contacts", "import", str(src), "--list", "Newsletter", "--wait",
                "--interval", "0.01", "-o", "json")
    assert again.code == 0, again
    assert again.json()["already_submitted"] == 2
    assert len(server.requests(path="/api/contacts/imports", method="POST")) == 1
    ann = cli("contacts", "get", "ann@example.com", "-o", "json").json()
    assert sorted(ann["list_ids"]) == sorted(account.values())


def test_import_bad_rows_listed_nothing_sent(cli, server, account, tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text("email,age\nok@example.com,1\nnope,2\nx@example.com,two\n")
    r = cli("contacts", "import", str(src))
    r.assert_clean_error(2)
    assert f"{src}:3: invalid email address 'nope'" in r.stderr
    assert f"{src}:4: field 'age' is integer" in r.stderr
    assert server.requests(path="/api/contacts/imports") == []
    ok = cli("contacts", "import", str(src), "--skip-invalid", "--wait", "--interval",
             "0.01", "-o", "json")
    assert ok.code == 0, ok
    assert ok.json()["created"] == 1 and "skipping 2 bad row(s)" in ok.stderr


def test_import_from_stdin_jsonl_and_dry_run(cli, server, account):
    rows = '{"email": "s@example.com", "fields": {"age": 5}}\n'
    r = cli("contacts", "import", "-", "--format", "jsonl", "--dry-run", "-o", "json",
            stdin=rows)
    assert r.code == 0, r
    assert r.json()["to_send"] == 1 and server.requests(path="/api/contacts/imports") == []
    r = cli("contacts", "import", "-", "--format", "jsonl", "--wait", "--interval", "0.01",
            "-o", "json", stdin=rows)
    assert r.code == 0, r
    assert r.json()["created"] == 1


def test_import_wait_times_out_with_exit_nine(cli, server, account, tmp_path):
    server.call("POST", "/_local/contacts", json={"import_polls": None})
    src = tmp_path / "one.csv"
    src.write_text("email\none@example.com\n")
    r = cli("contacts", "import", str(src), "--wait", "--timeout", "0.2", "--interval", "0.05")
    r.assert_clean_error(9)
    assert "still started" in r.stderr


def test_export_streams_csv_and_jsonl(cli, server, account, tmp_path):
    for n in range(3):
        cli("contacts", "create", f"m{n}@example.com", "--list", "VIP", "--field", f"age={n}")
    cli("contacts", "create", "other@example.com")
    r = cli("contacts", "export", "--list", "VIP", "--interval", "0.01")
    assert r.code == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].startswith("email,") and len(lines) == 4
    assert "exported 3 contact(s)" in r.stderr
    r = cli("contacts", "export", "-o", "jsonl", "--interval", "0.01")
    rows = r.jsonl()
    assert len(rows) == 4 and rows[0]["email"] == "m0@example.com"
    out = tmp_path / "all.csv"
    r = cli("contacts", "export", "--status", "subscribed", "--out", str(out), "--interval",
            "0.01")
    assert r.code == 0 and out.read_text().count("\n") == 5 and r.stdout == ""


def test_export_busy_and_cut_downloads_are_clear_errors(cli, server, account, tmp_path):
    cli("contacts", "create", "a@example.com")
    started = cli("contacts", "export", "--no-wait", "-o", "json")
    assert started.code == 0 and started.json()["status"] == "started"
    busy = cli("contacts", "export", "--interval", "0.01")
    _error(busy, 1)
    assert "one at a time" in busy.stderr
    done = cli("contacts", "export", "--id", str(started.json()["id"]), "--interval", "0.01")
    assert done.code == 0 and "a@example.com" in done.stdout
    server.call("POST", "/_local/contacts", json={"truncate_downloads": True})
    for n in range(500):
        server.call("POST", "/api/contacts", json={"contact": {"email": f"z{n}@example.com"}})
    out = tmp_path / "cut.csv"
    cut = cli("contacts", "export", "--out", str(out), "--interval", "0.01")
    _error(cut, 7)
    assert not out.exists() and not (tmp_path / "cut.csv.part").exists()


def test_sync_plans_then_applies(cli, server, account, tmp_path):
    for n in range(3):
        cli("contacts", "create", f"m{n}@example.com", "--list", "VIP", "--field", f"age={n}")
    src = tmp_path / "crm.csv"
    src.write_text("email,age\nm0@example.com,0\nm1@example.com,10\nnew@example.com,7\n")
    plan = cli("contacts", "sync", str(src), "--list", "VIP", "--dry-run", "--interval",
               "0.01", "-o", "json")
    assert plan.code == 0, plan
    body = plan.json()
    assert (body["add"], body["update"], body["remove"], body["unchanged"]) == (1, 1, 1, 1)
    assert "+ new@example.com" in plan.stderr and "- m2@example.com" in plan.stderr
    assert "~ m1@example.com: age=10" in plan.stderr
    assert server.requests(path="/api/contacts/imports") == []
    _error(cli("contacts", "sync", str(src), "--list", "VIP", "--interval", "0.01"), 3)
    done = cli("contacts", "sync", str(src), "--list", "VIP", "--yes", "--interval", "0.01",
               "-o", "json")
    assert done.code == 0, done
    members = cli("contacts", "export", "--list", "VIP", "--format", "jsonl", "--interval",
                  "0.01").jsonl()
    assert sorted(m["email"] for m in members) == ["m0@example.com", "m1@example.com",
                                                   "new@example.com"]
    again = cli("contacts", "sync", str(src), "--list", "VIP", "--yes", "--interval", "0.01")
    assert again.code == 0 and "already matches" in again.stderr


def test_an_import_whose_answer_was_lost_is_finished_by_a_rerun(cli, server, account,
                                                                 tmp_path):
    src = tmp_path / "many.csv"
    src.write_text("email,age\n" + "".join(f"u{n}@example.com,{n}\n" for n in range(25)))
    # The first request is processed, but its answer never arrives.
    server.fault(path="/api/contacts/imports", method="POST", status=503, after=True)
    first = cli("contacts", "import", str(src), "--chunk-size", "10", "--wait",
                "--interval", "0.01")
    _error(first, 1)
    assert "outcome is unknown" in first.stderr
    again = cli("contacts", "import", str(src), "--chunk-size", "10", "--wait",
                "--interval", "0.01", "-o", "json")
    assert again.code == 0, again
    summary = again.json()
    assert [i["contacts"] for i in summary["imports"]] == [10, 10, 5]
    assert summary["created"] + summary["updated"] == 25
    assert server.app.store.one("SELECT COUNT(*) AS n FROM contacts")["n"] == 25
    third = cli("contacts", "import", str(src), "--chunk-size", "10", "-o", "json")
    assert third.json()["already_submitted"] == 25
    assert len(server.requests(path="/api/contacts/imports", method="POST")) == 4


def test_import_usage_errors_send_nothing(cli, server, account, tmp_path):
    cli("contacts", "import", str(tmp_path / "missing.csv")).assert_clean_error(2)
    src = tmp_path / "x.csv"
    src.write_text("mail,age\na@example.com,1\n")
    r = cli("contacts", "import", str(src))
    r.assert_clean_error(2)
    assert "'mail' is not a contact field" in r.stderr
    r = cli("contacts", "import", str(src), "--map", "mail=email", "-o", "json",
            "--dry-run")
    assert r.code == 0 and r.json()["to_send"] == 1
    cli("contacts", "import", str(src), "--map", "mail").assert_clean_error(2)
    cli("contacts", "import", str(src), "--map", "nope=email").assert_clean_error(2)
    other = tmp_path / "x.xlsx"
    other.write_text("?")
    cli("contacts", "import", str(other)).assert_clean_error(2)
    cli("contacts", "import", str(src), "--list", "Nope").assert_clean_error(2)
    assert server.requests(path="/api/contacts/imports") == []
