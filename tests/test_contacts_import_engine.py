"""The contacts import engine (mailtrap_cli/contacts_import) against the built-in
server: every row checked first, chunks of at most 50,000, a journal so a rerun
imports nothing twice."""

from __future__ import annotations

import pytest

from mailtrap_cli.api.client import Client
from mailtrap_cli.api.errors import MailtrapError, TimedOutError, UsageError
from mailtrap_cli.contacts_import.engine import Importer, Options
from mailtrap_cli.contacts_import.rows import Schema
from mailtrap_cli.contacts_import.values import convert, scalar, typed_fields


@pytest.fixture
def client(server):
    c = Client("test-token", {"api": server.url})
    yield c
    c.close()


def _setup(server):
    for name, kind, tag in (("First name", "text", "first_name"), ("Age", "integer", "age"),
                            ("VIP", "boolean", "vip")):
        server.call("POST", "/api/contacts/fields",
                    json={"name": name, "data_type": kind, "merge_tag": tag})
    lst = server.call("POST", "/api/contacts/lists", json={"name": "Newsletter"}).json()
    fields = server.call("GET", "/api/contacts/fields").json()
    lists = server.call("GET", "/api/contacts/lists").json()
    return Schema.of(fields, lists), lst["id"]


def _imported(server):
    return [e for e in server.requests(path="/api/contacts/imports", method="POST")]


def test_values_are_typed_with_readable_reasons():
    assert convert("42", "integer") == 42 and convert("yes", "boolean") is True
    assert convert("2024-02-29", "date") == "2024-02-29" and convert("1.5", "float") == 1.5
    with pytest.raises(ValueError, match="integer"):
        convert("4.5", "integer")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        convert("2023-02-29", "date")
    assert scalar("3") == 3 and scalar("true") is True and scalar("null") is None
    assert scalar("abc") == "abc" and scalar("1e3") == 1000.0
    with pytest.raises(ValueError, match="field 'age' is integer"):
        typed_fields(["age=old"], {"age": "integer"})
    with pytest.raises(ValueError, match="unknown field 'x'"):
        typed_fields(["x=1"], {"age": "integer"})


def test_csv_rows_map_and_import(server, client, tmp_path):
    schema, list_id = _setup(server)
    src = tmp_path / "people.csv"
    src.write_text("E-Mail,First Name,age,VIP,lists,id\n"
                   "a+tag@example.com,Ann,30,yes,Newsletter,x\n"
                   "zoë@exämple.de,Zoë,,no,,y\n", encoding="utf-8")
    importer = Importer(client, Options(str(src), mapping={"E-Mail": "email"}), schema,
                        sleep=lambda s: None)
    try:
        importer.load_journal(write=True)
        checked = importer.check()
        assert (checked.rows, checked.valid, checked.bad) == (2, 2, 0)
        imports = importer.submit()
        importer.wait(imports, timeout=10, interval=0.01)
        summary = importer.summary(imports, waited=True)
    finally:
        importer.close()
    assert summary["created"] == 2 and summary["updated"] == 0
    assert server.app.store.one("SELECT COUNT(*) AS n FROM contacts")["n"] == 2
    got = server.call("GET", "/api/contacts/a%2Btag%40example.com").json()["data"]
    assert got["fields"] == {"first_name": "Ann", "age": 30, "vip": True}
    assert got["list_ids"] == [list_id]
    zoe = server.call("GET", "/api/contacts/zo%C3%AB%40ex%C3%A4mple.de").json()["data"]
    assert zoe["fields"] == {"first_name": "Zoë", "vip": False}


def test_bad_rows_are_reported_and_nothing_is_sent(server, client, tmp_path):
    schema, _ = _setup(server)
    src = tmp_path / "bad.jsonl"
    src.write_text('{"email": "ok@example.com", "age": 3}\n'
                   '{"email": "not-an-address"}\n'
                   '\n'
                   '{"email": "b@example.com", "age": "three"}\n'
                   '{"email": "c@example.com", "shoe_size": 44}\n'
                   '{"email": "d@example.com", "lists": [999]}\n'
                   'not json\n', encoding="utf-8")
    importer = Importer(client, Options(str(src)), schema)
    try:
        checked = importer.check()
        assert checked.bad == 5 and checked.valid == 1
        assert checked.problems[0] == f"{src}:2: invalid email address 'not-an-address'"
        assert checked.problems[1].startswith(f"{src}:4: field 'age' is integer: expected an "
                                              "integer, got 'three'")
        assert checked.problems[2] == f"{src}:5: unknown field 'shoe_size'"
        assert checked.problems[3] == f"{src}:6: unknown list 999"
        assert checked.problems[4].startswith(f"{src}:7: invalid JSON")
        with pytest.raises(UsageError, match="5 bad row"):
            importer.submit()
    finally:
        importer.close()
    assert _imported(server) == []


