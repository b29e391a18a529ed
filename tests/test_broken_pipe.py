"""A reader that leaves early (`mailtrap ... | head`, a closed stdout): exit 141, quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ACCOUNTS = "/api/accounts"


@pytest.mark.slow
def test_reader_leaving_early_exits_141_quietly(cli, server, tmp_path):
    batch = {"base": {"from": {"email": "a@example.com"}, "text": "x" * 200},
             "requests": [{"to": [{"email": f"r{i}@example.com"}], "subject": f"s {i} " + "y" * 200}
                          for i in range(400)]}
    (tmp_path / "batch.json").write_text(json.dumps(batch))
    sent = cli("api", "POST", "/api/batch/1", "--host", "sandbox", "--input",
               str(tmp_path / "batch.json"))
    assert sent.code == 0, sent
    env = {**os.environ, "MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url}
    for args in (["-o", "jsonl"], ["-o", "json"], ["-o", "tsv"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailtrap_cli", "sandbox", "messages", "list", "--all",
             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert proc.stdout.read(10)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141, err
        assert err == "", err


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["completion", "bash"],
                                  ["-p", "local", "api", ACCOUNTS]])
def test_closed_stdout_is_quiet_exit_141(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        proc = subprocess.run([sys.executable, "-m", "mailtrap_cli", *args], stdout=write_end,
                              stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr.decode()
    assert proc.stderr == b""

