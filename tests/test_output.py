"""The output contract: JSON when piped, jsonl/tsv/table on request, a table on
a real terminal, MAILTRAP_OUTPUT, --quiet, NO_COLOR, markup shown literally,
data alone on stdout, global options before the group or after the leaf."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

ACCOUNTS = "/api/accounts"
MESSAGES = "/api/sandboxes/1/messages"
PROJECTS = "/api/projects"
SUBJECTS = ["[bold]x[/bold]", "Welcome [red]now[/red]", "plain\tsubject"]
ANSI = "\x1b["


@pytest.fixture
def messages(server):
    """Three messages in sandbox 1, with subjects that rich markup would eat."""
    for subject in SUBJECTS:
        response = server.call("POST", "/api/send/1", json={
            "from": {"email": "app@example.com"}, "to": [{"email": "user@example.com"}],
            "subject": subject, "text": "Hello"})
        assert response.status_code == 200, response.text
    return SUBJECTS


@pytest.fixture
def projects(server):
    """Projects named like markup; their scalar fields fit a table row."""
    for name in SUBJECTS[:2]:
        response = server.call("POST", PROJECTS, json={"project": {"name": name}})
        assert response.status_code == 200, response.text
    return SUBJECTS[:2]


def run_in_pty(args: list[str], env: dict[str, str], *, stderr_tty: bool = True
               ) -> tuple[int, str, str]:
    """The entry point with stdout (and stderr) on a real pseudo-terminal."""
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty() if stderr_tty else (None, None)
    full_env = {**os.environ, "COLUMNS": "200", **env}
    proc = subprocess.Popen([sys.executable, "-m", "mailtrap_cli", *args],
                            stdin=subprocess.DEVNULL, stdout=out_slave,
                            stderr=err_slave if stderr_tty else subprocess.PIPE, env=full_env)
    os.close(out_slave)
    if err_slave is not None:
        os.close(err_slave)

    def drain(fd: int) -> str:
        data = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            data += chunk
        os.close(fd)
        return data.decode("utf-8", "replace").replace("\r\n", "\n")

    out = drain(out_master)
    err = drain(err_master) if err_master is not None else proc.stderr.read().decode()
    proc.wait(timeout=30)
    if proc.stderr:
        proc.stderr.close()
    return proc.returncode, out, err


def _local(server) -> dict[str, str]:
    return {"MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url}


# -- modes ----------------------------------------------------------------------
def test_json_when_piped(cli, messages):
    result = cli("api", MESSAGES)
    assert result.code == 0, result
    items = result.json()
    assert sorted(m["subject"] for m in items) == sorted(SUBJECTS)
    assert result.stderr == ""
    assert ANSI not in result.stdout


def test_json_keeps_every_field(cli, server, messages):
    direct = server.call("GET", MESSAGES).json()
    assert cli("api", MESSAGES).json() == direct


def test_jsonl_one_object_per_line(cli, messages):
    result = cli("api", MESSAGES, "-o", "jsonl")
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert sorted(json.loads(line)["subject"] for line in lines) == sorted(SUBJECTS)


def test_jsonl_of_one_object_is_one_line(cli):
    result = cli("api", "/api/projects/1", "-o", "jsonl")
    assert result.code == 0, result
    assert len(result.stdout.splitlines()) == 1
    assert json.loads(result.stdout)["id"] == 1


def test_tsv_header_and_escaped_cells(cli, messages):
    result = cli("api", MESSAGES, "-o", "tsv")
    assert result.code == 0, result
    header, *rows = result.stdout.splitlines()
    columns = header.split("\t")
    assert "subject" in columns and "id" in columns
    assert len(rows) == 3
    subjects = {row.split("\t")[columns.index("subject")] for row in rows}
    assert subjects == {"[bold]x[/bold]", "Welcome [red]now[/red]", "plain\\tsubject"}
    assert all(len(row.split("\t")) == len(columns) for row in rows)


def test_table_on_request_shows_markup_literally(cli, projects):
    result = cli("api", PROJECTS, "-o", "table")
    assert result.code == 0, result
    assert result.stdout.splitlines()[0].split() == ["id", "name"]
    assert "[bold]x[/bold]" in result.stdout
    assert "Welcome [red]now[/red]" in result.stdout
    assert ANSI not in result.stdout
    with pytest.raises(ValueError):
        json.loads(result.stdout)


def test_table_of_one_object_is_key_value(cli, server, messages):
    first = server.call("GET", MESSAGES).json()[0]
    result = cli("api", f"{MESSAGES}/{first['id']}", "-o", "table")
    assert result.code == 0, result
    assert any(line.split()[:1] == ["subject"] and first["subject"].split("\t")[0] in line
               for line in result.stdout.splitlines())


def test_empty_list_table_says_so_on_stderr(cli, server):
    server.call("PATCH", "/api/sandboxes/1/clean")
    result = cli("api", MESSAGES, "-o", "table")
    assert result.code == 0, result
    assert result.stdout == ""
    assert "(no results)" in result.stderr
    assert cli("api", MESSAGES).json() == []


# -- a real terminal --------------------------------------------------------------
def test_table_on_a_real_tty(server, projects):
    code, out, err = run_in_pty(["api", PROJECTS], _local(server))
    assert code == 0, err
    assert out.lstrip().startswith(("id", ANSI)), out
    assert "[bold]x[/bold]" in out
    assert '"name":' not in out
    assert err == ""


def test_json_on_a_tty_when_asked(server):
    code, out, _ = run_in_pty(["api", ACCOUNTS, "-o", "json"], _local(server))
    assert code == 0
    assert json.loads(out)[0]["id"] == 1


@pytest.mark.parametrize(("flag", "env"), [(["--no-color"], {}), ([], {"NO_COLOR": "1"})],
                         ids=["flag", "env"])
def test_no_color_means_no_escapes_on_a_tty(server, flag, env):
    code, out, err = run_in_pty(["api", ACCOUNTS, *flag], {**_local(server), **env})
    assert code == 0, err
    assert "Local account" in out
    assert ANSI not in out
    code, out, err = run_in_pty(["api", "/api/nope", *flag], {**_local(server), **env})
    assert code == 5
    assert err.startswith("error: GET /api/nope")
    assert ANSI not in err


def test_colour_on_a_tty_by_default(server):
    """The counterpart of the NO_COLOR test: escapes do appear otherwise."""
    _, out, _ = run_in_pty(["api", ACCOUNTS], _local(server))
    assert ANSI in out
    _, _, err = run_in_pty(["api", "/api/nope"], _local(server))
    assert err.startswith(ANSI)


# -- MAILTRAP_OUTPUT ----------------------------------------------------------------
def test_mailtrap_output_env_sets_the_default(cli, messages):
    result = cli("api", MESSAGES, env={"MAILTRAP_OUTPUT": "jsonl"})
    assert result.code == 0, result
    assert len(result.stdout.splitlines()) == 3


def test_flag_beats_mailtrap_output(cli):
    result = cli("api", ACCOUNTS, "-o", "json", env={"MAILTRAP_OUTPUT": "tsv"})
    assert result.json()[0]["id"] == 1


def test_mailtrap_output_beats_a_tty(server):
    code, out, _ = run_in_pty(["api", ACCOUNTS], {**_local(server), "MAILTRAP_OUTPUT": "json"})
    assert code == 0
    assert json.loads(out)[0]["id"] == 1


def test_invalid_mailtrap_output_is_a_usage_error(cli):
    result = cli("api", ACCOUNTS, env={"MAILTRAP_OUTPUT": "xml"})
    assert result.code == 2, result
    assert result.stderr.startswith("error: MAILTRAP_OUTPUT: 'xml' is not one of")
    assert result.stdout == ""


# -- stderr is for humans ------------------------------------------------------------
def test_hints_on_stderr_data_on_stdout(cli, server):
    server.fault(status=429, count=1, retry_after="0", path=ACCOUNTS)
    result = cli("api", ACCOUNTS)
    assert result.code == 0, result
    assert result.json()[0]["id"] == 1
    assert "retry: HTTP 429" in result.stderr

    result = cli("api", "POST", "/api/send", "--host", "send", "-F", "subject=x", "--dry-run")
    assert result.code == 0, result
    assert result.json()["method"] == "POST"
    assert "dry run: nothing was sent" in result.stderr


def test_quiet_silences_hints_not_data_or_errors(cli, server):
    server.fault(status=429, count=1, retry_after="0", path=ACCOUNTS)
    result = cli("api", ACCOUNTS, "-q")
    assert result.code == 0, result
    assert result.json()[0]["id"] == 1
    assert result.stderr == ""

    result = cli("api", "POST", "/api/send", "--host", "send", "-F", "subject=x", "--dry-run",
                 "--quiet")
    assert result.json()["method"] == "POST"
    assert result.stderr == ""

    result = cli("-q", "api", "/api/nope")
    assert result.code == 5
    assert result.stderr.startswith("error: ")


# -- global options anywhere -----------------------------------------------------------
@pytest.mark.parametrize("args", [
    ("-o", "jsonl", "api", ACCOUNTS),
    ("api", ACCOUNTS, "-o", "jsonl"),
    ("api", "-o", "jsonl", ACCOUNTS),
    ("--output", "jsonl", "--quiet", "api", ACCOUNTS, "--no-color"),
], ids=["before-group", "after-leaf", "between", "mixed"])
def test_global_options_before_or_after(cli, args):
    result = cli(*args)
    assert result.code == 0, result
    assert result.jsonl()[0]["id"] == 1
    assert len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize("args", [
    ("-o", "tsv", "sandbox", "projects", "list"),
    ("sandbox", "-o", "tsv", "projects", "list"),
    ("sandbox", "projects", "-o", "tsv", "list"),
    ("sandbox", "projects", "list", "-o", "tsv"),
], ids=["root", "group", "subgroup", "leaf"])
def test_global_options_at_every_level_of_a_nested_group(cli, cli_raw, args):
    registered = cli_raw("sandbox", "projects", "list", "--help")
    assert registered.code == 0, registered
    result = cli(*args)
    assert result.code == 0, result
    assert result.stdout.splitlines()[0].split("\t")[:2] == ["id", "name"]


def test_debug_after_the_leaf(cli):
    result = cli("api", ACCOUNTS, "--debug")
    assert result.code == 0, result
    assert "> GET " in result.stderr
    assert result.json()[0]["id"] == 1
