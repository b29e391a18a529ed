"""Destructive commands ask on a terminal (README, Commands; exit code 3): typed
on a real pseudo-terminal, 'n' or just Enter keeps the data and exits 3, 'y'
goes ahead; off a terminal they refuse without --yes."""

from __future__ import annotations

import pytest

from tests import terminal
from tests.sandbox_mail import make_message, store

PROMPT = b"Delete message"


def run_on_terminal(args: list[str], env: dict[str, str], answer: bytes
                    ) -> tuple[int, bytes]:
    """Types `answer` once the y/N question shows."""
    return terminal.run_on_terminal(
        args, env, answer, ready=lambda seen, _fd: PROMPT in seen and b"]:" in seen)


def _exists(server, message_id: int) -> bool:
    return server.call("GET", f"/api/sandboxes/1/messages/{message_id}").status_code == 200


@pytest.fixture
def env(server):
    return {"MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url}


@pytest.mark.parametrize("answer", [b"n", b"N", b"no", b""], ids=["n", "N", "no", "enter"])
def test_declining_on_a_terminal_exits_3_and_deletes_nothing(server, env, answer):
    message_id = store(server, make_message())
    code, seen = run_on_terminal(["sandbox", "messages", "delete", str(message_id)], env,
                                 answer)
    assert code == 3, seen
    assert b"aborted" in seen
    assert b"Traceback" not in seen
    assert _exists(server, message_id)
    assert not [r for r in server.requests(method="DELETE")]


def test_confirming_on_a_terminal_deletes(server, env):
    message_id = store(server, make_message())
    code, seen = run_on_terminal(["sandbox", "messages", "delete", str(message_id)], env, b"y")
    assert code == 0, seen
    assert not _exists(server, message_id)


def test_off_a_terminal_it_refuses_without_yes_and_never_asks(cli, server):
    message_id = store(server, make_message())
    result = cli("sandbox", "messages", "delete", str(message_id), stdin="y\n")
    result.assert_clean_error(3)
    assert "--yes" in result.stderr
    assert _exists(server, message_id)
    assert cli("sandbox", "messages", "delete", str(message_id), "--yes").code == 0
    assert not _exists(server, message_id)
