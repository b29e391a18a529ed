"""batch/reconcile.py against the built-in server: unknown chunks settled from the
email logs, then a rerun sends only what never went out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mailtrap_cli.api import logs
from mailtrap_cli.api.client import Client
from mailtrap_cli.batch import reader as rd
from mailtrap_cli.batch.build import Builder
from mailtrap_cli.batch.journal import Journal, load
from mailtrap_cli.batch.reconcile import reconcile
from mailtrap_cli.local.faults import Fault
from tests.send_batch_helpers import PLAIN, csv_file, numbered, recipients

BASE = {"from": {"email": "app@example.com", "name": "App"}, "subject": "Hi",
        "text": "Hello"}


def _lose_two_chunks(server: Any) -> None:
    """Chunk 1 is delivered and answered 500; chunk 2 is refused before it is processed."""
    seen: list[str] = []

    def observe(req: Any, response: Any) -> None:
        if req.path != "/api/batch":
            return
        seen.append(req.path)
        if len(seen) == 1:
            server.app.faults.add(Fault(status=500, path="/api/batch", after=True))
        elif len(seen) == 2:
            server.app.faults.add(Fault(status=500, path="/api/batch"))

    server.app.observers.append(observe)


def _reconcile(server: Any, csv: Path, *, settle: float = 600.0) -> Any:
    journal = Path(str(csv) + ".journal.jsonl")
    _, resume, _ = load(journal)
    client = Client("test-token", {"api": server.url})
    source = rd.open_input("csv", str(csv))
    builder = Builder(BASE)
    header = {"fingerprint": load(journal)[0]["fingerprint"]}
    writer, _, _ = Journal.open(journal, header)
    try:
        return reconcile(journal, resume, source.records(), builder.build, BASE,
                         lambda a, s, subj, cat: logs.find_sent(client, a, s, subj, cat),
                         lambda since: logs.any_since(client, since), writer,
                         settle=settle)
    finally:
        writer.close()
        source.close()


def test_reconcile_marks_delivered_rows_sent_and_releases_the_rest(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(30))
    args = ["send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "10",
            "--concurrency", "1"]
    _lose_two_chunks(server)
    first = cli(*args)
    assert first.code == 8, first
    assert (first.json()["sent"], first.json()["unknown"]) == (10, 20)
    assert len(recipients(server)) == 20          # chunk 2 never went out

    # Nothing was sent after chunk 2 gave up and it is recent: it cannot be decided yet.
    report = _reconcile(server, path)
    totals = report.totals()
    assert totals == {"sent": 10, "released": 0, "undecided": 10}, report.as_dict()
    assert "recent" in report.chunks[1].reason

    # A message logged after the chunk gave up: the logs are complete past it.
    later = (datetime.now(timezone.utc) + timedelta(seconds=5)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")
    server.call("POST", "/_local/email_logs", json={"count": 1, "sent_at": later})
    report = _reconcile(server, path)
    assert report.totals() == {"sent": 0, "released": 10, "undecided": 0}
    assert "never went out" in report.chunks[0].reason

    rerun = cli(*args)
    assert rerun.code == 0, rerun
    assert rerun.json()["sent"] == 10
    counts = recipients(server)
    assert len(counts) == 30 and set(counts.values()) == {1}   # each row exactly once


def test_reconcile_leaves_partly_found_chunks_unknown(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(4))
    server.fault(drop=True, after=True, path="/api/batch")
    assert cli("send", "batch", "--csv", str(path), *PLAIN).code == 8
    # Pretend one message of the request was lost from the logs.
    victim = server.call("GET", "/api/email_logs").json()["messages"][0]["message_id"]
    with server.app.store.tx() as conn:
        conn.execute("DELETE FROM email_logs WHERE message_id = ?", (victim,))
    report = _reconcile(server, path, settle=0)
    assert report.totals() == {"sent": 3, "released": 0, "undecided": 1}
    assert "may have refused" in report.chunks[0].reason
    again = cli("send", "batch", "--csv", str(path), *PLAIN)
    assert again.code == 8 and again.json()["sent"] == 0
    assert again.json()["skipped_unknown"] == 1


def test_send_batch_reconcile_command(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(30))
    args = ["send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "10",
            "--concurrency", "1"]
    _lose_two_chunks(server)
    assert cli(*args).code == 8
    # chunk 2 gave up just now and nothing was logged after it: undecided, exit 8
    early = cli(*args, "--reconcile", "-o", "json")
    assert early.code == 8, early
    assert (early.json()["sent"], early.json()["undecided"]) == (10, 10)
    assert "could not be decided" in early.stderr and "chunk 2" in early.stderr
    later = (datetime.now(timezone.utc) + timedelta(seconds=5)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")
    server.call("POST", "/_local/email_logs", json={"count": 1, "sent_at": later})
    dry = cli(*args, "--reconcile", "--dry-run", "-o", "json")
    assert dry.code == 0 and dry.json()["released"] == 10 and "not changed" in dry.stderr
    settled = cli(*args, "--reconcile", "-o", "json")
    assert settled.code == 0, settled
    assert settled.json()["released"] == 10 and settled.json()["undecided"] == 0
    posts = len([r for r in server.requests(path="/api/batch") if r["method"] == "POST"])
    rerun = cli(*args)
    assert rerun.code == 0 and rerun.json()["sent"] == 10
    assert len([r for r in server.requests(path="/api/batch")
                if r["method"] == "POST"]) == posts + 1          # only the released chunk
    counts = recipients(server)
    assert len(counts) == 30 and set(counts.values()) == {1}
    nothing = cli(*args, "--reconcile")
    assert nothing.code == 0 and "nothing to reconcile" in nothing.stderr


def test_reconcile_refuses_contradicting_flags(cli, server, tmp_path):
    path = csv_file(tmp_path, numbered(2))
    base = ["send", "batch", "--csv", str(path), *PLAIN, "--reconcile"]
    cli(*base, "--resend-unknown").assert_clean_error(2)
    cli(*base, "--sandbox", "1").assert_clean_error(2)
    assert server.requests(path="/api/batch") == []
