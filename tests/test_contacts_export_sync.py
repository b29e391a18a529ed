"""Exports streamed and checked, and sync plans, at the engine level."""

from __future__ import annotations

import pytest

from mailtrap_cli.api import contacts as api
from mailtrap_cli.api.client import Client
from mailtrap_cli.api.errors import APIError
from mailtrap_cli.contacts_import import export, sync
from mailtrap_cli.contacts_import.engine import follow, send_all
from mailtrap_cli.contacts_import.rows import ContactReader, Schema


@pytest.fixture
def client(server):
    c = Client("test-token", {"api": server.url})
    yield c
    c.close()


def _seed(server, count=300):
    server.call("POST", "/api/contacts/fields",
                json={"name": "Age", "data_type": "integer", "merge_tag": "age"})
    lst = server.call("POST", "/api/contacts/lists", json={"name": "Members"}).json()
    contacts = [{"email": f"m{n}@example.com", "fields": {"age": n},
                 "list_ids_included": [lst["id"]]} for n in range(count)]
    server.call("POST", "/_local/contacts", json={"import_polls": 0})
    job = server.call("POST", "/api/contacts/imports", json={"contacts": contacts}).json()
    assert server.call("GET", f"/api/contacts/imports/{job['id']}").json()["status"] == \
        "finished"
    return lst["id"]


def _export(client, filters):
    started = export.start(client, filters)
    done = export.wait(client, started, timeout=10, interval=0.01, sleep=lambda s: None)
    return list(export.csv_rows(export.decompressed(api.download(client, done["url"]))))


def test_export_streams_intact_and_says_when_one_is_running(server, client):
    list_id = _seed(server)
    server.call("POST", "/api/contacts", json={"contact": {"email": "other@example.com"}})
    rows = _export(client, api.export_filters([list_id]))
    assert len(rows) == 300
    assert rows[0]["email"] == "m0@example.com" and rows[299]["age"] == "299"
    export.start(client, [])
    with pytest.raises(APIError, match="one at a time"):
        export.start(client, [])


def test_a_cut_download_is_refused(server, client):
    list_id = _seed(server, 2000)
    server.call("POST", "/_local/contacts", json={"truncate_downloads": True})
    with pytest.raises(export.IncompleteDownload) as info:
        _export(client, api.export_filters([list_id]))
    assert info.value.exit_code == 7 and "incomplete" in info.value.message


def test_sync_plans_adds_updates_and_removals_and_applies_them(server, client, tmp_path):
    list_id = _seed(server, 4)           # m0..m3, ages 0..3
    fields = server.call("GET", "/api/contacts/fields").json()
    schema = Schema.of(fields, server.call("GET", "/api/contacts/lists").json())
    src = tmp_path / "crm.csv"
    src.write_text("email,age\nM0@example.com,0\nm1@example.com,11\nnew@example.com,5\n"
                   "m3@example.com,\n")
    reader = ContactReader(str(src), "csv", schema)
    current = sync.members(_export(client, api.export_filters([list_id])), schema)
    plan = sync.plan((r.contact for r in reader.rows() if r.contact), current, list_id)
    assert plan.summary()["add"] == 1 and plan.adds == [{"email": "new@example.com",
                                                         "fields": {"age": 5}}]
    assert plan.updates == [{"email": "m1@example.com", "fields": {"age": 11}}]
    assert plan.removals == ["m2@example.com"] and plan.unchanged == 2
    imports = send_all(client, plan.contacts(), total=plan.count())
    follow(client, imports, timeout=10, interval=0.01, sleep=lambda s: None)
    after = sync.members(_export(client, api.export_filters([list_id])), schema)
    assert sorted(after) == ["m0@example.com", "m1@example.com", "m3@example.com",
                             "new@example.com"]
    assert after["m1@example.com"]["fields"] == {"age": 11}
    again = sync.plan((r.contact for r in reader.rows() if r.contact), after, list_id)
    assert again.empty
