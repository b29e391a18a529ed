"""`mailtrap doctor`: healthy against the server and in-process, and each way to be broken."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mailtrap_cli.local.http import RunningServer

TOKEN = "doctor-token-0000-abcd"
HOST_CHECKS = ["api host", "send host", "bulk host", "sandbox host"]


@pytest.fixture
def doctor(cli_raw, server):
    def run(*args: str, env: dict[str, str] | None = None):
        base = {"MAILTRAP_BASE_URL": server.url, "MAILTRAP_API_TOKEN": TOKEN}
        return cli_raw("doctor", *args, env={**base, **(env or {})})

    return run


def checks(result) -> dict[str, dict]:
    return {c["check"]: c for c in result.json()}


def test_healthy_against_the_server(doctor, server):
    result = doctor()
    assert result.code == 0, result
    found = checks(result)
    assert list(found) == ["config file", "profile", "token present", "token accepted",
                           *HOST_CHECKS, "clock"]
    assert all(c["status"] == "ok" and c["ok"] for c in found.values()), found
    assert set(result.json()[0]) == {"check", "status", "ok", "detail", "fix"}
    assert "Local account (1)" in found["token accepted"]["detail"]
    assert found["bulk host"]["detail"].startswith(f"{server.url}/")
    assert "all checks passed" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    # one origin request per host plus the token check
    assert len(server.requests(path="/api/accounts")) == 1


def test_local_profile_in_process(cli_raw):
    result = cli_raw("-p", "local", "doctor")
    assert result.code == 0, result
    found = checks(result)
    assert found["token accepted"]["status"] == "ok"
    assert all(found[h]["status"] == "ok" for h in HOST_CHECKS)
    assert found["clock"]["status"] == "skip"


def test_local_profile_against_the_server(cli_raw, server):
    result = cli_raw("-p", "local", "doctor", env={"MAILTRAP_BASE_URL": server.url})
    assert result.code == 0, result
    assert checks(result)["clock"]["status"] == "ok"


@pytest.mark.parametrize("token", ["invalid-doctor-1234", "forbidden-doctor-1234"])
def test_refused_token_exits_4(doctor, token):
    result = doctor(env={"MAILTRAP_API_TOKEN": token})
    assert result.code == 4, result
    found = checks(result)
    assert found["token accepted"]["status"] == "fail"
    assert "auth login" in found["token accepted"]["fix"]
    assert all(found[h]["ok"] for h in HOST_CHECKS)  # the hosts still answer
    assert result.stderr.startswith("error: 1 check(s) failed; first: token accepted")
    assert token not in result.stdout + result.stderr


def test_no_token_exits_4_with_the_hint(cli_raw, server):
    result = cli_raw("doctor", env={"MAILTRAP_BASE_URL": server.url})
    assert result.code == 4
    found = checks(result)
    assert found["token present"]["status"] == "fail"
    assert found["token accepted"]["status"] == "skip"
    for words in ("auth login", "MAILTRAP_API_TOKEN", "--profile local"):
        assert words in result.stderr


def test_stopped_server_exits_7(cli_raw):
    dead = RunningServer(":memory:")
    dead.stop()
    result = cli_raw("doctor", env={"MAILTRAP_BASE_URL": dead.url, "MAILTRAP_API_TOKEN": TOKEN})
    assert result.code == 7, result
    found = checks(result)
    assert all(found[h]["status"] == "fail" for h in HOST_CHECKS)
    assert "connection refused" in found["api host"]["detail"]
    assert found["token accepted"]["status"] == "skip"
    assert found["clock"]["status"] == "skip"
    assert "4 check(s) failed; first: api host" in result.stderr


def test_broken_config_exits_2_but_still_checks_the_rest(doctor, isolated: Path):
    cfg = isolated / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("[[[ nope")
    result = doctor()
    assert result.code == 2
    found = checks(result)
    assert found["config file"]["status"] == "fail"
    assert str(cfg) in found["config file"]["detail"]
    assert found["token accepted"]["status"] == "ok"  # the environment token still works
    assert str(cfg) in result.stderr


def test_world_readable_config_is_a_warning(doctor, isolated: Path):
    cfg = isolated / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[profiles.default]\nsandbox_id = 1\n')
    cfg.chmod(0o644)
    result = doctor()
    assert result.code == 0
    found = checks(result)
    assert found["config file"]["status"] == "warn"
    assert found["config file"]["fix"] == f"chmod 600 {cfg}"


def test_account_not_reached_by_the_token_is_a_warning(doctor):
    result = doctor(env={"MAILTRAP_ACCOUNT_ID": "999"})
    assert result.code == 0
    assert checks(result)["account"]["status"] == "warn"


def test_clock_skew_is_a_warning(doctor, monkeypatch):
    from types import SimpleNamespace

    from mailtrap_cli.commands import doctor as doctor_module

    ahead = SimpleNamespace(time=lambda: time.time() + 300, monotonic=time.monotonic)
    monkeypatch.setattr(doctor_module, "time", ahead)
    result = doctor()
    assert result.code == 0, result
    clock = checks(result)["clock"]
    assert clock["status"] == "warn"
    assert "ahead of the server" in clock["detail"]


def test_table_on_request(doctor):
    result = doctor("-o", "table")
    assert result.code == 0
    assert "✓" in result.stdout
    assert "token accepted" in result.stdout
    assert TOKEN not in result.stdout


def test_unknown_profile_fails_the_profile_check(doctor):
    result = doctor("-p", "nope")
    assert result.code == 2
    assert checks(result)["profile"]["status"] == "fail"
