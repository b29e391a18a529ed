"""The built-in server's account, domains, suppressions, stats, email logs and inbound
routes, driven over HTTP with the OpenAPI spec check active (the `server` fixture)."""

from __future__ import annotations

from typing import Any

import pytest


def _send(server: Any, *recipients: str, subject: str = "Hi", category: str | None = "welcome",
          sender: str = "app@example.com") -> list[str]:
    body: dict[str, Any] = {"from": {"email": sender},
                            "to": [{"email": r} for r in recipients],
                            "subject": subject, "text": "hello"}
    if category:
        body["category"] = category
    r = server.call("POST", "/api/send", json=body)
    assert r.status_code == 200, r.text
    return r.json()["message_ids"]


# -- domains ------------------------------------------------------------------
def test_domain_lifecycle_and_dns(server: Any) -> None:
    r = server.call("POST", "/api/domains", json={"domain": {"domain_name": "Example.com"}})
    assert r.status_code == 200
    domain = r.json()
    assert domain["domain_name"] == "example.com"
    assert domain["compliance_status"] == "unverified_dns" and not domain["dns_verified"]
    assert {rec["key"] for rec in domain["dns_records"]} >= {"spf", "dkim1", "dmarc"}
    assert all(rec["status"] == "missing" for rec in domain["dns_records"])
    dup = server.call("POST", "/api/domains", json={"domain": {"domain_name": "example.com"}})
    assert dup.status_code == 422 and "domain_name" in dup.json()["errors"]
    bad = server.call("POST", "/api/domains", json={"domain": {"domain_name": "not a host"}})
    assert bad.status_code == 422
    listed = server.call("GET", "/api/domains").json()
    assert [d["id"] for d in listed["data"]] == [domain["id"]]

    server.call("POST", f"/_local/domains/{domain['id']}/dns", json={"status": "pass"})
    got = server.call("GET", f"/api/domains/{domain['id']}").json()
    assert got["dns_verified"] and got["compliance_status"] == "missing_company_info"
    info = {"name": "Acme", "address": "1 Main St", "city": "Riga", "country": "LV",
            "zip_code": "1000", "website_url": "https://acme.test"}
    r = server.call("POST", f"/api/domains/{domain['id']}/company_info",
                    json={"company_info": info})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Acme"
    r = server.call("PATCH", f"/api/domains/{domain['id']}/company_info",
                    json={"company_info": {"city": "Tallinn"}})
    assert r.json()["data"]["city"] == "Tallinn" and r.json()["data"]["name"] == "Acme"
    assert server.call("GET", f"/api/domains/{domain['id']}").json()[
        "compliance_status"] == "compliant"
    r = server.call("PATCH", f"/api/domains/{domain['id']}",
                    json={"domain": {"open_tracking_enabled": False}})
    assert r.json()["open_tracking_enabled"] is False
    assert server.call("PATCH", f"/api/domains/{domain['id']}",
                       json={"domain": {"open_tracking_enabled": "no"}}).status_code == 422
    r = server.call("POST", f"/api/domains/{domain['id']}/send_setup_instructions",
                    json={"email": "ops@example.com"})
    assert r.status_code == 204
    assert server.call("DELETE", f"/api/domains/{domain['id']}").status_code == 204
    assert server.call("GET", f"/api/domains/{domain['id']}").status_code == 404


def test_domain_passes_after_reads(server: Any) -> None:
    domain = server.call("POST", "/api/domains",
                         json={"domain": {"domain_name": "slow.test"}}).json()
    server.call("POST", f"/_local/domains/{domain['id']}/dns", json={"pass_after": 2})
    assert not server.call("GET", f"/api/domains/{domain['id']}").json()["dns_verified"]
    assert server.call("GET", f"/api/domains/{domain['id']}").json()["dns_verified"]


# -- suppressions ---------------------------------------------------------------
def test_bounce_address_creates_a_suppression_and_later_sends_are_rejected(server: Any) -> None:
    _send(server, "bounce@customer.test")
    found = server.call("GET", "/api/suppressions").json()
    assert [(s["email"], s["type"]) for s in found] == [("bounce@customer.test", "hard bounce")]
    _send(server, "bounce@customer.test")
    logs = server.call("GET", "/api/email_logs").json()["messages"]
    assert [m["status"] for m in logs] == ["not_delivered", "not_delivered"]
    newest = server.call("GET", f"/api/email_logs/{logs[0]['message_id']}").json()
    assert [e["event_type"] for e in newest["events"]] == ["reject"]
    assert len(server.call("GET", "/api/suppressions").json()) == 1


