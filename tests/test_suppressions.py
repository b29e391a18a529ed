"""`mailtrap suppressions ...` against the built-in server."""

from __future__ import annotations

import tracemalloc

import pytest


def _domain(cli):
    return str(cli("domains", "create", "example.com", "-o", "json").json()["id"])


def test_create_list_filter_delete(cli, server):
    domain = _domain(cli)
    created = cli("suppressions", "create", "ann@example.com", "--domain", domain,
                  "--stream", "bulk", "-o", "json")
    assert created.code == 0, created
    sid = created.json()["data"]["id"]
    cli("suppressions", "create", "bob@example.com", "--domain", domain)
    listed = cli("suppressions", "list", "-o", "json").json()
    assert [s["email"] for s in listed] == ["ann@example.com", "bob@example.com"]
    only = cli("suppressions", "list", "--email", "ANN@example.com", "-o", "json").json()
    assert [s["id"] for s in only] == [sid]
    assert server.requests(path="/api/suppressions")[-1]["query"]["email"] == "ANN@example.com"
    assert cli("suppressions", "list", "--since", "2999-01-01", "-o", "json").json() == []
    cli("suppressions", "list", "--since", "yesterday").assert_clean_error(2)
    cli("suppressions", "create", "nope", "--domain", domain).assert_clean_error(2)
    cli("suppressions", "create", "a@b.co", "--domain", domain,
        "--stream", "x").assert_clean_error(2)
    cli("suppressions", "create", "a@b.co", "--domain", "999").assert_clean_error(1)
    cli("suppressions", "delete", sid).assert_clean_error(3)
    deleted = cli("suppressions", "delete", sid, "--yes")
    assert deleted.code == 0 and "ann@example.com" in deleted.stderr
    cli("suppressions", "delete", sid, "--yes").assert_clean_error(5)


def test_bounce_address_is_suppressed_by_a_send(cli, server):
    cli("send", "email", "--from", "app@example.com", "--to", "bounce@customer.test",
        "--subject", "s", "--text", "t")
    listed = cli("suppressions", "list", "-o", "json").json()
    assert [(s["email"], s["type"]) for s in listed] == [("bounce@customer.test",
                                                          "hard bounce")]


@pytest.mark.slow
def test_all_over_25000_in_order_in_flat_memory(cli, server):
    server.call("POST", "/_local/suppressions", json={"count": 25000})
    tracemalloc.start()
    try:
        result = cli("suppressions", "list", "--all", "-o", "jsonl")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 25000
    assert lines[0].count("user0@") == 1 and '"user24999@example.com"' in lines[-1]
    emails = [line.split('"email": "', 1)[1].split('"', 1)[0] for line in lines]
    assert emails == [f"user{n}@example.com" for n in range(25000)]
    assert len(server.requests(path="/api/suppressions")) == 26   # 25 full pages + the end
    # The output (~8 MB) is captured in memory by the test harness: the rest stays small.
    assert peak - len(result.stdout_bytes) * 2 < 12_000_000, peak


def test_first_page_only_without_all(cli, server):
    server.call("POST", "/_local/suppressions", json={"count": 1500})
    assert len(cli("suppressions", "list", "-o", "json").json()) == 1000
    assert len(cli("suppressions", "list", "--limit", "1200", "-o", "json").json()) == 1200


def test_opt_outs(cli, server):
    created = cli("suppressions", "opt-outs", "create", "o@example.com", "-o", "json")
    assert created.code == 0, created
    oid = created.json()["data"]["id"]
    listed = cli("suppressions", "opt-outs", "list", "-o", "json").json()
    assert [o["email"] for o in listed] == ["o@example.com"]
    cli("suppressions", "opt-outs", "create", "bad").assert_clean_error(2)
    cli("suppressions", "opt-outs", "delete", oid).assert_clean_error(3)
    assert cli("suppressions", "opt-outs", "delete", oid, "--yes").code == 0
    assert cli("suppressions", "opt-outs", "list", "-o", "json").json() == []


def test_opt_outs_all_follows_the_body_cursor(cli, server):
    server.call("POST", "/_local/suppressions",
                json={"count": 2100, "table": "tracking_opt_outs"})
    result = cli("suppressions", "opt-outs", "list", "--all", "-o", "jsonl")
    assert len(result.jsonl()) == 2100
