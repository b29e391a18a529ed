"""Config under concurrent writers and in shared folders (issue 8)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mailtrap_cli import config

ADD = """
import sys
from pathlib import Path
from mailtrap_cli import config
with config.editing(Path(sys.argv[1])) as data:
    data.setdefault("profiles", {})[sys.argv[2]] = {"stream": "bulk"}
"""


@pytest.mark.slow
def test_twenty_writers_at_once_keep_every_profile(tmp_path):
    path = tmp_path / "cfg" / "config.toml"
    procs = [subprocess.Popen([sys.executable, "-c", ADD, str(path), f"q{i}"])
             for i in range(20)]
    assert [p.wait(timeout=60) for p in procs] == [0] * 20
    assert set(config.load_file(path)["profiles"]) == {f"q{i}" for i in range(20)}
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_an_editing_block_that_fails_writes_nothing(tmp_path):
    path = tmp_path / "config.toml"
    with pytest.raises(RuntimeError), config.editing(path) as data:
        data["profiles"] = {"x": {}}
        raise RuntimeError("stop")
    assert not path.exists()


@pytest.mark.parametrize(("url", "warned"), [
    ("http://mail.example.com", True), ("http://10.0.0.5:8025", True),
    ("https://mail.example.com", False), ("http://127.0.0.1:8025", False),
    ("http://localhost:8025", False), ("http://[::1]:8025", False)])
def test_cleartext_warning_for_plain_http_off_this_machine(url, warned):
    assert (config.cleartext_warning(url) is not None) == warned


@pytest.mark.slow
def test_twenty_parallel_config_use_create_keep_every_profile(tmp_path):
    import os

    env = dict(os.environ, MAILTRAP_CONFIG_DIR=str(tmp_path / "cfg"))
    procs = [subprocess.Popen([sys.executable, "-m", "mailtrap_cli", "config", "use", f"q{i}",
                               "--create"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for i in range(20)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert all(code == 0 for code, _ in results), results
    data = config.load_file(tmp_path / "cfg" / "config.toml")
    assert set(data["profiles"]) == {f"q{i}" for i in range(20)}


def test_config_set_plain_http_base_url_off_this_machine_warns(cli_raw):
    result = cli_raw("config", "set", "base_url", "http://mail.example.com")
    assert result.code == 0, result
    assert "clear text" in result.stderr
    quiet = cli_raw("config", "set", "base_url", "http://127.0.0.1:8025")
    assert "clear text" not in quiet.stderr