def test_unknown_csv_column_is_a_header_error(server, client, tmp_path):
    schema, _ = _setup(server)
    src = tmp_path / "x.csv"
    src.write_text("email,shoe\na@example.com,44\n")
    with pytest.raises(UsageError, match=r"x.csv:1: 'shoe' is not a contact field"):
        Importer(client, Options(str(src)), schema)
    importer = Importer(client, Options(str(src), mapping={"shoe": "-"}), schema)
    importer.close()


def _rows(path, count, start=0):
    with open(path, "w", encoding="utf-8") as out:
        out.write("email,age\n")
        for n in range(start, start + count):
            out.write(f"user{n}@example.com,{n}\n")


def test_interrupted_import_resumes_without_sending_twice(server, client, tmp_path):
    schema, _ = _setup(server)
    src = tmp_path / "big.csv"
    _rows(src, 25)
    calls = []

    def before_request():
        calls.append(1)
        if len(calls) == 2:   # the second chunk meets a 503: the first was submitted
            server.fault(path="/api/contacts/imports", method="POST", status=503)

    first = Importer(client, Options(str(src), chunk_size=10), schema,
                     before_request=before_request)
    try:
        first.load_journal(write=True)
        first.check()
        with pytest.raises(MailtrapError):
            first.submit()
    finally:
        first.close()
    assert [e["status"] for e in _imported(server)] == [201, 503]
    second = Importer(client, Options(str(src), chunk_size=10), schema, sleep=lambda s: None)
    try:
        second.load_journal(write=True)
        second.check()
        imports = second.submit()
        second.wait(imports, timeout=10, interval=0.01)
        summary = second.summary(imports, waited=True)
    finally:
        second.close()
    assert summary["created"] == 25
    assert sum(i["contacts"] for i in summary["imports"]) == 25
    assert [e["status"] for e in _imported(server)] == [201, 503, 201, 201]
    # A third run finds everything submitted and finished: nothing is sent.
    third = Importer(client, Options(str(src), chunk_size=10), schema)
    try:
        third.load_journal(write=True)
        assert third.check().already == 25
        assert len(third.submit()) == 3
    finally:
        third.close()
    assert len(_imported(server)) == 4


def test_wait_times_out_with_exit_nine(server, client, tmp_path):
    schema, _ = _setup(server)
    server.call("POST", "/_local/contacts", json={"import_polls": None})
    src = tmp_path / "one.csv"
    _rows(src, 1)
    importer = Importer(client, Options(str(src)), schema, sleep=lambda s: None)
    try:
        importer.check()
        imports = importer.submit()
        with pytest.raises(TimedOutError) as info:
            importer.wait(imports, timeout=0, interval=0.01)
    finally:
        importer.close()
    assert info.value.exit_code == 9 and "still started" in info.value.message


@pytest.mark.slow
def test_120000_rows_go_in_three_imports_counted_on_the_server(server, client, tmp_path):
    schema, _ = _setup(server)
    src = tmp_path / "many.csv"
    _rows(src, 120_000)
    importer = Importer(client, Options(str(src)), schema, sleep=lambda s: None)
    try:
        importer.load_journal(write=True)
        assert importer.check().valid == 120_000
        imports = importer.submit()
        importer.wait(imports, timeout=120, interval=0.01)
        summary = importer.summary(imports, waited=True)
    finally:
        importer.close()
    assert [i["contacts"] for i in summary["imports"]] == [50_000, 50_000, 20_000]
    assert summary["created"] == 120_000
    assert server.app.store.one("SELECT COUNT(*) AS n FROM contacts")["n"] == 120_000