def test_suppressions_create_validate_filter_delete(server: Any) -> None:
    domain = server.call("POST", "/api/domains",
                         json={"domain": {"domain_name": "example.com"}}).json()
    r = server.call("POST", "/api/suppressions",
                    json={"email": "a@x.test", "domain_id": domain["id"],
                          "sending_stream": "bulk"})
    assert r.status_code == 201
    created = r.json()["data"]
    assert created["type"] == "manual import" and created["domain_name"] == "example.com"
    r = server.call("POST", "/api/suppressions",
                    json={"email": "nope", "domain_id": 999, "sending_stream": "x"})
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"email", "domain_id", "sending_stream"}
    assert server.call("GET", "/api/suppressions", params={"email": "A@X.TEST"}).json()[0][
        "id"] == created["id"]
    assert server.call("GET", "/api/suppressions", params={"email": "b@x.test"}).json() == []
    assert server.call("GET", "/api/suppressions",
                       params={"start_time": "2999-01-01T00:00:00Z"}).json() == []
    r = server.call("DELETE", f"/api/suppressions/{created['id']}")
    assert r.status_code == 200 and r.json()["email"] == "a@x.test"
    assert server.call("DELETE", f"/api/suppressions/{created['id']}").status_code == 404


def test_suppressions_page_1000_with_last_id(server: Any) -> None:
    server.call("POST", "/_local/suppressions", json={"count": 2500})
    seen: list[str] = []
    last = None
    while True:
        page = server.call("GET", "/api/suppressions",
                           params={"last_id": last} if last else None).json()
        seen.extend(s["email"] for s in page)
        if len(page) < 1000:
            break
        last = page[-1]["id"]
    assert seen == [f"user{n}@example.com" for n in range(2500)]


def test_tracking_opt_outs(server: Any) -> None:
    r = server.call("POST", "/api/tracking_opt_outs", json={"email": "o@x.test"})
    assert r.status_code == 201
    opt = r.json()["data"]
    page = server.call("GET", "/api/tracking_opt_outs").json()
    assert page == {"data": [opt], "last_id": None}
    assert server.call("DELETE", f"/api/tracking_opt_outs/{opt['id']}").status_code == 204
    assert server.call("POST", "/api/tracking_opt_outs", json={"email": ""}).status_code == 422


# -- email logs ----------------------------------------------------------------------
def test_every_live_recipient_is_logged_with_filters(server: Any) -> None:
    _send(server, "ann@gmail.com", "bob+click@yahoo.com", subject="Welcome aboard")
    _send(server, "bounce@x.test", subject="Reset", category="reset")
    everything = server.call("GET", "/api/email_logs").json()
    assert everything["total_count"] == 3 and everything["next_page_cursor"] is None
    assert [m["to"] for m in everything["messages"]] == [
        "bounce@x.test", "bob+click@yahoo.com", "ann@gmail.com"]

    def count(**params: Any) -> int:
        return server.call("GET", "/api/email_logs", params=params).json()["total_count"]

    assert count(**{"filters[status][operator]": "equal",
                    "filters[status][value]": "delivered"}) == 2
    assert count(**{"filters[to][operator]": "ci_equal",
                    "filters[to][value]": "ANN@gmail.com"}) == 1
    assert count(**{"filters[subject][operator]": "ci_contain",
                    "filters[subject][value]": "welcome"}) == 2
    assert count(**{"filters[category][operator]": "not_equal",
                    "filters[category][value]": "reset"}) == 2
    assert count(**{"filters[events][operator]": "include_event",
                    "filters[events][value][]": ["click", "bounce"]}) == 2
    assert count(**{"filters[clicks_count][operator]": "greater_than",
                    "filters[clicks_count][value]": "0"}) == 1
    assert count(**{"filters[sent_after]": "2999-01-01T00:00:00Z"}) == 0
    assert count(**{"filters[sending_stream][operator]": "equal",
                    "filters[sending_stream][value][]": ["bulk"]}) == 0
    bad = server.call("GET", "/api/email_logs", params={"filters[sent_after]": "yesterday"})
    assert bad.status_code == 400


