"""The command kit (context.State.perform, options.id_arg), the IO object and the
rules they apply the same way for every command: --yes off a terminal, Ctrl-C at
a question, --dry-run without a token, -q, --debug on an API error."""

from __future__ import annotations

import pytest

from mailtrap_cli.api.calls import Call, account_path
from mailtrap_cli.api.errors import AbortedError, UsageError
from mailtrap_cli.context import State
from mailtrap_cli.io import IO

PROJECTS = "/api/projects"


class _Interrupting:
    """A terminal whose user presses Ctrl-C at the prompt."""

    def readline(self) -> str:
        raise KeyboardInterrupt

    def isatty(self) -> bool:
        return True


# -- IO --------------------------------------------------------------------------
def test_io_test_streams_are_buffers():
    io = IO.test("typed\n", tty=True)
    assert io.can_prompt and io.stdout_tty
    print("x", file=io.stdout)
    assert io.stdout.getvalue() == "x\n"
    assert IO.test().can_prompt is False


def test_io_confirm_reads_an_answer_and_end_of_input_is_no():
    assert IO.test("y\n", tty=True).confirm("Go?") is True
    assert IO.test("maybe\nno\n", tty=True).confirm("Go?") is False
    io = IO.test("", tty=True)
    assert io.confirm("Go?") is False
    assert "Go? [y/N]" in io.stderr.getvalue()


def test_io_reads_stdin_once_per_run(tmp_path):
    io = IO.test("body")
    assert io.read_text("-", "--text-file") == "body"
    with pytest.raises(UsageError) as err:
        io.read_text("-", "--html-file")
    assert "already read by --text-file" in err.value.message
    (tmp_path / "f.txt").write_bytes(b"\xef\xbb\xbfhello")
    assert io.read_text(str(tmp_path / "f.txt"), "--html-file") == "hello"  # BOM dropped


def test_io_unreadable_file_names_the_flag(tmp_path):
    with pytest.raises(UsageError) as err:
        IO.test().read_bytes(str(tmp_path / "none"), "--input")
    assert err.value.message.startswith(f"cannot read --input {tmp_path / 'none'}")


def test_debug_and_retry_lines():
    io = IO.test()
    io.retry_line("HTTP 503; retrying in 1.0s")
    io.debug_line("> GET /")
    assert io.stderr.getvalue() == "retry: HTTP 503; retrying in 1.0s\n"
    quiet = IO.test(quiet=True)
    quiet.retry_line("x")
    assert quiet.stderr.getvalue() == ""


# -- State.perform ------------------------------------------------------------------
def test_perform_off_a_terminal_needs_yes():
    state = State(io=IO.test())
    with pytest.raises(AbortedError) as err:
        state.perform(Call("DELETE", "/api/projects/1"), confirm="Delete project 1?")
    assert "refused without --yes" in err.value.message


def test_perform_declined_on_a_terminal_is_aborted():
    state = State(io=IO.test("n\n", tty=True))
    with pytest.raises(AbortedError):
        state.perform(Call("DELETE", "/api/projects/1"), confirm="Delete project 1?")


def test_ctrl_c_at_the_question_is_an_interrupt_not_a_refusal():
    io = IO.test(tty=True)
    io.stdin = _Interrupting()  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        State(io=io).confirm("Delete project 1?")


def test_ctrl_c_at_a_confirmation_exits_130(cli, server, monkeypatch):
    def interrupted(self, question):
        raise KeyboardInterrupt

    monkeypatch.setattr(IO, "confirm", interrupted)
    result = cli("sandbox", "projects", "delete", "1", env={"MAILTRAP_FORCE_TTY": "1"})
    assert result.code == 130, result
    assert server.requests(path="/api/projects/1", method="DELETE") == []


def test_account_path():
    assert account_path(7, "webhooks", 3) == "/api/accounts/7/webhooks/3"
    assert account_path("7") == "/api/accounts/7"


def test_account_id_flag_env_profile(cli_raw, isolated, monkeypatch):
    state = State(profile="local")
    assert state.account_id() == 1                      # the local profile's
    assert state.account_id(9) == 9                     # the flag wins
    monkeypatch.setenv("MAILTRAP_ACCOUNT_ID", "5")
    assert State(profile="local").account_id() == 5     # env over profile


# -- --dry-run without a token --------------------------------------------------------
def test_dry_run_without_a_token_says_so(cli_raw, server):
    result = cli_raw("sandbox", "projects", "create", "Dry", "--dry-run", "-o", "json",
                     env={"MAILTRAP_BASE_URL": server.url})
    assert result.code == 0, result
    request = result.json()
    assert request["headers"]["Authorization"] is None
    assert "Bearer" not in result.stdout
    assert "no API token" in result.stderr and "exit 4" in result.stderr
    assert server.requests(path=PROJECTS, method="POST") == []


def test_dry_run_with_a_token_shows_it_redacted(cli, server):
    result = cli("sandbox", "projects", "create", "Dry", "--dry-run", "-o", "json")
    assert result.json()["headers"]["Authorization"] == "Bearer ***"
    assert "no API token" not in result.stderr


# -- -q and --debug ------------------------------------------------------------------
@pytest.mark.parametrize("args", [("-q", "api", PROJECTS), ("api", PROJECTS, "-q"),
                                  ("sandbox", "-q", "projects", "list")])
def test_quiet_silences_retry_lines(cli, server, args):
    server.fault(status=503, count=2)
    result = cli(*args)
    assert result.code == 0, result
    assert result.stderr == ""
    server.fault(status=503, count=1)
    assert "retry: HTTP 503" in cli("api", PROJECTS).stderr


@pytest.mark.parametrize("args,code", [(("api", "/api/nope"), 5),
                                       (("sandbox", "messages", "get", "999"), 5)])
def test_debug_shows_the_exchange_not_a_traceback_for_an_api_error(cli, args, code):
    result = cli(*args, "--debug")
    assert result.code == code, result
    assert "Traceback" not in result.stderr
    assert "< 404" in result.stderr
    assert "error: GET " in result.stderr


def test_debug_on_a_network_error_has_no_traceback(cli_raw):
    result = cli_raw("api", PROJECTS, "--debug",
                     env={"MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": "http://127.0.0.1:9",
                          "MAILTRAP_RETRY_ATTEMPTS": "1"})
    assert result.code == 7, result
    assert "Traceback" not in result.stderr
    assert "error: cannot reach" in result.stderr


# -- TSV of an empty list -------------------------------------------------------------
def test_tsv_of_an_empty_list_still_has_its_header(cli):
    result = cli("sandbox", "messages", "list", "-o", "tsv")
    assert result.code == 0, result
    assert result.stdout == "id\tcreated_at\tfrom\tto\tsubject\tread\tsize\n"
