"""`mailtrap config`: precedence, validation, atomic private writes, broken files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.config import load_file

TOKEN = "stored-token-0000-abcd"


@pytest.fixture
def cfg(isolated: Path) -> Path:
    return isolated / "config" / "config.toml"


def write(cfg: Path, text: str) -> None:
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(text)


def settings(cli_raw, *args: str, env: dict[str, str] | None = None) -> dict:
    """`config list` as {key: (value, source)}."""
    result = cli_raw(*args, "config", "list", "-o", "json", env=env)
    assert result.code == 0, result
    return {row["key"]: (row["value"], row["source"]) for row in result.json()}


PROFILES = f"""default_profile = "work"

[profiles.work]
token = "{TOKEN}"
account_id = 11
sandbox_id = 21
output = "tsv"
api_url = "http://127.0.0.1:9/api-host"

[profiles.other]
sandbox_id = 22
base_url = "http://127.0.0.1:9"
"""


# -- precedence: flag > env > profile > default --------------------------------
def test_profile_precedence(cli_raw, cfg):
    assert settings(cli_raw)["profile"] == ("default", "default")
    write(cfg, PROFILES)
    assert settings(cli_raw)["profile"] == ("work", "config default_profile")
    env = {"MAILTRAP_PROFILE": "other"}
    assert settings(cli_raw, env=env)["profile"] == ("other", "env MAILTRAP_PROFILE")
    assert settings(cli_raw, "-p", "local", env=env)["profile"] == ("local", "flag --profile")


def test_token_precedence_and_masking(cli_raw, cfg):
    assert settings(cli_raw)["token"] == (None, "unset")
    write(cfg, PROFILES)
    result = cli_raw("config", "list", "-o", "json")
    assert TOKEN not in result.stdout + result.stderr
    assert settings(cli_raw)["token"] == ("****abcd", "config file (profile work)")
    env = {"MAILTRAP_API_TOKEN": "env-token-9999-wxyz"}
    assert settings(cli_raw, env=env)["token"] == ("****wxyz", "env MAILTRAP_API_TOKEN")


@pytest.mark.parametrize(("key", "env_name", "stored", "env_value"), [
    ("account_id", "MAILTRAP_ACCOUNT_ID", 11, "12"),
    ("sandbox_id", "MAILTRAP_SANDBOX_ID", 21, "31"),
])
def test_id_precedence(cli_raw, cfg, key, env_name, stored, env_value):
    assert settings(cli_raw)[key] == (None, "unset")
    assert settings(cli_raw, "-p", "local")[key] == (1, "built-in (local profile)")
    write(cfg, PROFILES)
    assert settings(cli_raw)[key] == (stored, "profile work")
    assert settings(cli_raw, env={env_name: env_value})[key] == (env_value, f"env {env_name}")


def test_id_flags_beat_env_and_profile(cfg, monkeypatch):
    """--sandbox / --account on a command > env > profile (context.resolve_id)."""
    from mailtrap_cli.context import State, resolve_id

    write(cfg, PROFILES)
    assert resolve_id(State(), "sandbox_id", None, "--sandbox") == 21
    monkeypatch.setenv("MAILTRAP_SANDBOX_ID", "31")
    assert resolve_id(State(), "sandbox_id", None, "--sandbox") == 31
    assert resolve_id(State(), "sandbox_id", 7, "--sandbox") == 7
    with pytest.raises(UsageError) as missing:
        resolve_id(State(profile="other"), "account_id", None, "--account")
    assert "--account" in (missing.value.hint or "")


def test_output_precedence(cli_raw, cfg):
    def output(*args: str, env: dict[str, str] | None = None) -> str:
        return cli_raw(*args, "config", "get", "output", env=env).stdout

    assert output() == "auto\n"
    write(cfg, PROFILES)
    assert output() == "tsv\n"
    assert output(env={"MAILTRAP_OUTPUT": "jsonl"}) == "jsonl\n"
    assert output("-o", "table", env={"MAILTRAP_OUTPUT": "jsonl"}) == "table\n"
    assert settings(cli_raw)["output"] == ("json", "flag --output")


def test_the_profile_output_setting_is_used(cli_raw, cfg):
    write(cfg, PROFILES)
    result = cli_raw("config", "profiles")  # stdout is not a terminal, yet tsv wins
    assert result.code == 0
    assert result.stdout.splitlines()[0].startswith("profile\tdefault\t")


def test_host_precedence(cli_raw, cfg):
    hosts = settings(cli_raw)
    assert hosts["api_url"] == ("https://mailtrap.io", "default")
    assert hosts["send_url"] == ("https://send.api.mailtrap.io", "default")
    write(cfg, PROFILES)
    hosts = settings(cli_raw)
    assert hosts["api_url"] == ("http://127.0.0.1:9/api-host", "profile work")
    assert hosts["bulk_url"] == ("https://bulk.api.mailtrap.io", "default")
    hosts = settings(cli_raw, "-p", "other")
    assert hosts["sandbox_url"] == ("http://127.0.0.1:9", "profile other (base_url)")
    env = {"MAILTRAP_BASE_URL": "http://127.0.0.1:8"}
    hosts = settings(cli_raw, env=env)
    assert hosts["api_url"] == ("http://127.0.0.1:8", "env MAILTRAP_BASE_URL")
    assert hosts["base_url"] == ("http://127.0.0.1:8", "env MAILTRAP_BASE_URL")
    hosts = settings(cli_raw, "-p", "local")
    assert hosts["bulk_url"][1] == "built-in (local profile)"
    assert hosts["bulk_url"][0].endswith("/bulk")


# -- get / set / unset -------------------------------------------------------
def test_set_get_unset_round_trip(cli_raw, cfg):
    result = cli_raw("config", "set", "sandbox_id", "123")
    assert result.code == 0, result
    assert result.stdout == ""
    assert "sandbox_id = 123 in profile 'default'" in result.stderr
    assert load_file(cfg) == {"profiles": {"default": {"sandbox_id": 123}}}
    assert cli_raw("config", "get", "sandbox_id").stdout == "123\n"
    assert cli_raw("config", "unset", "sandbox_id").code == 0
    assert load_file(cfg) == {"profiles": {"default": {}}}
    again = cli_raw("config", "unset", "sandbox_id")
    assert again.code == 0
    assert "nothing to do" in again.stderr


def test_set_writes_atomically_0600_in_0700(cli_raw, cfg):
    assert cli_raw("config", "set", "from", "App <app@example.com>").code == 0
    assert cli_raw("config", "set", "stream", "bulk").code == 0
    assert cfg.stat().st_mode & 0o777 == 0o600
    assert cfg.parent.stat().st_mode & 0o777 == 0o700
    assert os.listdir(cfg.parent) == ["config.toml"]
    assert load_file(cfg)["profiles"]["default"] == {"from": "App <app@example.com>",
                                                      "stream": "bulk"}


def test_set_warns_about_a_loose_existing_folder_but_leaves_its_mode(cli_raw, cfg):
    # MAILTRAP_CONFIG_DIR may name a shared folder: its mode is the user's choice.
    cfg.parent.mkdir(parents=True)
    os.chmod(cfg.parent, 0o755)
    result = cli_raw("config", "set", "stream", "bulk")
    assert result.code == 0
    assert cfg.parent.stat().st_mode & 0o777 == 0o755
    assert cfg.stat().st_mode & 0o777 == 0o600
    assert "open to other users" in result.stderr and "chmod 700" in result.stderr


def test_set_in_a_new_profile_creates_it(cli_raw, cfg):
    result = cli_raw("-p", "staging", "config", "set", "base_url", "http://127.0.0.1:8025/")
    assert result.code == 0, result
    assert load_file(cfg)["profiles"]["staging"] == {"base_url": "http://127.0.0.1:8025"}


@pytest.mark.parametrize(("key", "value"), [
    ("sandbox_id", "abc"), ("account_id", "-1"), ("project_id", "0"),
    ("output", "yaml"), ("stream", "marketing"), ("api_url", "ftp://x"),
    ("base_url", "mailtrap.io"), ("from", "not an address"), ("sandbox_id", " "),
    ("nope", "1"), ("token", "abc"),
])
def test_set_refuses_bad_keys_and_values(cli_raw, cfg, key, value):
    write(cfg, PROFILES)
    before = cfg.read_bytes()
    result = cli_raw("config", "set", key, value)
    assert result.code == 2, result
    assert result.stderr.startswith("error: ")
    assert cfg.read_bytes() == before


def test_set_token_points_at_auth_login(cli_raw):
    result = cli_raw("config", "set", "token", "abc")
    assert "auth login" in result.stderr


def test_get_missing_key_exits_1(cli_raw):
    result = cli_raw("config", "get", "sandbox_id")
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: sandbox_id is not set for profile 'default'")


@pytest.mark.parametrize(("key", "code"), [("nope", 2), ("token", 2)])
def test_get_unknown_key_or_token_is_a_usage_error(cli_raw, key, code):
    result = cli_raw("config", "get", key)
    assert result.code == code
    assert result.stderr.startswith("error: ")


def test_get_prints_effective_values(cli_raw, cfg):
    write(cfg, PROFILES)
    assert cli_raw("config", "get", "profile").stdout == "work\n"
    assert cli_raw("config", "get", "api_url").stdout == "http://127.0.0.1:9/api-host\n"
    assert cli_raw("-p", "local", "config", "get", "sandbox_id").stdout == "1\n"


def test_unset_token_points_at_logout(cli_raw):
    result = cli_raw("config", "unset", "token")
    assert result.code == 2
    assert "auth logout" in result.stderr


# -- profiles / use ----------------------------------------------------------
def test_profiles_lists_local_and_marks_the_default(cli_raw, cfg):
    result = cli_raw("config", "profiles")
    assert result.code == 0
    # No file yet: the default profile (active) and the built-in local one, with the
    # ids and URL local uses (issue 7: they were left out and empty).
    assert result.json() == [
        {"profile": "default", "default": True, "active": True, "built_in": False,
         "token": None, "account_id": None, "sandbox_id": None, "base_url": None},
        {"profile": "local", "default": False, "active": False, "built_in": True,
         "token": None, "account_id": 1, "sandbox_id": 1,
         "base_url": "http://local.mailtrap.invalid"}]
    write(cfg, PROFILES.replace('output = "tsv"\n', ""))
    rows = {r["profile"]: r for r in cli_raw("-p", "other", "config", "profiles").json()}
    assert set(rows) == {"work", "other", "local"}
    assert rows["work"]["default"] and not rows["work"]["active"]
    assert rows["other"]["active"]
    assert rows["work"]["token"] == "****abcd"


def test_use_sets_the_default_profile(cli_raw, cfg):
    write(cfg, PROFILES)
    result = cli_raw("config", "use", "other")
    assert result.code == 0
    assert load_file(cfg)["default_profile"] == "other"
    assert cli_raw("config", "get", "profile").stdout == "other\n"
    assert cli_raw("config", "use", "local").code == 0
    assert cli_raw("config", "get", "profile").stdout == "local\n"


def test_use_unknown_profile_needs_create(cli_raw, cfg):
    write(cfg, PROFILES)
    before = cfg.read_bytes()
    result = cli_raw("config", "use", "staging")
    assert result.code == 2
    assert "--create" in result.stderr
    assert cfg.read_bytes() == before
    assert cli_raw("config", "use", "staging", "--create").code == 0
    data = load_file(cfg)
    assert data["default_profile"] == "staging"
    assert data["profiles"]["staging"] == {}
    assert cfg.stat().st_mode & 0o777 == 0o600


def test_use_warns_when_the_environment_wins(cli_raw, cfg):
    write(cfg, PROFILES)
    result = cli_raw("config", "use", "other", env={"MAILTRAP_PROFILE": "work"})
    assert result.code == 0
    assert "MAILTRAP_PROFILE=work is set" in result.stderr


# -- a broken config file: error with the path, exit 2, never a traceback ------
BROKEN = {
    "not toml": "this is = = not toml\n",
    "profiles not tables": "profiles = 3\n",
    "profile not a table": "[profiles]\nwork = 1\n",
}
COMMANDS = [
    ("config", "list"), ("config", "get", "profile"), ("config", "set", "stream", "bulk"),
    ("config", "unset", "stream"), ("config", "profiles"), ("config", "use", "x", "--create"),
    ("auth", "status"), ("auth", "token"), ("auth", "logout"),
    ("auth", "login", "--with-token"), ("doctor",), ("sandbox", "messages", "list"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("content", list(BROKEN.values()), ids=list(BROKEN))
def test_broken_config_exits_2_with_the_path(cli_raw, cfg, server, command, content):
    write(cfg, content)
    result = cli_raw(*command, stdin="some-token-1234\n",
                     env={"MAILTRAP_BASE_URL": server.url, "MAILTRAP_API_TOKEN": "t-1234"})
    assert result.code == 2, result
    assert "Traceback" not in result.stderr
    assert str(cfg) in result.stderr
    assert "error: " in result.stderr
    assert cfg.read_text() == content  # never overwritten


def test_unreadable_config_exits_2_with_the_path(cli_raw, cfg):
    cfg.mkdir(parents=True)  # a folder where the file should be: reading fails
    for command in (("config", "list"), ("auth", "status"), ("config", "set", "stream", "bulk")):
        result = cli_raw(*command)
        assert result.code == 2, result
        assert result.stderr.startswith(f"error: cannot read config file {cfg}")


def test_unknown_profile_from_the_environment_is_refused(cli_raw):
    """A typo in MAILTRAP_PROFILE must not fall back to production's hosts with
    MAILTRAP_API_TOKEN: it is a usage error naming where the name came from."""
    assert cli_raw("config", "set", "sandbox_id", "5", "-p", "work").code == 0
    result = cli_raw("api", "/api/accounts",
                     env={"MAILTRAP_PROFILE": "wrok", "MAILTRAP_API_TOKEN": "tok-123456789"})
    assert result.code == 2, result
    assert result.stderr.startswith("error: no profile named 'wrok' (from env MAILTRAP_PROFILE)")
    assert result.stdout == ""


def test_config_set_from_accepts_what_send_accepts(cli_raw):
    ok = cli_raw("config", "set", "from", "Doe, Jane <jane@example.com>")
    assert ok.code == 0, ok
    assert cli_raw("config", "get", "from").stdout.strip() == "Doe, Jane <jane@example.com>"
    bad = cli_raw("config", "set", "from", "jane@localhost")
    assert bad.code == 2, bad
    assert bad.stderr.startswith("error: from must be an email address")