def test_email_log_get_events_and_raw(server: Any) -> None:
    ids = _send(server, "carl+open@gmail.com")
    entry = server.call("GET", f"/api/email_logs/{ids[0]}").json()
    assert [e["event_type"] for e in entry["events"]] == ["delivery", "open"]
    assert entry["opens_count"] == 1
    raw = server.call("GET", entry["raw_message_url"].replace(server.url, ""))
    assert raw.status_code == 200 and b"Subject: Hi" in raw.content
    assert server.call("GET", "/api/email_logs/00000000-0000-0000-0000-000000000000"
                       ).status_code == 404


def test_email_logs_search_after_pages(server: Any) -> None:
    server.call("POST", "/_local/email_logs", json={"count": 120})
    seen, cursor = [], None
    while True:
        body = server.call("GET", "/api/email_logs",
                           params={"search_after": cursor} if cursor else None).json()
        assert body["total_count"] == 120
        seen.extend(m["to"] for m in body["messages"])
        cursor = body["next_page_cursor"]
        if not cursor:
            break
    assert seen == [f"user{n}@example.com" for n in reversed(range(120))]


# -- stats ------------------------------------------------------------------------------
def test_stats_from_real_traffic(server: Any) -> None:
    from datetime import date

    _send(server, "a@gmail.com", "b+click@gmail.com", "bounce@yahoo.com", "spam+1@yahoo.com")
    today = date.today().isoformat()
    rng = {"start_date": today, "end_date": today}
    stats = server.call("GET", "/api/stats", params=rng).json()
    assert stats["delivery_count"] == 3 and stats["bounce_count"] == 1
    assert stats["delivery_rate"] == 0.75 and stats["open_count"] == 1
    assert stats["spam_count"] == 1
    esps = server.call("GET", "/api/stats/email_service_providers", params=rng).json()
    assert {e["email_service_provider"]: e["stats"]["delivery_count"] for e in esps} == {
        "Google": 2, "Yahoo": 1}
    cats = server.call("GET", "/api/stats/categories",
                       params={**rng, "categories[]": "welcome"}).json()
    assert cats[0]["category"] == "welcome"
    days = server.call("GET", "/api/stats/date", params=rng).json()
    assert [d["date"] for d in days] == [today]
    assert server.call("GET", "/api/stats/domains", params=rng).json()[0]["domain_id"] == 0
    r = server.call("GET", "/api/stats", params={"end_date": today})
    assert r.status_code == 400 and "start_date" in r.json()["error"]
    # Suppressed by the bounce and the spam complaint
    assert {s["type"] for s in server.call("GET", "/api/suppressions").json()} == {
        "hard bounce", "spam complaint"}


# -- account ----------------------------------------------------------------------------
def test_tokens_value_only_at_creation(server: Any) -> None:
    r = server.call("POST", "/api/api_tokens", json={"name": "CI"})
    assert r.status_code == 200
    token = r.json()
    assert len(token["token"]) >= 32 and token["last_4_digits"] == token["token"][-4:]
    assert "token" not in server.call("GET", f"/api/api_tokens/{token['id']}").json()
    assert token["token"] not in server.call("GET", "/api/api_tokens").text
    assert token["token"] not in server.call("GET", "/api/account_accesses").text
    reset = server.call("POST", f"/api/api_tokens/{token['id']}/reset").json()
    assert reset["token"] != token["token"]
    assert server.call("POST", f"/api/api_tokens/{token['id']}/reset").status_code == 422
    assert server.call("POST", "/api/api_tokens", json={"name": ""}).status_code == 422
    assert server.call("DELETE", f"/api/api_tokens/{reset['id']}").status_code == 204
    assert server.call("GET", f"/api/api_tokens/{reset['id']}").status_code == 404


def test_accesses_permissions_billing_sub_accounts(server: Any) -> None:
    accesses = server.call("GET", "/api/account_accesses").json()
    assert [a["specifier_type"] for a in accesses] == ["User", "Invite"]
    r = server.call("PUT", "/api/account_accesses/2/permissions/bulk",
                    json={"permissions": [{"resource_id": "1", "resource_type": "sandbox",
                                           "access_level": "admin"}]})
    assert r.json() == {"message": "Permissions have been updated!"}
    got = server.call("GET", "/api/account_accesses").json()[1]["resources"]
    assert {"resource_id": 1, "resource_type": "sandbox", "access_level": 100} in got
    assert server.call("PUT", "/api/account_accesses/2/permissions/bulk",
                       json={"permissions": []}).status_code == 422
    assert server.call("DELETE", "/api/account_accesses/2").json() == {"id": 2}
    assert server.call("DELETE", "/api/account_accesses/1").status_code == 403
    tree = server.call("GET", "/api/permissions/resources").json()
    assert tree[0]["type"] == "account"
    assert any(n["type"] == "project" for n in tree[0]["resources"])
    _send(server, "x@example.com")
    usage = server.call("GET", "/api/billing/usage").json()
    assert usage["sending"]["usage"]["sent_messages_count"]["current"] == 1
    sub = server.call("POST", "/api/organizations/1/sub_accounts",
                      json={"account": {"name": "QA"}}).json()
    assert server.call("GET", "/api/organizations/1/sub_accounts").json() == [sub]
    assert server.call("GET", "/api/organizations/9/sub_accounts").status_code == 403


