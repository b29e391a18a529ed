"""`mailtrap campaigns ...` against the built-in server (the SDKs' shape, which the
draft spec does not describe: no spec check)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.no_spec_check


@pytest.fixture
def newsletter(server):
    lst = server.call("POST", "/api/contacts/lists", json={"name": "Newsletter"}).json()
    for n in range(2):
        server.call("POST", "/api/contacts", json={"contact": {
            "email": f"r{n}@example.com", "list_ids": [lst["id"]]}})
    return lst["id"]


def _create(cli, *extra):
    r = cli("campaigns", "create", "--name", "Spring", "--domain-id", "1", "--from",
            "news@acme.com", "--subject", "Hi", "--html", "<p>Hi</p>", *extra, "-o", "json")
    assert r.code == 0, r
    return r.json()


def test_create_list_get_update_delete(cli, server, newsletter):
    created = _create(cli, "--list", "Newsletter")
    assert created["from_local_part"] == "news" and created["contact_list_ids"] == [newsletter]
    sent = server.requests(path="/api/email_campaigns", method="POST")[0]
    assert sent["status"] == 200
    rows = cli("campaigns", "list", "-o", "json").json()
    assert [c["id"] for c in rows] == [created["id"]]
    got = cli("campaigns", "get", str(created["id"]), "-o", "json").json()
    assert got["template"]["body_html"] == "<p>Hi</p>"
    up = cli("campaigns", "update", str(created["id"]), "--subject", "New", "-o", "json")
    assert up.code == 0 and up.json()["template"]["subject"] == "New"
    cli("campaigns", "update", str(created["id"])).assert_clean_error(2)
    cli("campaigns", "delete", str(created["id"])).assert_clean_error(3)
    assert cli("campaigns", "delete", str(created["id"]), "--yes").code == 0
    cli("campaigns", "get", str(created["id"])).assert_clean_error(5)


def test_body_from_a_template(cli, server):
    tpl = server.call("POST", "/api/email_templates", json={"email_template": {
        "name": "T", "category": "c", "subject": "From template", "body_html": "<b>x</b>"}})
    assert tpl.status_code in (200, 201), tpl.text
    r = cli("campaigns", "create", "--name", "T", "--domain-id", "1", "--from", "news",
            "--template", str(tpl.json()["id"]), "--dry-run", "-o", "json")
    assert r.code == 0, r
    body = r.json()["body"]
    assert body["template_attributes"] == {"subject": "From template", "body_html": "<b>x</b>"}
    assert server.requests(path="/api/email_campaigns") == []


def test_schedule_cancel_start_stats(cli, server, newsletter):
    cid = str(_create(cli, "--list", str(newsletter))["id"])
    r = cli("campaigns", "schedule", cid, "--at", "2999-01-01T00:00:00Z")
    r.assert_clean_error(1)           # more than a month ahead: the API says no
    cli("campaigns", "schedule", cid, "--at", "2000-01-01T00:00:00Z").assert_clean_error(2)
    from datetime import datetime, timedelta, timezone

    soon = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = cli("campaigns", "schedule", cid, "--at", soon, "-o", "json")
    assert r.code == 0 and r.json()["current_state"] == "scheduled"
    r = cli("campaigns", "cancel", cid, "-o", "json")
    assert r.json()["current_state"] == "draft"
    cli("campaigns", "start", cid).assert_clean_error(3)
    r = cli("campaigns", "start", cid, "--yes", "-o", "json")
    assert r.code == 0 and "2 recipients" in r.stderr
    table = cli("campaigns", "stats", cid, "-o", "tsv")
    assert table.code == 0, table
    assert "delivery\t2\t100.0%" in table.stdout
    stats = cli("campaigns", "stats", cid, "-o", "json").json()
    assert stats["delivery_rate"] == 1.0


def test_list_pages_with_tokens_and_terminate(cli, server, newsletter):
    ids = [_create(cli, "--list", str(newsletter))["id"] for _ in range(3)]
    r = cli("campaigns", "list", "--limit", "2", "-o", "json")
    assert [c["id"] for c in r.json()] == ids[::-1][:2]
    from mailtrap_cli.api import campaigns

    assert campaigns.MAX_PER_PAGE == 100
    tsv = cli("campaigns", "list", "-o", "tsv")
    assert tsv.stdout.splitlines()[0].split("\t")[:3] == ["id", "name", "state"]
    server.call("POST", f"/api/email_campaigns/{ids[0]}/start")
    r = cli("campaigns", "terminate", str(ids[0]), "--yes", "-o", "json")
    assert r.code == 0 and r.json()["current_state"] == "terminated"
    cli("campaigns", "terminate", str(ids[1]), "--yes").assert_clean_error(1)
