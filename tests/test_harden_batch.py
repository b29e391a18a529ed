"""`send batch` against concurrent runs, hostile rows and edited journals (issue 8).

- one run per journal: a second run refuses (exit 2) instead of sending every
  row twice; a lock left by a killed run never blocks;
- a row the JSON encoder refuses (1e999) is an invalid row, the rest of its
  chunk goes;
- a journal edited to valid JSON of the wrong types is a clean error.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from mailtrap_cli.batch.journal import Journal
from tests.send_batch_helpers import csv_file, numbered, recipients

SEND = ["send", "batch", "--from", "App <app@example.com>", "--subject", "Hi",
        "--text", "Hello"]


def _env(server):
    return dict(os.environ, MAILTRAP_PROFILE="local", MAILTRAP_BASE_URL=server.url)


def test_a_second_run_on_the_same_journal_refuses(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(20))
    journal = tmp_path / "users.csv.journal.jsonl"
    held, _, _ = Journal.open(journal, {"fingerprint": "x"})   # another run holds it
    try:
        result = cli(*SEND, "--csv", str(path), "--journal", str(journal), "--force")
        result.assert_clean_error(2)
        assert "in use by another `send batch` run" in result.stderr
        assert recipients(server) == {}
    finally:
        held.close()
    result = cli(*SEND, "--csv", str(path), "--journal", str(journal), "--force")
    assert result.code == 0, result
    assert sum(recipients(server).values()) == 20


@pytest.mark.slow
@pytest.mark.no_spec_check
def test_two_runs_started_together_deliver_each_row_once(server, tmp_path):
    path = csv_file(tmp_path, numbered(600))
    server.configure(latency=0.2)
    args = [sys.executable, "-m", "mailtrap_cli", *SEND, "--csv", str(path),
            "--chunk-size", "50", "--concurrency", "2"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=_env(server)) for _ in range(2)]
    results = [(p.wait(timeout=60), p.communicate()) for p in procs]
    codes = sorted(code for code, _ in results)
    # Normally one refuses while the other sends; on a very slow machine the first
    # may finish before the second starts (which then finds every row sent).
    assert codes in ([0, 2], [0, 0]), results
    for code, (_, err) in results:
        if code == 2:
            assert b"in use by another `send batch` run" in err
    counts = recipients(server)
    assert len(counts) == 600 and set(counts.values()) == {1}
    # The journal has no torn lines: every line is one JSON record.
    for line in (tmp_path / "users.csv.journal.jsonl").read_text().splitlines():
        json.loads(line)


@pytest.mark.slow
@pytest.mark.no_spec_check
def test_a_killed_run_never_blocks_the_next(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(400))
    journal = tmp_path / "users.csv.journal.jsonl"
    server.configure(latency=0.2)
    proc = subprocess.Popen([sys.executable, "-m", "mailtrap_cli", *SEND, "--csv", str(path),
                             "--chunk-size", "20", "--concurrency", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(server))
    deadline = time.monotonic() + 30
    while b'"type":"done"' not in (journal.read_bytes() if journal.exists() else b""):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    server.configure(latency=0)
    result = cli(*SEND, "--csv", str(path))
    assert result.code in (0, 8), result
    assert "in use" not in result.stderr
    assert max(recipients(server).values()) == 1


def _jsonl(tmp_path, lines):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.mark.parametrize("bad", ['{"email": "u5@example.com", "code": 1e999}',
                                 '{"email": "u5@example.com", "code": -1E400}',
                                 '{"email": "u5@example.com", "code": ' + "[" * 3000
                                 + "]" * 3000 + "}"])
def test_a_row_json_cannot_carry_is_invalid_and_the_rest_of_its_chunk_goes(
        cli, server, tmp_path, bad):
    lines = [f'{{"email": "u{i}@example.com", "code": {i}}}' for i in range(1, 11)]
    lines[4] = bad
    path = _jsonl(tmp_path, lines)
    result = cli(*SEND, "--jsonl", str(path), "--vars-as", "custom")
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr, result
    summary = result.json()
    assert summary["sent"] == 9 and summary["unknown"] == 0, summary
    assert [r["row"] for r in summary["invalid_rows"]] == [5]
    assert f"{path}:5" in result.stderr
    assert "may have been delivered" not in result.stderr
    got = recipients(server)
    assert len(got) == 9 and "u5@example.com" not in got


def test_a_csv_header_of_100000_columns_is_checked_at_once(cli, server, tmp_path):
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(100_000))
    path.write_text("email," + header + ",c7\nu@example.com" + ",x" * 100_001 + "\n")
    started = time.monotonic()
    result = cli(*SEND, "--csv", str(path), "--dry-run")
    assert time.monotonic() - started < 10
    result.assert_clean_error(2)
    assert "repeats column 'c7'" in result.stderr



@pytest.mark.parametrize("line", [
    '{"type": "pending", "chunk": 0, "rows": [[1, 100000000]]}',
    '{"type": "pending", "chunk": 0, "rows": "1-10"}',
    '{"type": "pending", "chunk": "0", "rows": [[1, 2]]}',
    '{"type": "pending", "chunk": 0, "rows": [[5, 1]]}',
    '{"type": "done", "chunk": 0, "sent": [1, 2], "rejected": []}',
    '{"type": "done", "chunk": 0, "sent": [], "rejected": [[2]]}',
    '{"type": "done", "chunk": 0, "sent": {"2": ["id"]}}',
    '{"type": "unknown", "chunk": 0, "reason": 5}',
    '{"type": 7}',
    '{"type": "fingerprint", "fingerprint": ["x"]}',
])
def test_a_journal_edited_to_the_wrong_types_is_a_clean_error(cli, server, tmp_path, line):
    path = csv_file(tmp_path, numbered(3))
    assert cli(*SEND, "--csv", str(path)).code == 0
    journal = tmp_path / "users.csv.journal.jsonl"
    journal.write_text(journal.read_text() + line + "\n")
    started = time.monotonic()
    result = cli(*SEND, "--csv", str(path))
    assert time.monotonic() - started < 10
    result.assert_clean_error(2)
    assert f"{journal}:" in result.stderr and "--new-journal" in result.stderr
    # --dry-run never reads the journal (issue 9): it shows the request as before.
    assert cli(*SEND, "--csv", str(path), "--dry-run").code == 0
    assert sum(recipients(server).values()) == 3


@pytest.mark.parametrize("rate", ["1/nan", "1/inf", "10/infs", "5/NaN"])
def test_a_rate_that_is_not_finite_is_a_usage_error(cli, server, tmp_path, rate):
    path = csv_file(tmp_path, numbered(3))
    result = cli(*SEND, "--csv", str(path), "--rate", rate)
    result.assert_clean_error(2)
    assert "--rate" in result.stderr
    assert recipients(server) == {}


def test_a_run_that_stops_before_sending_leaves_the_journal_unlocked(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(3))
    # No token: refused after the journal was opened.
    result = cli(*SEND, "--csv", str(path), env={"MAILTRAP_PROFILE": "",
                                                  "MAILTRAP_BASE_URL": server.url})
    result.assert_clean_error(4)
    again = cli(*SEND, "--csv", str(path))
    assert again.code == 0, again
