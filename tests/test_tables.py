"""Tables for people at 80 columns: long values cut with `…` (never wrapped), short
local timestamps, the key columns kept and the rest shown while they fit, --fields,
key/value blocks for wide objects, and a list cut at a page says so."""

from __future__ import annotations

import re

import pytest

NARROW = {"COLUMNS": "80", "TZ": "UTC"}
LONG_SUBJECT = "Your order #1001 has shipped and is on its way [tracking inside] " + "x" * 40
SHORT_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _send(server, count: int = 1, subject: str = LONG_SUBJECT) -> None:
    for i in range(count):
        response = server.call("POST", "/api/send/1", json={
            "from": {"email": "no-reply@example-application.com", "name": "Application"},
            "to": [{"email": f"customer.number.{i}@example-customer-domain.com"}],
            "subject": subject, "text": "Hello"})
        assert response.status_code == 200, response.text


def _lines(result) -> list[str]:
    assert result.code == 0, result
    return result.stdout.rstrip("\n").splitlines()


def test_a_list_fits_80_columns_one_line_a_row(cli, server):
    _send(server, 3)
    lines = _lines(cli("sandbox", "messages", "list", "-o", "table", env=NARROW))
    assert len(lines) == 4  # the header and one line per message: nothing wraps
    assert all(len(line.rstrip()) <= 80 for line in lines), lines
    assert lines[0].split()[:2] == ["id", "created_at"]
    assert "subject" in lines[0] and "to" in lines[0].split()
    assert all(line.rstrip().endswith("…") for line in lines[1:])  # the subject, cut
    assert all(SHORT_TIME.search(line) for line in lines[1:])


def test_columns_that_do_not_fit_are_named_on_stderr(cli, server):
    _send(server)
    result = cli("sandbox", "messages", "list", "-o", "table", env=NARROW)
    assert "not shown at this width" in result.stderr and "from" in result.stderr
    wide = cli("sandbox", "messages", "list", "-o", "table", env={"COLUMNS": "250"})
    assert "not shown" not in wide.stderr
    assert wide.stdout.splitlines()[0].split() == ["id", "created_at", "from", "to", "subject",
                                                   "read", "size"]


def test_timestamps_are_short_in_a_table_and_whole_in_json(cli, server):
    _send(server)
    row = cli("sandbox", "messages", "list", "-o", "json").json()[0]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}.*", row["created_at"])
    table = cli("sandbox", "messages", "list", "-o", "table", env=NARROW).stdout
    assert row["created_at"][:10] + " " + row["created_at"][11:16] in table
    assert row["created_at"] not in table
    tsv = cli("sandbox", "messages", "list", "-o", "tsv").stdout
    assert row["created_at"] in tsv


def test_a_long_subject_keeps_no_leading_space(cli, server):
    _send(server)
    assert cli("sandbox", "messages", "list", "-o", "json").json()[0]["subject"] == LONG_SUBJECT


def test_one_object_is_key_value_with_whole_keys_and_cut_values(cli, server):
    _send(server)
    lines = _lines(cli("sandbox", "messages", "get", "1", "-o", "table", env=NARROW))
    assert all(len(line.rstrip()) <= 80 for line in lines)
    keys = [line.split()[0] for line in lines]
    assert "html_source_path" in keys and "blacklists_report_info" in keys
    assert any(line.rstrip().endswith("…") for line in lines)


def test_wide_objects_without_a_view_become_key_value_blocks(cli):
    lines = _lines(cli("api", "/api/sandboxes", "-o", "table", env=NARROW))
    assert lines[0].split()[0] == "id"
    assert any(line.split()[:1] == ["smtp_ports"] for line in lines)
    assert all(len(line.rstrip()) <= 80 for line in lines)


@pytest.mark.parametrize("mode", ["json", "jsonl"])
def test_fields_picks_the_keys_of_json(cli, server, mode):
    _send(server, 2)
    result = cli("sandbox", "messages", "list", "--fields", "id,subject,smtp_information.ok",
                 "-o", mode)
    rows = result.json() if mode == "json" else result.jsonl()
    assert [list(r) for r in rows] == [["id", "subject", "smtp_information.ok"]] * 2
    assert rows[0]["smtp_information.ok"] is True
    one = cli("sandbox", "messages", "get", "1", "--fields", "id,to_email", "-o", "json").json()
    assert one == {"id": 1, "to_email": "customer.number.0@example-customer-domain.com"}


def test_fields_picks_the_columns_of_a_table_and_tsv(cli, server):
    _send(server)
    tsv = cli("sandbox", "messages", "list", "--fields", "to_email,id", "-o", "tsv")
    assert tsv.stdout.splitlines()[0] == "to_email\tid"
    table = _lines(cli("sandbox", "messages", "list", "--fields", "from_email,id", "-o",
                       "table", env=NARROW))
    assert table[0].split() == ["from_email", "id"]


def test_fields_must_be_names(cli):
    result = cli("sandbox", "messages", "list", "--fields", "id,,x")
    result.assert_clean_error(2)


def test_a_list_cut_at_a_page_says_so(cli, server):
    _send(server, 31, "s")
    first = cli("sandbox", "messages", "list", "-o", "json")
    assert len(first.json()) == 30
    assert "showing 30; --all for every page" in first.stderr
    every = cli("sandbox", "messages", "list", "--all", "-o", "json")
    assert len(every.json()) == 31
    assert "showing" not in every.stderr
    quiet = cli("sandbox", "messages", "list", "-q", "-o", "json")
    assert quiet.stderr == ""


def test_a_short_list_says_nothing_more(cli, server):
    _send(server, 2, "s")
    assert "showing" not in cli("sandbox", "messages", "list", "-o", "json").stderr
