"""`send batch` from start to end: input, shared base, journal, run, summary, exit code.

Everything that can be refused is refused before the first request (exit 2):
flags, unreadable input, a CSV header without `email`, an incomplete shared
message, a journal that belongs to another input.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import signal
import threading
import time
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import typer

from mailtrap_cli import compose
from mailtrap_cli.api.errors import PartialFailureError, UsageError
from mailtrap_cli.batch import reader as rd
from mailtrap_cli.batch.build import Builder, is_request
from mailtrap_cli.message import MAX_BATCH_BYTES


class NothingValid(UsageError):
    """Every row of the input is invalid: exit 2, nothing sent."""


def _input(source: str | None, csv: str | None, jsonl: str | None) -> tuple[str, str]:
    given = [(kind, path) for kind, path in (("json", source), ("csv", csv),
                                             ("jsonl", jsonl)) if path is not None]
    if len(given) != 1:
        raise UsageError("give exactly one input: a batch JSON file, --csv FILE or --jsonl FILE",
                         hint="see `mailtrap send batch --help`")
    return given[0]


def shared_base(state: Any, base_file: str | None, flags: dict[str, Any]) -> dict[str, Any]:
    """--base FILE, then the flags on top."""
    base = (compose.read_json_object(base_file, "--base", " (the shared message fields)",
                                     state.io) if base_file else {})
    if flags["from"]:
        base["from"] = compose.address(flags["from"], "--from")
    if flags["reply_to"]:
        base["reply_to"] = compose.address(flags["reply_to"], "--reply-to")
    template = flags["template"]
    if template is not None:
        compose.check_template(template, {
            "--subject": flags["subject"], "--text": flags["text"], "--html": flags["html"],
            "--text-file": flags["text_file"], "--html-file": flags["html_file"],
            "--category": flags["category"]})
        base["template_uuid"] = template
    if flags["var"]:
        base["template_variables"] = {**(base.get("template_variables") or {}),
                                      **compose.template_variables(flags["var"], None)}
    if flags["subject"] is not None:
        base["subject"] = flags["subject"]
    for field in ("text", "html"):
        value = compose.body(flags[field], flags[f"{field}_file"], field, state.io)
        if value:
            base[field] = value
    if flags["category"] is not None:
        base["category"] = flags["category"]
    headers = dict(compose.pairs(flags["header"], "--header", ":"))
    if headers:
        base["headers"] = {**(base.get("headers") or {}), **headers}
    variables = dict(compose.pairs(flags["custom_var"], "--custom-var"))
    if variables:
        base["custom_variables"] = {**(base.get("custom_variables") or {}), **variables}
    attachments = [compose.attachment(p, "--attach") for p in flags["attach"] or []]
    if attachments:
        base["attachments"] = list(base.get("attachments") or []) + attachments
    return base


def _fingerprint(kind: str, digest: str | None, base: dict[str, Any], vars_as: str,
                 target: str) -> str:
    blob = json.dumps({"kind": kind, "input": digest or "stdin", "base": base,
                       "vars_as": vars_as, "target": target}, sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the run like Ctrl-C: in-flight requests finish and are journaled."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(state: Any, *, source: str | None, csv: str | None, jsonl: str | None,
        base_file: str | None, flags: dict[str, Any], vars_as: str | None, stream: str | None,
        sandbox: int | None, concurrency: int, rate: str, chunk_size: int,
        journal: str | None, new_journal: bool, force: bool, resend_unknown: bool,
        retry_rejected: bool, dry_run: bool, reconcile: bool = False) -> None:
    from mailtrap_cli.batch.journal import Journal
    from mailtrap_cli.batch.limiter import parse_rate

    kind, path = _input(source, csv, jsonl)
    readers = [flag for flag, value in (
        ({"csv": "--csv", "jsonl": "--jsonl"}.get(kind, "the batch JSON"), path),
        ("--base", base_file), ("--text-file", flags["text_file"]),
        ("--html-file", flags["html_file"])) if value == rd.STDIN]
    if len(readers) > 1:
        raise UsageError(f"only one of {', '.join(readers)} can read stdin (-)",
                         hint="give the others as files")
    try:
        count, window = parse_rate(rate)
    except ValueError as exc:
        raise UsageError(f"--rate {exc}") from None
    if not math.isfinite(window):
        # 1/nan turned the limit off and 1/inf waited forever.
        raise UsageError(f"--rate '{rate}': the seconds must be a finite number",
                         hint="e.g. --rate 150/10s")
    if vars_as not in (None, "template", "custom"):
        raise UsageError(f"--vars-as must be template or custom, got '{vars_as}'")
    if new_journal and force:
        raise UsageError("give either --new-journal or --force, not both")
    chosen = compose.stream_and_sandbox(state, stream, sandbox)
    target = f"sandbox:{sandbox}" if chosen == "sandbox" else chosen
    if reconcile:
        from mailtrap_cli.commands.send.reconcile import check_flags

        check_flags(chosen=chosen, resend_unknown=resend_unknown, new_journal=new_journal,
                    is_sandbox=chosen == "sandbox")
    regular = rd.is_regular(path)
    if not regular and journal is None and not dry_run:
        what = "stdin" if path == rd.STDIN else f"{path} (not a regular file)"
        raise UsageError(f"reading the input from {what} needs --journal PATH",
                         hint="the journal is what makes a rerun send only the rest")
    base = shared_base(state, base_file, flags)
    # A pipe can be read once: it is sent without a fingerprint of its content.
    digest, lines = rd.scan(path) if regular else (None, None)
    source_input = rd.open_input(kind, path)
    try:
        base = {**(source_input.base or {}), **base}
        if "from" not in base:
            default = state.settings.get("from")
            if default:
                base["from"] = compose.address(str(default), "the profile's `from`")
            elif kind == "csv":
                compose.sender(state, None)   # raises: no sender, with the hint
        try:
            builder = Builder(base, vars_as)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        records = source_input.records()
        recipients = kind == "csv"
        if kind == "jsonl":
            # The first readable row tells whether rows are recipients (checked against
            # the shared part now) or full requests; unreadable ones before it are kept.
            ahead = []
            for record in records:
                ahead.append(record)
                if record.data is not None:
                    recipients = not is_request(record.data)
                    break
            records = chain(ahead, records)
        if recipients:
            problems = builder.base_problems()
            if problems:
                raise UsageError("the shared message is incomplete: " + "; ".join(problems),
                                 hint="give it with flags (--from, --subject, --text, "
                                      "--template ...) or --base FILE.json; nothing was sent")
        journal_path = Path(journal) if journal else Path(path + ".journal.jsonl")
        if regular and journal_path.resolve() == Path(path).resolve():
            raise UsageError(f"--journal {journal} is the input file",
                             hint=f"pass another path, or leave --journal out (default: "
                                  f"{path}.journal.jsonl)")
        header = {"fingerprint": _fingerprint(kind, digest, base, builder.vars_as, target),
                  "input": path if path == rd.STDIN else str(Path(path).resolve()),
                  "kind": kind, "target": target}
        if dry_run and reconcile:
            # --reconcile --dry-run: what the journal says, settled but not written.
            writer, resume, note = Journal.open(journal_path, header, force=force, write=False)
        elif dry_run:
            # A dry run shows what the file holds: it neither reads nor writes the journal.
            from mailtrap_cli.batch.journal import Resume

            writer, resume, note = None, Resume(), None
        else:
            fresh = not journal_path.exists()
            writer, resume, note = Journal.open(journal_path, header, new=new_journal,
                                                force=force)
        if note:
            state.out.info(note)
        if resume.damaged:
            state.out.warn(f"journal {journal_path}: {resume.damaged} unreadable line(s) "
                           "ignored; their chunks count as unknown")
        if reconcile:  # commands/send/reconcile.py: sends nothing
            from mailtrap_cli.commands.send import reconcile as settle

            try:
                settle.run(state, journal_path, resume, records, builder, base, writer)
            finally:
                if writer is not None:
                    writer.close()
            return
        total = None
        if kind == "json":
            total = source_input.count
        elif lines is not None:
            total = max(0, lines - (1 if kind == "csv" else 0))
        try:
            _send(state, source_input, records, builder, resume, writer,
                  kind=kind, base=base, total=total, chosen=chosen, sandbox=sandbox,
                  concurrency=concurrency, limit=(count, window), chunk_size=chunk_size,
                  journal_path=journal_path, resend_unknown=resend_unknown,
                  retry_rejected=retry_rejected, dry_run=dry_run)
        finally:
            if writer is not None:
                writer.close()   # and its lock, whatever stopped the run
    except NothingValid:
        if not dry_run and fresh:
            # Nothing was sent: a rerun with the rows fixed starts clean.
            journal_path.unlink(missing_ok=True)
        raise
    finally:
        source_input.close()


def _send(state: Any, source_input: Any, records: Any, builder: Builder, resume: Any,
          writer: Any, *, kind: str, base: dict[str, Any], total: int | None, chosen: str,
          sandbox: int | None, concurrency: int, limit: tuple[int, float], chunk_size: int,
          journal_path: Path, resend_unknown: bool, retry_rejected: bool,
          dry_run: bool) -> None:
    from mailtrap_cli.api import sending
    from mailtrap_cli.batch.plan import plan
    from mailtrap_cli.batch.runner import Totals
    from mailtrap_cli.views.batch import BatchProgress

    out = state.out
    build = {"csv": builder.recipient, "jsonl": builder.build, "json": builder.request}[kind]
    from mailtrap_cli.batch.limiter import RateLimiter

    totals = Totals()
    limiter = RateLimiter(*limit)
    view = BatchProgress(out, kind, source_input.label, None if dry_run else total,
                         pace=lambda: limiter.rate * min(chunk_size, total or chunk_size),
                         totals=totals)
    stream_name = "transactional" if chosen == "sandbox" else chosen
    chunks = plan(records, build, resume=resume, totals=totals, events=view,
                  first_index=resume.next_chunk, chunk_size=chunk_size,
                  max_bytes=MAX_BATCH_BYTES - rd.sent_size(base) - 1024,
                  retry_rejected=retry_rejected, resend_unknown=resend_unknown)
    if dry_run:
        first = next(chunks, None)
        rows = len(first.rows) if first else 0
        more = 1 if first else 0
        for chunk in chunks:
            rows += len(chunk.rows)
            more += 1
        body: dict[str, Any] = {"base": compose.abbreviated(base)} if base else {}
        body["requests"] = first.requests if first else []
        state.perform(sending.batch_call(body, stream=stream_name, sandbox_id=sandbox),
                      dry_run=True)
        out.info(f"would send {rows} row(s) in {more} request(s); {totals.invalid} invalid "
                 "(the journal is not read: a real run skips what earlier runs sent)")
        if not rows and totals.invalid:
            raise NothingValid(f"{source_input.label}: no valid row ({totals.invalid} invalid)",
                               hint="fix the rows listed above; nothing would be sent")
        return
    from mailtrap_cli.api.client import RetryPolicy
    from mailtrap_cli.batch.runner import Runner
    from mailtrap_cli.batch.sender import BatchSender
    from mailtrap_cli.views.batch import outcome_line, summary

    state.settings.require_token()
    policy = RetryPolicy.from_env()
    runner = Runner(
        senders=lambda: BatchSender(state.make_client, stream=stream_name, sandbox_id=sandbox),
        journal=writer, limiter=limiter, base=base, concurrency=concurrency,
        events=view, totals=totals, backoff=policy.backoff, max_sleep=policy.max_sleep)
    started = time.monotonic()
    try:
        with view, _terminate_as_interrupt():
            runner.run(chunks)
    finally:
        writer.close()
    data = summary(
        totals, view=view, journal=str(journal_path), elapsed=time.monotonic() - started,
        earlier_unknown=[] if resend_unknown else resume.unknown_chunks(),
        earlier_rejected=[] if retry_rejected else sorted(resume.rejected.items())[:100])
    out.emit(data)
    if totals.fatal is not None:
        raise totals.fatal
    if totals.interrupted:
        if totals.abandoned:
            out.warn(f"{totals.abandoned} request(s) were still waiting for an answer: the "
                     "next run reports their rows as unknown")
        out.warn(f"interrupted: {outcome_line(data)}; run the same command again to send "
                 f"the rest (journal {journal_path})")
        raise typer.Exit(130)
    if totals.invalid and not (totals.requests or data["skipped_already_sent"]
                               or data["skipped_rejected"] or data["skipped_unknown"]):
        raise NothingValid(f"{source_input.label}: no valid row ({totals.invalid} invalid); "
                           "nothing was sent", hint="fix the rows listed above and run again")
    if (data["rejected"] or data["invalid"] or data["unknown"] or data["skipped_rejected"]
            or data["skipped_unknown"]):
        hint = f"rows are listed in the summary and in the journal {journal_path}"
        if data["unknown"] or data["skipped_unknown"]:
            hint += ("; rows with an unknown outcome may have been delivered: resend them "
                     "with --resend-unknown only after checking")
        raise PartialFailureError(f"not everything was sent: {outcome_line(data)}", hint=hint)
    out.success(f"{outcome_line(data)} (journal {journal_path})")
