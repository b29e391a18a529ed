"""Loops of contacts requests stay under the contacts limit (200 per minute per
account upstream; a small window here so the test is quick): the client paces
itself by API family and the built-in server enforces the same limit."""

from __future__ import annotations

import pytest

# The pacing and the server's family limits come with the rate-limit work.
pytest.importorskip("mailtrap_cli.api.ratelimit")


@pytest.mark.slow
def test_an_import_loop_gets_no_429_under_the_contacts_limit(cli, server, monkeypatch,
                                                             tmp_path):
    server.configure(family_limits={"contacts": "fixed:4/1s"})
    monkeypatch.setenv("MAILTRAP_RATE_LIMITS", "contacts=4/1s")
    src = tmp_path / "rows.csv"
    src.write_text("email\n" + "".join(f"p{n}@example.com\n" for n in range(8)))
    # 8 imports of one contact, each polled to the end, plus the fields and lists reads:
    # 20+ contacts requests from one run, several times the limit of a window.
    r = cli("contacts", "import", str(src), "--chunk-size", "1", "--wait", "--interval",
            "0.01", "-o", "json")
    assert r.code == 0, r
    assert r.json()["created"] == 8
    statuses = [e["status"] for e in server.requests(path="/api/contacts")]
    assert len(statuses) >= 18
    assert 429 not in statuses


@pytest.mark.slow
def test_the_server_enforces_the_contacts_limit(server):
    server.configure(family_limits={"contacts": "fixed:2/60s"})
    answers = [server.call("GET", "/api/contacts/lists").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert server.call("GET", "/api/accounts").status_code == 200   # other families: no
