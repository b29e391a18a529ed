"""Config files and settings a user gets wrong: wrong types, bad URLs, an
unwritable or odd config path, a byte order mark, a symlink, unknown keys."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

ACCOUNTS = "/api/accounts"


def _write_config(isolated: Path, text: str) -> Path:
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("body", [
    "[profiles.default]\ntoken = 5\n",
    "[profiles.default]\nbase_url = 5\n",
    "[profiles.default]\napi_url = [\"a\"]\n",
    "[profiles.default]\nfrom = 5\n",
    "default_profile = 5\n",
])
@pytest.mark.parametrize("command", [("config", "list"), ("config", "profiles"),
                                     ("api", ACCOUNTS)])
def test_wrong_types_in_the_config_file_exit_2_with_the_key(cli_raw, isolated, body, command):
    path = _write_config(isolated, body)
    result = cli_raw(*command, env={"MAILTRAP_API_TOKEN": "tok-1234567890"})
    result.assert_clean_error(2)
    assert str(path) in result.stderr


@pytest.mark.parametrize("url", ["not a url", "garbage", "ftp://example.com", "localhost:8025"])
def test_bad_base_url_in_profile_exits_2(cli_raw, isolated, url):
    path = _write_config(isolated, f'[profiles.default]\ntoken = "tok-1234567890"\n'
                                   f'base_url = "{url}"\n')
    result = cli_raw("api", ACCOUNTS)
    result.assert_clean_error(2)
    assert "base_url" in result.stderr and str(path) in result.stderr


@pytest.mark.parametrize("url", ["garbage", "not a url", "ftp://x"])
def test_bad_mailtrap_base_url_exits_2(cli_raw, url):
    result = cli_raw("api", ACCOUNTS, env={"MAILTRAP_PROFILE": "local",
                                           "MAILTRAP_BASE_URL": url})
    result.assert_clean_error(2)
    assert "MAILTRAP_BASE_URL" in result.stderr


def test_doctor_reports_a_bad_base_url_as_a_failed_check(cli_raw):
    result = cli_raw("doctor", "-o", "json", env={"MAILTRAP_PROFILE": "local",
                                                  "MAILTRAP_BASE_URL": "garbage"})
    assert result.code == 2, result
    checks = {c["check"]: c for c in result.json()}
    assert checks["profile"]["status"] == "fail"
    assert "MAILTRAP_BASE_URL" in checks["profile"]["detail"]


def test_unwritable_config_is_an_error_with_the_path(cli_raw, isolated, monkeypatch):
    real_replace = os.replace

    def refuse(src: Any, dst: Any) -> None:
        if str(dst).endswith("config.toml"):
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    result = cli_raw("config", "set", "sandbox_id", "3")
    result.assert_clean_error(2)
    assert "cannot write config file" in result.stderr
    assert str(isolated / "config" / "config.toml") in result.stderr
    assert not list((isolated / "config").glob(".*.tmp"))


def test_config_dir_that_is_a_file(cli_raw, isolated):
    blocker = isolated / "blocker"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("x")
    result = cli_raw("config", "set", "sandbox_id", "3",
                     env={"MAILTRAP_CONFIG_DIR": str(blocker)})
    result.assert_clean_error(2)
    assert str(blocker) in result.stderr


def test_empty_profile_name_is_a_usage_error(cli_raw, isolated):
    result = cli_raw("-p", "", "config", "set", "sandbox_id", "3")
    result.assert_clean_error(2)
    assert not (isolated / "config" / "config.toml").exists()


def test_doctor_warns_about_unknown_keys(cli_raw, isolated, server):
    _write_config(isolated, 'colour = "x"\n[profiles.local]\nsandbox-id = 3\n')
    result = cli_raw("doctor", "-o", "json", env={"MAILTRAP_PROFILE": "local",
                                                  "MAILTRAP_BASE_URL": server.url})
    assert result.code == 0, result
    checks = {c["check"]: c for c in result.json()}
    assert checks["config file"]["status"] == "warn"
    assert "profiles.local.sandbox-id" in checks["config file"]["detail"]
    assert "colour" in checks["config file"]["detail"]


@pytest.mark.parametrize("url", ["http://a b", "http://host:port", "http://"])
def test_config_set_refuses_a_url_later_commands_would_refuse(cli_raw, isolated, url):
    result = cli_raw("config", "set", "base_url", url)
    result.assert_clean_error(2)
    assert not (isolated / "config" / "config.toml").exists()


def test_mailtrap_output_auto_beats_the_profile_output(cli, isolated):
    _write_config(isolated, '[profiles.local]\noutput = "tsv"\n')
    assert cli("api", ACCOUNTS).stdout.startswith("id\t")  # the profile's default applies
    result = cli("api", ACCOUNTS, env={"MAILTRAP_OUTPUT": "auto"})
    assert result.code == 0, result
    assert result.json()[0]["id"] == 1  # env > profile: auto, i.e. JSON when piped


def test_config_file_with_a_byte_order_mark_is_read(cli_raw, isolated):
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'\xef\xbb\xbf[profiles.default]\nsandbox_id = 7\n')
    result = cli_raw("config", "get", "sandbox_id")
    assert result.code == 0, result
    assert result.stdout == "7\n"


def test_config_set_writes_through_a_symlinked_config_file(cli_raw, isolated, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "mailtrap.toml"
    real.write_text("[profiles.default]\nsandbox_id = 7\n")
    link = isolated / "config" / "config.toml"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    result = cli_raw("config", "set", "account_id", "5")
    assert result.code == 0, result
    assert link.is_symlink()
    assert "account_id = 5" in real.read_text() and "sandbox_id = 7" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o600

