"""`mailtrap auth`: login against the built-in server, logout, status, token."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailtrap_cli.config import load_file
from mailtrap_cli.local.http import RunningServer
from tests.terminal import run_on_terminal

TOKEN = "secret-token-0123456789-wxyz"


@pytest.fixture
def cfg(isolated: Path) -> Path:
    return isolated / "config" / "config.toml"


@pytest.fixture
def mt(cli_raw, server):
    """The CLI with every host on the test server and no profile forced."""

    def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None):
        return cli_raw(*args, env={"MAILTRAP_BASE_URL": server.url, **(env or {})},
                       stdin=stdin)

    return run


def read(path: Path) -> dict:
    return load_file(path)


def login(mt, token: str = TOKEN, *args: str, env: dict[str, str] | None = None):
    return mt("auth", "login", "--with-token", *args, stdin=token + "\n", env=env)


# -- login --------------------------------------------------------------------
def test_login_with_token_stores_token_and_account(mt, cfg, server):
    result = login(mt)
    assert result.code == 0, result
    assert result.stdout == ""
    assert "logged in to Local account (1) as profile 'default'" in result.stderr
    assert TOKEN not in result.stderr
    assert read(cfg) == {"profiles": {"default": {"token": TOKEN, "account_id": 1}}}
    assert cfg.stat().st_mode & 0o777 == 0o600
    assert cfg.parent.stat().st_mode & 0o777 == 0o700
    assert os.listdir(cfg.parent) == ["config.toml"]  # no temp file left behind
    assert server.requests(path="/api/accounts")[-1]["status"] == 200


def test_login_keeps_other_settings_and_profiles(mt, cfg):
    assert mt("config", "set", "sandbox_id", "42").code == 0
    assert mt("-p", "work", "config", "set", "stream", "bulk").code == 0
    assert login(mt).code == 0
    data = read(cfg)
    assert data["profiles"]["default"] == {"sandbox_id": 42, "token": TOKEN, "account_id": 1}
    assert data["profiles"]["work"] == {"stream": "bulk"}


def test_login_into_named_profile_says_how_to_use_it(mt, cfg):
    result = login(mt, TOKEN, "-p", "work")
    assert result.code == 0, result
    assert "`mailtrap config use work`" in result.stderr
    assert read(cfg)["profiles"]["work"]["token"] == TOKEN


@pytest.mark.parametrize(("token", "word"), [("invalid-abc-123456", "rejected"),
                                            ("forbidden-abc-123456", "may not read")])
def test_refused_token_exits_4_and_stores_nothing(mt, cfg, token, word):
    result = login(mt, token)
    assert result.code == 4, result
    assert result.stderr.startswith("error: ")
    assert word in result.stderr
    assert "nothing was stored" in result.stderr
    assert not cfg.exists()
    assert token not in result.stderr + result.stdout


def test_unreachable_server_exits_7_and_stores_nothing(cli_raw, cfg):
    dead = RunningServer(":memory:")
    dead.stop()
    result = cli_raw("auth", "login", "--with-token", stdin=TOKEN,
                     env={"MAILTRAP_BASE_URL": dead.url})
    assert result.code == 7, result
    assert "cannot reach" in result.stderr
    assert not cfg.exists()


def test_login_off_a_terminal_without_with_token_is_a_usage_error(mt, cfg):
    result = mt("auth", "login", stdin="")
    assert result.code == 2
    assert result.stderr.startswith("error: no terminal")
    assert "--with-token" in result.stderr
    assert not cfg.exists()


def test_token_is_never_taken_as_a_flag_value(mt, cfg):
    result = mt("auth", "login", "--token", TOKEN)
    assert result.code == 2
    assert "never taken as a flag value" in result.stderr
    assert TOKEN not in result.stderr
    assert not cfg.exists()


@pytest.mark.parametrize("stdin", ["", "   \n", "two tokens\n"])
def test_with_token_needs_exactly_one_token_on_stdin(mt, cfg, stdin):
    result = mt("auth", "login", "--with-token", stdin=stdin)
    assert result.code == 2
    assert "--with-token" in result.stderr
    assert not cfg.exists()


def test_login_account_must_be_one_of_the_tokens(mt, cfg, server):
    server.app.store.execute("INSERT INTO accounts (id, name, access_levels) VALUES "
                             "(7, 'Second', '[100]')")
    result = login(mt, TOKEN, "--account", "99")
    assert result.code == 2
    assert "1, 7" in result.stderr
    assert not cfg.exists()
    result = login(mt, TOKEN, "--account", "7")
    assert result.code == 0, result
    assert read(cfg)["profiles"]["default"]["account_id"] == 7


def test_login_with_several_accounts_takes_the_first(mt, cfg, server):
    server.app.store.execute("INSERT INTO accounts (id, name, access_levels) VALUES "
                             "(7, 'Second', '[100]')")
    result = login(mt)
    assert result.code == 0
    assert read(cfg)["profiles"]["default"]["account_id"] == 1
    assert "reaches 2 accounts" in result.stderr


def test_local_profile_needs_no_login(mt, cfg):
    result = mt("-p", "local", "auth", "login")
    assert result.code == 0
    assert "needs no login" in result.stderr
    assert not cfg.exists()


def test_login_warns_when_the_environment_token_wins(mt):
    result = login(mt, TOKEN, env={"MAILTRAP_API_TOKEN": "other-token-000000"})
    assert result.code == 0
    assert "MAILTRAP_API_TOKEN is set" in result.stderr


def test_login_on_a_terminal_prompts_without_echo(server, isolated, cfg):
    """The hidden prompt, through a real pseudo-terminal."""
    import termios

    def ready(seen: bytes, fd: int) -> bool:
        # Type only once the prompt has turned echo off (else it flushes our input).
        return b"API token" in seen and not termios.tcgetattr(fd)[3] & termios.ECHO

    code, seen = run_on_terminal(["auth", "login"], {"MAILTRAP_BASE_URL": server.url},
                                 TOKEN.encode(), ready=ready, timeout=20)
    assert code == 0, seen
    assert TOKEN.encode() not in seen
    assert b"logged in" in seen
    assert read(cfg)["profiles"]["default"]["token"] == TOKEN


# -- logout -------------------------------------------------------------------
def test_logout_removes_only_the_token(mt, cfg):
    assert mt("config", "set", "sandbox_id", "42").code == 0
    assert login(mt).code == 0
    result = mt("auth", "logout")
    assert result.code == 0
    assert "removed the token of profile 'default'" in result.stderr
    assert read(cfg)["profiles"]["default"] == {"sandbox_id": 42, "account_id": 1}
    assert cfg.stat().st_mode & 0o777 == 0o600
    again = mt("auth", "logout")
    assert again.code == 0
    assert "nothing to do" in again.stderr


def test_logout_all_profiles(mt, cfg):
    assert login(mt).code == 0
    assert login(mt, TOKEN, "-p", "work").code == 0
    result = mt("auth", "logout", "--all")
    assert result.code == 0
    assert "'default', 'work'" in result.stderr
    assert all("token" not in p for p in read(cfg)["profiles"].values())


def test_logout_of_local_is_a_no_op(mt, cfg):
    result = mt("-p", "local", "auth", "logout")
    assert result.code == 0
    assert not cfg.exists()


# -- status -------------------------------------------------------------------
def test_status_masks_the_token_and_checks_it(mt):
    assert login(mt).code == 0
    result = mt("auth", "status")
    assert result.code == 0, result
    assert TOKEN not in result.stdout + result.stderr
    [row] = result.json()
    assert row["profile"] == "default"
    assert row["active"] is True
    assert row["token"] == "****wxyz"
    assert row["token_source"] == "config file (profile default)"
    assert row["status"] == "valid"
    assert row["accounts"] == [{"id": 1, "name": "Local account", "access_levels": [1000]}]


def test_status_table_masks_the_token(mt):
    assert login(mt).code == 0
    result = mt("auth", "status", "-o", "table")
    assert result.code == 0
    assert "****wxyz" in result.stdout
    assert "Local account (1)" in result.stdout
    assert TOKEN not in result.stdout + result.stderr


def _write(cfg: Path, text: str) -> None:
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(text)


def test_status_of_every_profile_and_of_one(mt, cfg):
    _write(cfg, f'[profiles.default]\ntoken = "{TOKEN}"\n'
                '[profiles.old]\ntoken = "invalid-old-token-1234"\n'
                '[profiles.empty]\nsandbox_id = 3\n')
    result = mt("auth", "status")
    assert result.code == 0, result  # the active profile works
    rows = {r["profile"]: r for r in result.json()}
    assert rows["default"]["status"] == "valid"
    assert rows["old"]["status"] == "rejected"
    assert rows["old"]["token"] == "****1234"
    assert rows["empty"]["status"] == "missing"
    assert "invalid-old-token-1234" not in result.stdout + result.stderr

    one = mt("-p", "old", "auth", "status")
    assert one.code == 4
    assert [r["profile"] for r in one.json()] == ["old"]
    assert "rejected" in one.stderr
    assert "invalid-old-token-1234" not in one.stdout + one.stderr


def test_status_env_token_wins_and_is_named(mt):
    assert login(mt).code == 0
    result = mt("auth", "status", env={"MAILTRAP_API_TOKEN": "env-token-5555-abcd"})
    [row] = result.json()
    assert row["token_source"] == "env MAILTRAP_API_TOKEN"
    assert row["token"] == "****abcd"


def test_status_without_any_token_exits_4_with_the_hint(mt):
    result = mt("auth", "status")
    assert result.code == 4
    assert result.json()[0]["status"] == "missing"
    for words in ("auth login", "MAILTRAP_API_TOKEN", "--profile local"):
        assert words in result.stderr


def test_status_unreachable_exits_7(cli_raw):
    dead = RunningServer(":memory:")
    dead.stop()
    result = cli_raw("auth", "status", env={"MAILTRAP_BASE_URL": dead.url,
                                            "MAILTRAP_API_TOKEN": TOKEN})
    assert result.code == 7
    assert result.json()[0]["status"] == "unreachable"
    assert TOKEN not in result.stdout + result.stderr


def test_status_of_the_local_profile_works_offline(cli_raw):
    result = cli_raw("-p", "local", "auth", "status")
    assert result.code == 0, result
    assert result.json()[0]["status"] == "valid"


def test_status_unknown_profile_is_a_usage_error(mt):
    result = mt("-p", "nope", "auth", "status")
    assert result.code == 2
    assert "no profile named 'nope'" in result.stderr


# -- token --------------------------------------------------------------------
def test_token_prints_the_raw_token(mt):
    assert login(mt).code == 0
    result = mt("auth", "token")
    assert result.code == 0
    assert result.stdout == TOKEN + "\n"
    assert result.stderr == ""


def test_token_from_the_environment_wins(mt):
    assert login(mt).code == 0
    result = mt("auth", "token", env={"MAILTRAP_API_TOKEN": "env-token-1"})
    assert result.stdout == "env-token-1\n"


def test_no_token_anywhere_exits_4_with_the_hint(mt):
    result = mt("auth", "token")
    assert result.code == 4
    assert result.stdout == ""
    assert result.stderr.startswith("error: no API token for profile 'default'")
    for words in ("auth login", "MAILTRAP_API_TOKEN", "--profile local"):
        assert words in result.stderr
