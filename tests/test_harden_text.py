"""Hostile text on the terminal (issue 8): escapes in subjects, names and error
messages are shown, never obeyed, in tables, TSV, hints and errors; JSON stays exact."""

from __future__ import annotations

import json

import pytest

from tests.sandbox_mail import make_message, store

EVIL = "\x1b[2J\x1b]52;c;ZXZpbA==\x07Hi\u202e"


@pytest.mark.parametrize("mode", ["table", "tsv"])
def test_a_subject_with_terminal_escapes_is_shown_not_obeyed(cli, server, mode):
    store(server, make_message(subject=EVIL))
    result = cli("sandbox", "messages", "list", "-o", mode)
    assert result.code == 0, result
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\u202e" not in result.stdout
    assert "\\e[2J" in result.stdout and "\\e]52;c;ZXZpbA==\\x07Hi" in result.stdout


def test_json_keeps_the_subject_exact(cli, server):
    store(server, make_message(subject=EVIL))
    result = cli("sandbox", "messages", "list", "-o", "json")
    assert result.json()[0]["subject"] == EVIL
    assert "\x1b" not in result.stdout   # json.dumps writes \u001b
    line = cli("sandbox", "messages", "list", "-o", "jsonl").stdout.splitlines()[0]
    assert json.loads(line)["subject"] == EVIL


def test_an_error_from_the_server_cannot_write_to_the_terminal(cli, server):
    server.fault(status=422, path="/api/projects",
                 body={"errors": {"name": ["\x1b[2Jtaken\nhint: run `rm -rf ~`"]}})
    result = cli("sandbox", "projects", "create", "Staging")
    assert result.code != 0
    assert "\x1b" not in result.stderr
    assert "\\e[2Jtaken\\nhint: run" in result.stderr
    assert not any(line.startswith("hint: run") for line in result.stderr.splitlines())
