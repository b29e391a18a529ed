"""`send batch` killed mid-run (SIGKILL, Ctrl-C, SIGTERM) and run again: no row sent
twice, none lost; chunks whose outcome the kill made unknown are reported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

ROWS = 3000
CHUNK = 50
ARGS = ["send", "batch", "--from", "App <app@example.com>", "--subject", "Hi", "--text",
        "Hello", "--chunk-size", str(CHUNK), "--concurrency", "4"]

pytestmark = [pytest.mark.slow, pytest.mark.no_spec_check]


def make_csv(tmp_path):
    path = tmp_path / "users.csv"
    with open(path, "w") as handle:
        handle.write("email,code\n")
        for i in range(1, ROWS + 1):
            handle.write(f"u{i}@example.com,{i}\n")
    return path


def start(server, path):
    env = dict(os.environ, MAILTRAP_PROFILE="local", MAILTRAP_BASE_URL=server.url)
    return subprocess.Popen([sys.executable, "-m", "mailtrap_cli", *ARGS, "--csv", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def wait_for_done_chunks(journal, count, proc, timeout=30.0):
    """Poll the journal until `count` chunks are recorded as answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if journal.exists():
            done = journal.read_bytes().count(b'{"type":"done"')
            if done >= count:
                return
        time.sleep(0.02)
    raise AssertionError("the batch made no progress")


def delivered(server):
    rows = server.call("GET", "/_local/deliveries").json()
    return Counter(r["recipient"] for r in rows)


def row_email(row):
    return f"u{row - 1}@example.com"   # line 2 holds u1


def unknown_rows(summary):
    rows = set()
    for chunk in summary["unknown_chunks"]:
        for part in chunk["rows"].split(", "):
            first, _, last = part.partition("-")
            rows.update(range(int(first), int(last or first) + 1))
    return rows


def test_sigkill_mid_batch_then_rerun_sends_each_row_at_most_once(cli, server, tmp_path):
    path = make_csv(tmp_path)
    journal = tmp_path / "users.csv.journal.jsonl"
    server.configure(latency=0.1)
    proc = start(server, path)
    wait_for_done_chunks(journal, 8, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    before = delivered(server)
    assert 8 * CHUNK <= sum(before.values()) < ROWS

    server.configure(latency=0)
    result = cli(*ARGS, "--csv", str(path))
    summary = result.json()
    unknown = unknown_rows(summary)
    # Chunks in flight at the kill were journaled `pending`: now reported unknown.
    assert result.code == (8 if unknown else 0), result
    assert summary["skipped_unknown"] == len(unknown) <= 4 * CHUNK
    assert all(c["earlier_run"] and "ended before the answer" in c["reason"]
               for c in summary["unknown_chunks"])
    assert summary["sent"] + summary["skipped_already_sent"] + len(unknown) == ROWS
    counts = delivered(server)
    assert max(counts.values()) == 1, "a row was delivered twice"
    for row in range(2, ROWS + 2):
        email = row_email(row)
        if row in unknown:
            assert counts[email] <= 1
        else:
            assert counts[email] == 1, f"row {row} lost"

    # The user checked and asks for the unknown rows: now every row has arrived.
    resent = cli(*ARGS, "--csv", str(path), "--resend-unknown")
    assert resent.code == 0, resent
    assert resent.json()["sent"] == len(unknown)
    counts = delivered(server)
    assert len(counts) == ROWS


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_finishes_in_flight_chunks_then_rerun_completes(cli, server, tmp_path, sig):
    path = make_csv(tmp_path)
    journal = tmp_path / "users.csv.journal.jsonl"
    server.configure(latency=0.1)
    proc = start(server, path)
    wait_for_done_chunks(journal, 5, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    summary = json.loads(out)
    assert summary["complete"] is False and summary["unknown"] == 0
    assert 0 < summary["sent"] < ROWS
    assert b"interrupted" in err and b"run the same command again" in err
    assert b"Traceback" not in err
    # Every request in flight was answered and journaled: nothing is unknown.
    assert sum(delivered(server).values()) == summary["sent"]

    server.configure(latency=0)
    result = cli(*ARGS, "--csv", str(path))
    assert result.code == 0, result
    again = result.json()
    assert again["skipped_already_sent"] == summary["sent"]
    assert again["sent"] == ROWS - summary["sent"]
    counts = delivered(server)
    assert len(counts) == ROWS and set(counts.values()) == {1}
