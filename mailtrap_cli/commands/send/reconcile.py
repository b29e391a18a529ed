"""`send batch --reconcile`: settle unknown chunks from the email logs (batch/reconcile.py).

Sends nothing. Rows found in the logs become sent in the journal; chunks that
certainly never went out are released so the next run sends them; what
cannot be decided is listed, with why, and stays unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailtrap_cli.api.errors import PartialFailureError, UsageError
from mailtrap_cli.output import View

CHUNKS = View(columns=[("chunk", "CHUNK"), ("rows", "ROWS"), ("sent", "SENT"),
                       ("released", "NOT SENT"), ("undecided", "UNDECIDED"),
                       ("reason", "WHY")],
              flat=lambda report: report.get("chunks") or [])


def check_flags(*, chosen: str, resend_unknown: bool, new_journal: bool,
                is_sandbox: bool) -> None:
    """Flags that contradict --reconcile are usage errors (exit 2), before any work."""
    if resend_unknown or new_journal:
        raise UsageError("--reconcile settles unknown rows from the email logs: give it "
                         "without --resend-unknown or --new-journal")
    if is_sandbox:
        raise UsageError("--reconcile reads the email logs, which hold live sends only; "
                         "sandbox sends cannot be reconciled",
                         hint="use --resend-unknown for a sandbox (duplicates are harmless)")


def run(state: Any, journal_path: Path, resume: Any, records: Any, builder: Any,
        base: dict[str, Any], writer: Any) -> None:
    from mailtrap_cli.api import logs
    from mailtrap_cli.batch.reconcile import reconcile

    if not resume.unknown:
        state.out.info(f"nothing to reconcile: journal {journal_path} has no rows with an "
                       "unknown outcome")
        state.out.emit({"sent": 0, "released": 0, "undecided": 0, "chunks": [],
                        "missing_rows": 0, "journal": str(journal_path)}, CHUNKS)
        return
    client = state.client()
    state.out.info(f"looking up {len(resume.unknown)} row(s) of unknown outcome in the email "
                   "logs ...")
    report = reconcile(journal_path, resume, records, builder.build, base,
                       lambda a, since, subject, category: logs.find_sent(
                           client, a, since, subject, category),
                       lambda since: logs.any_since(client, since), writer)
    data = {**report.as_dict(), "journal": str(journal_path)}
    totals = report.totals()
    if writer is None:
        state.out.info("dry run: the journal was not changed")
    state.out.emit(data, CHUNKS)
    state.out.success(f"{totals['sent']} row(s) found in the email logs: marked sent; "
                      f"{totals['released']} never went out: the next run sends them")
    if report.missing_rows:
        state.out.warn(f"{report.missing_rows} unknown row(s) are no longer in the input "
                       "(or cannot be built): they stay unknown")
    if totals["undecided"]:
        for chunk in report.chunks:
            if chunk.undecided:
                state.out.warn(f"chunk {chunk.chunk}: {chunk.undecided} row(s) undecided: "
                               f"{chunk.reason}")
        raise PartialFailureError(
            f"{totals['undecided']} row(s) could not be decided and stay unknown",
            hint="run --reconcile again later, or --resend-unknown to send them anyway "
                 "(they may arrive twice)")
