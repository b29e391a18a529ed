"""`mailtrap domains ...` against the built-in server."""

from __future__ import annotations


def _create(cli, name="example.com"):
    result = cli("domains", "create", name, "-o", "json")
    assert result.code == 0, result
    return result.json()["id"]


def test_crud(cli, server):
    domain_id = _create(cli)
    listed = cli("domains", "list", "-o", "json").json()
    assert [d["domain_name"] for d in listed] == ["example.com"]
    table = cli("domains", "list", "-o", "table")
    assert "unverified_dns" in table.stdout and "spf" in table.stdout
    cli("domains", "create", "example.com").assert_clean_error(1)   # 422: taken
    cli("domains", "create", "not a domain").assert_clean_error(2)
    updated = cli("domains", "update", str(domain_id), "--no-click-tracking", "-o", "json")
    assert updated.json()["click_tracking_enabled"] is False
    cli("domains", "update", str(domain_id)).assert_clean_error(2)
    sent = cli("domains", "instructions", str(domain_id), "--email", "ops@example.com")
    assert sent.code == 0 and "ops@example.com" in sent.stderr
    cli("domains", "instructions", str(domain_id), "--email", "nope").assert_clean_error(2)
    cli("domains", "delete", str(domain_id)).assert_clean_error(3)
    assert cli("domains", "delete", str(domain_id), "--yes").code == 0
    cli("domains", "get", str(domain_id)).assert_clean_error(5)


def test_check_exit_codes(cli, server):
    domain_id = _create(cli)
    failing = cli("domains", "check", str(domain_id), "-o", "json")
    assert failing.code == 1 and "not passing: verification (missing)" in failing.stderr
    assert len(failing.json()["dns_records"]) == 6          # JSON: the domain whole
    server.call("POST", f"/_local/domains/{domain_id}/dns",
                json={"status": "pass", "records": {"dmarc": "fail"}})
    table = cli("domains", "check", str(domain_id), "-o", "table")
    assert table.code == 1 and "dmarc (fail)" in table.stderr
    assert "v=DMARC1" in table.stdout
    server.call("POST", f"/_local/domains/{domain_id}/dns", json={"status": "pass"})
    ok = cli("domains", "check", str(domain_id), "-o", "tsv")
    assert ok.code == 0 and "every DNS record" in ok.stderr
    assert ok.stdout.splitlines()[0].split("\t")[:2] == ["RECORD", "TYPE"]


def test_check_wait_until_dns_passes(cli, server):
    domain_id = _create(cli)
    server.call("POST", f"/_local/domains/{domain_id}/dns", json={"pass_after": 3})
    result = cli("domains", "check", str(domain_id), "--wait", "--interval", "0.1",
                 "--timeout", "30", "-o", "json")
    assert result.code == 0, result
    assert len(server.requests(path=f"/api/domains/{domain_id}", method="GET")) == 3


def test_check_wait_gives_up_with_exit_9(cli, server):
    domain_id = _create(cli)
    result = cli("domains", "check", str(domain_id), "--wait", "--interval", "0.2",
                 "--timeout", "1")
    assert result.code == 9, result
    assert result.stderr.count("waiting for") == 1
    assert "error: example.com: gave up after 1s" in result.stderr


def test_company_info(cli, server):
    domain_id = _create(cli)
    cli("domains", "company-info", "get", str(domain_id)).assert_clean_error(5)
    partial = cli("domains", "company-info", "set", str(domain_id), "--city", "Riga")
    partial.assert_clean_error(2)
    assert "--name" in partial.stderr and "nothing" not in partial.stderr
    full = cli("domains", "company-info", "set", str(domain_id), "--name", "Acme",
               "--address", "1 Main St", "--city", "Riga", "--country", "LV", "--zip", "1010",
               "--website", "https://acme.example", "-o", "json")
    assert full.code == 0, full
    assert full.json()["data"]["city"] == "Riga"
    changed = cli("domains", "company-info", "set", str(domain_id), "--city", "Tallinn",
                  "-o", "json")
    assert changed.json()["data"] == {**full.json()["data"], "city": "Tallinn"}
    assert server.requests(path=f"/api/domains/{domain_id}/company_info", method="PATCH")
    shown = cli("domains", "company-info", "get", str(domain_id), "-o", "table")
    assert "Tallinn" in shown.stdout
