"""A `send batch` journal cut short mid-write (power loss, kill -9) stays readable:
the torn last line is cut before the next run appends, however long it was."""

from __future__ import annotations

import json

from mailtrap_cli.batch.journal import Journal, load


def _open(path):
    return Journal.open(path, {"fingerprint": "f", "input": "x", "target": "t"})


def test_a_long_torn_line_is_cut_before_appending(tmp_path):
    path = tmp_path / "j.jsonl"
    journal, _, _ = _open(path)
    journal.pending(0, [1])
    journal.done(0, [(1, ["m1"])], [])
    journal.close()
    torn = json.dumps({"type": "done", "chunk": 1,
                       "sent": [[n, [f"message-id-{n:04}"]] for n in range(2, 60)]})
    with open(path, "ab") as handle:
        handle.write(torn[: len(torn) // 2].encode())      # no newline: cut mid-write
    journal, resume, _ = _open(path)
    assert resume.status(1) == "sent" and resume.damaged == 0
    journal.pending(2, [60])
    journal.close()
    lines = path.read_bytes().splitlines()
    records = [json.loads(line) for line in lines]           # every line is whole JSON
    assert [r["type"] for r in records][-2:] == ["run", "pending"]
    _, again, _ = load(path)
    assert again.damaged == 0 and again.status(1) == "sent" and again.status(60) == "unknown"
