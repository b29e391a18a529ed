"""The built-in server's contacts API: contacts, lists, fields, events, imports,
exports (contacts.openapi.yml), driven over HTTP as any client would."""

from __future__ import annotations

import csv
import gzip
import io
from urllib.parse import quote

import pytest


def _field(server, name, data_type, merge_tag=None):
    body = {"name": name, "data_type": data_type}
    if merge_tag:
        body["merge_tag"] = merge_tag
    r = server.call("POST", "/api/contacts/fields", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _list(server, name):
    r = server.call("POST", "/api/contacts/lists", json={"name": name})
    assert r.status_code == 200, r.text
    return r.json()


def _contact(server, email, **extra):
    r = server.call("POST", "/api/contacts", json={"contact": {"email": email, **extra}})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def test_contact_round_trip_by_uuid_and_encoded_email(server):
    lst = _list(server, "Customers")
    _field(server, "First name", "text", "first_name")
    created = _contact(server, "a+b@example.com", fields={"first_name": "Ann"},
                       list_ids=[lst["id"]])
    assert created["status"] == "subscribed" and created["list_ids"] == [lst["id"]]
    assert isinstance(created["created_at"], int)
    by_email = server.call("GET", "/api/contacts/" + quote("a+b@example.com", safe=""))
    assert by_email.status_code == 200 and by_email.json()["data"]["id"] == created["id"]
    by_uuid = server.call("GET", f"/api/contacts/{created['id']}")
    assert by_uuid.json()["data"]["email"] == "a+b@example.com"
    # A literal `+` is not a space; an unknown address is a 404 with the spec's body.
    missing = server.call("GET", "/api/contacts/a%20b%40example.com")
    assert missing.status_code == 404 and missing.json() == {"error": "Not Found"}
    gone = server.call("DELETE", f"/api/contacts/{created['id']}")
    assert gone.status_code == 204
    again = server.call("DELETE", f"/api/contacts/{created['id']}")
    assert again.status_code == 404 and again.json() == {"errors": "Contact(s) not found"}


def test_unicode_and_percent_addresses(server):
    odd = _contact(server, "100%a@example.com")
    r = server.call("GET", "/api/contacts/" + quote("100%A@example.com", safe=""))
    assert r.status_code == 200 and r.json()["data"]["id"] == odd["id"]
    created = _contact(server, "zoë@exämple.de")
    r = server.call("GET", "/api/contacts/" + quote("ZOË@exämple.de", safe=""))
    assert r.status_code == 200 and r.json()["data"]["id"] == created["id"]


def test_create_validation(server):
    _contact(server, "dup@example.com")
    dup = server.call("POST", "/api/contacts", json={"contact": {"email": "DUP@example.com"}})
    assert dup.status_code == 422
    assert dup.json() == {"errors": {"email": ["has already been taken"]}}
    bad = server.call("POST", "/api/contacts", json={"contact": {
        "email": "nope", "fields": {"unknown": 1}, "list_ids": [99]}})
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert errors["email"] == ["is invalid"]
    assert errors["fields"] == ["contains invalid values: unknown"]
    assert errors["list_ids"] == ["contains invalid data"]


def test_patch_is_an_upsert(server):
    keep, drop = _list(server, "Keep"), _list(server, "Drop")
    _field(server, "Age", "integer", "age")
    path = "/api/contacts/" + quote("new@example.com", safe="")
    first = server.call("PATCH", path, json={"contact": {
        "email": "new@example.com", "fields": {"age": 30}, "list_ids_included": [drop["id"]]}})
    assert first.status_code == 200, first.text
    assert first.json()["action"] == "created"
    second = server.call("PATCH", path, json={"contact": {
        "email": "new@example.com", "list_ids_included": [keep["id"]],
        "list_ids_excluded": [drop["id"]], "unsubscribed": True}})
    body = second.json()
    assert body["action"] == "updated"
    assert body["data"]["list_ids"] == [keep["id"]]
    assert body["data"]["fields"] == {"age": 30}       # untouched when not sent
    assert body["data"]["status"] == "unsubscribed"


def test_patch_validation_and_unknown_uuid(server):
    _field(server, "Age", "integer", "age")
    lst = _list(server, "L")
    r = server.call("PATCH", "/api/contacts/x%40example.com", json={"contact": {
        "email": "x@example.com", "fields": {"age": "thirty"},
        "list_ids_included": [lst["id"]], "list_ids_excluded": [lst["id"]]}})
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors["age"] == [["is invalid"]]
    assert "specified both as included and excluded" in errors["base"][0][0]
    unknown = server.call("PATCH", "/api/contacts/018dd5e3-f6d2-7c00-8f9b-e5c3f2d8a132",
                          json={"contact": {"email": "x@example.com"}})
    assert unknown.status_code == 404


@pytest.mark.no_spec_check   # ?search is in the SDKs, not yet in the spec
def test_lists_search_prefix_and_unique_names(server):
    for name in ("Customers", "customers-old", "Leads"):
        _list(server, name)
    r = server.call("GET", "/api/contacts/lists", params={"search": "cust"})
    assert [x["name"] for x in r.json()] == ["Customers", "customers-old"]
    clash = server.call("POST", "/api/contacts/lists", json={"name": "LEADS"})
    assert clash.status_code == 422


def test_fields_types_tags_and_the_forty_limit(server):
    field = _field(server, "Birth date", "date")
    assert field["merge_tag"] == "birth_date"
    r = server.call("PATCH", f"/api/contacts/fields/{field['id']}", json={"data_type": "text"})
    assert r.status_code == 422
    contact = _contact(server, "b@example.com", fields={"birth_date": "1990-02-28"})
    bad = server.call("PATCH", f"/api/contacts/{contact['id']}", json={"contact": {
        "email": "b@example.com", "fields": {"birth_date": "1990-02-30"}}})
    assert bad.status_code == 422
    renamed = server.call("PATCH", f"/api/contacts/fields/{field['id']}",
                          json={"merge_tag": "born"})
    assert renamed.json()["merge_tag"] == "born"
    got = server.call("GET", f"/api/contacts/{contact['id']}").json()["data"]
    assert got["fields"] == {"born": "1990-02-28"}
    for n in range(39):
        _field(server, f"F{n}", "boolean")
    over = server.call("POST", "/api/contacts/fields",
                       json={"name": "One too many", "data_type": "text"})
    assert over.status_code == 422 and "40" in over.text
    assert server.call("DELETE", f"/api/contacts/fields/{field['id']}").status_code == 204
    got = server.call("GET", f"/api/contacts/{contact['id']}").json()["data"]
    assert got["fields"] == {}


def test_events(server):
    contact = _contact(server, "e@example.com")
    r = server.call("POST", "/api/contacts/e%40example.com/events",
                    json={"name": "Login", "params": {"n": 3, "ok": True, "x": None}})
    assert r.status_code == 201, r.text
    assert r.json() == {"contact_id": contact["id"], "contact_email": "e@example.com",
                        "name": "Login", "params": {"n": 3, "ok": True, "x": None}}
    bad = server.call("POST", "/api/contacts/e%40example.com/events",
                      json={"name": "", "params": {"k": {"nested": 1}}})
    assert bad.status_code == 422
    assert server.call("POST", "/api/contacts/nobody%40example.com/events",
                       json={"name": "x"}).status_code == 404


def test_import_moves_created_started_finished_with_counts(server):
    lst = _list(server, "Imported")
    _field(server, "Plan", "text", "plan")
    _contact(server, "old@example.com")
    contacts = [{"email": "old@example.com", "fields": {"plan": "pro"},
                 "list_ids_included": [lst["id"]]},
                {"email": "new@example.com", "list_ids_included": [lst["id"]]}]
    r = server.call("POST", "/api/contacts/imports", json={"contacts": contacts})
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["status"] == "created"
    path = f"/api/contacts/imports/{job['id']}"
    assert server.call("GET", path).json() == {"id": job["id"], "status": "started"}
    done = server.call("GET", path).json()
    assert done == {"id": job["id"], "status": "finished", "created_contacts_count": 1,
                    "updated_contacts_count": 1, "contacts_over_limit_count": 0}
    old = server.call("GET", "/api/contacts/old%40example.com").json()["data"]
    assert old["fields"] == {"plan": "pro"} and old["list_ids"] == [lst["id"]]


def test_import_validation_limit_and_over_limit_count(server):
    bad = server.call("POST", "/api/contacts/imports", json={"contacts": [
        {"email": "ok@example.com"}, {"email": "bad", "fields": {"nope": 1}}]})
    assert bad.status_code == 422
    assert bad.json() == {"errors": [{"email": "bad", "errors": {
        "email": ["is invalid"], "fields": ["contains invalid values: nope"]}}]}
    many = [{"email": f"u{i}@example.com"} for i in range(50_001)]
    r = server.call("POST", "/api/contacts/imports", json={"contacts": many})
    assert r.status_code == 422 and "50000" in r.text
    server.call("POST", "/_local/contacts", json={"contacts_limit": 2, "import_polls": 0})
    r = server.call("POST", "/api/contacts/imports", json={"contacts": many[:3]})
    done = server.call("GET", f"/api/contacts/imports/{r.json()['id']}").json()
    assert done["created_contacts_count"] == 2 and done["contacts_over_limit_count"] == 1


def test_a_job_nobody_polls_finishes_on_its_own(server):
    server.call("POST", "/_local/contacts", json={"finish_after": 0})
    r = server.call("POST", "/api/contacts/imports", json={"contacts": [{"email": "a@b.io"}]})
    assert r.json()["status"] == "created"
    assert server.call("GET", "/api/contacts/a%40b.io").status_code == 200


def _download(server, url):
    assert url.startswith(server.url + "/_local/")
    r = server.http.get(url, headers={"Authorization": ""}, timeout=10)
    assert r.status_code == 200
    return list(csv.DictReader(io.StringIO(gzip.decompress(r.content).decode("utf-8"))))


def test_export_one_at_a_time_and_a_real_csv_gz(server):
    lst = _list(server, "VIP")
    _field(server, "Score", "float", "score")
    _contact(server, "in@example.com", list_ids=[lst["id"]], fields={"score": 1.5})
    _contact(server, "out@example.com")
    r = server.call("POST", "/api/contacts/exports", json={"filters": [
        {"name": "list_id", "operator": "equal", "value": [lst["id"]]}]})
    assert r.status_code == 201, r.text
    export = r.json()
    assert export["status"] == "started" and export["url"] is None
    busy = server.call("POST", "/api/contacts/exports", json={"filters": []})
    assert busy.status_code == 422 and "previous export" in busy.text
    path = f"/api/contacts/exports/{export['id']}"
    assert server.call("GET", path).json()["status"] == "started"
    done = server.call("GET", path).json()
    assert done["status"] == "finished"
    rows = _download(server, done["url"])
    assert [(row["email"], row["score"], row["list_ids"]) for row in rows] == \
        [("in@example.com", "1.5", str(lst["id"]))]
    bad = server.call("POST", "/api/contacts/exports", json={"filters": [{"name": "x"}]})
    assert bad.status_code == 422
    r = server.call("POST", "/api/contacts/exports", json={"filters": [
        {"name": "subscription_status", "operator": "equal", "value": "subscribed"}]})
    assert r.status_code == 201


def test_the_sdks_account_scoped_paths(server):
    base = "/api/accounts/1/contacts"
    lst = server.call("POST", base + "/lists", json={"name": "SDK"}).json()
    assert server.call("GET", base + "/lists").json() == [lst]
    r = server.call("POST", base, json={"contact": {"email": "sdk+1@example.com",
                                                    "list_ids": [lst["id"]]}})
    assert r.status_code == 201, r.text
    got = server.call("GET", base + "/" + quote("sdk+1@example.com", safe=""))
    assert got.json()["data"]["list_ids"] == [lst["id"]]
    job = server.call("POST", base + "/imports",
                      json={"contacts": [{"email": "sdk+2@example.com"}]}).json()
    server.call("GET", f"{base}/imports/{job['id']}")
    done = server.call("GET", f"{base}/imports/{job['id']}").json()
    assert done["status"] == "finished" and done["created_contacts_count"] == 1
    event = server.call("POST", base + "/sdk%2B2%40example.com/events", json={"name": "x"})
    assert event.status_code == 201


def test_an_export_url_over_https_is_https(tls_server):
    tls_server.call("POST", "/api/contacts", json={"contact": {"email": "t@example.com"}})
    tls_server.call("POST", "/_local/contacts", json={"export_polls": 0})
    export = tls_server.call("POST", "/api/contacts/exports", json={"filters": []}).json()
    done = tls_server.call("GET", f"/api/contacts/exports/{export['id']}").json()
    assert done["url"].startswith(tls_server.url + "/_local/contacts/exports/")
    data = tls_server.http.get(done["url"], timeout=10)
    assert gzip.decompress(data.content).decode().splitlines()[1].startswith("t@example.com,")
