"""`mailtrap suppressions ...` against the built-in server."""

from __future__ import annotations

import json

import pytest

from tests.memory_probe import peak_kib

# 10 requests a minute would make 26 pages take 100 s: pacing has its own test below.
UNPACED = "suppressions=off,token=off"


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
def test_all_over_25000_in_order_in_flat_memory(server, tmp_path):
    server.call("POST", "/_local/suppressions", json={"count": 1000})
    code, small = peak_kib(["suppressions", "list", "--all", "-o", "jsonl"], server.url,
                           tmp_path / "small.jsonl", UNPACED)
    assert code == 0
    server.call("POST", "/_local/suppressions", json={"count": 24000, "email": "u{n}@x.test"})
    out = tmp_path / "all.jsonl"
    code, big = peak_kib(["suppressions", "list", "--all", "-o", "jsonl"], server.url, out,
                         UNPACED)
    assert code == 0
    emails = [json.loads(line)["email"] for line in out.read_text().splitlines()]
    assert emails == [f"user{n}@example.com" for n in range(1000)] + [
        f"u{n}@x.test" for n in range(24000)]                     # every one, in order
    assert len(server.requests(path="/api/suppressions")) == 2 + 26
    assert big - small < 4_000, (small, big)   # KiB: 25x the records, about the same memory


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


def test_all_is_paced_under_the_family_limit_without_a_429(cli, server, monkeypatch):
    """suppressions allow 10 requests a minute: here 3 a second on both sides, and 6
    pages go through with no 429 at all."""
    server.call("POST", "/_local/suppressions", json={"count": 5500})
    server.configure(family_limits={"suppressions": "fixed:3/1s"})
    monkeypatch.setenv("MAILTRAP_RATE_LIMITS", "suppressions=3/1s")
    result = cli("suppressions", "list", "--all", "-o", "jsonl")
    assert result.code == 0, result
    assert len(result.stdout.splitlines()) == 5500
    statuses = [r["status"] for r in server.requests(path="/api/suppressions")]
    assert statuses == [200] * 6, statuses