# -- inbound ------------------------------------------------------------------------------
@pytest.fixture
def inbox(server: Any) -> dict[str, Any]:
    folder = server.call("POST", "/api/inbound/folders", json={"name": "Support"}).json()
    r = server.call("POST", f"/api/inbound/folders/{folder['id']}/inboxes",
                    json={"name": "Tickets"})
    assert r.status_code == 201
    return {**r.json(), "folder_id": folder["id"]}


def test_inbound_crud(server: Any, inbox: dict[str, Any]) -> None:
    assert inbox["address"].endswith("@inbound-mailtrap.io")
    fid = inbox["folder_id"]
    assert server.call("POST", "/api/inbound/folders", json={"name": ""}).status_code == 422
    r = server.call("PATCH", f"/api/inbound/folders/{fid}/inboxes/{inbox['id']}",
                    json={"name": "Renamed"})
    assert r.json()["name"] == "Renamed"
    assert server.call("GET", f"/api/inbound/folders/{fid}/inboxes").json()[0]["name"] == \
        "Renamed"
    assert server.call("DELETE", f"/api/inbound/folders/{fid}").status_code == 204
    assert server.call("GET", f"/api/inbound/inboxes/{inbox['id']}/messages").status_code == 404


def test_inbound_receive_thread_reply_forward(server: Any, inbox: dict[str, Any]) -> None:
    _send(server, inbox["address"], "colleague@example.com", sender="cust@example.com",
          subject="Help")
    base = f"/api/inbound/inboxes/{inbox['id']}"
    listed = server.call("GET", f"{base}/messages").json()
    assert listed["total_count"] == 1 and listed["last_id"] is None
    message = server.call("GET", f"{base}/messages/{listed['data'][0]['id']}").json()
    assert message["text_body"].strip() == "hello" and message["from"] == "cust@example.com"
    r = server.call("POST", f"{base}/messages/{message['id']}/reply_all", json={"text": "ok"})
    assert r.status_code == 200
    sent = server.call("GET", "/_local/deliveries", params={"to": "colleague@example.com"}
                       ).json()
    assert sent[-1]["payload"]["subject"] == "Re: Help"
    raw = (f"From: cust@example.com\r\nTo: {inbox['address']}\r\nSubject: Re: Help\r\n"
           f"In-Reply-To: {message['message_id']}\r\nMessage-ID: <r2@x>\r\n\r\nthanks\r\n")
    server.call("POST", f"/_local/inbound/inboxes/{inbox['id']}/messages", data=raw.encode())
    threads = server.call("GET", f"{base}/threads").json()
    assert threads["total_count"] == 1 and threads["data"][0]["messages_count"] == 2
    r = server.call("POST", f"{base}/messages/{message['id']}/forward",
                    json={"to": ["boss@example.com"]})
    assert r.status_code == 200
    assert server.call("POST", f"{base}/messages/{message['id']}/forward",
                       json={"to": "not-an-address"}).status_code == 422
    tid = threads["data"][0]["id"]
    assert server.call("DELETE", f"{base}/threads/{tid}").status_code == 204
    assert server.call("GET", f"{base}/messages").json()["total_count"] == 0


def test_inbound_forward_rules(server: Any, inbox: dict[str, Any]) -> None:
    base = f"/api/inbound/inboxes/{inbox['id']}/forward_rules"
    rule = server.call("POST", base, json={"email": "ops@example.com"}).json()["data"]
    assert server.call("PATCH", f"{base}/{rule['id']}", json={"active": False}).json()[
        "data"]["active"] is False
    assert server.call("GET", base).json()["data"][0]["email"] == "ops@example.com"
    assert server.call("POST", base, json={"email": "x"}).status_code == 422
    assert server.call("DELETE", f"{base}/{rule['id']}").status_code == 204
