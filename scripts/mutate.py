"""Put small, deliberate bugs into the code where a mistake costs users most, one at
a time, and check that the tests notice (a "killed" mutation). A mutation the tests
do not notice ("survived") is a promise nothing defends.

    python scripts/mutate.py              # every mutation, 2 at a time
    python scripts/mutate.py --list       # what each one breaks
    python scripts/mutate.py journal limiter --jobs 1   # names or name prefixes

Each mutation is a file, an exact snippet of it, its replacement and the tests
to run. They are applied to copies of the project in a temporary folder: the
working tree is never changed, whatever happens (Ctrl-C included). Exit status:
0 when every mutation was killed; 1 when one survived, or no longer applies
because its snippet is gone or not unique (the code changed: update the
snippet); 2 when some tests fail without any mutation (the mutations that
run them are reported as not checked; the others still run).

Not part of the normal test run: it takes a few minutes (README, Development).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300      # seconds per test run; a mutation that hangs the tests counts as killed


@dataclass(frozen=True)
class Mutation:
    name: str
    why: str           # the promise the bug breaks
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]


CALLS = "mailtrap_cli/api/calls.py"
CLIENT = "mailtrap_cli/api/client.py"
SENDER = "mailtrap_cli/batch/sender.py"
RATELIMIT = "mailtrap_cli/api/ratelimit.py"
RUNNER = "mailtrap_cli/batch/runner.py"
PLAN = "mailtrap_cli/batch/plan.py"
JOURNAL = "mailtrap_cli/batch/journal.py"
FILENAMES = "mailtrap_cli/filenames.py"
WAITING = "mailtrap_cli/waiting.py"
BATCH_OPTIONS = "mailtrap_cli/commands/send/batch.py"

NEVER_TWICE = "tests/test_send_never_twice.py"
RETRIES = "tests/test_client_retries.py"
DEFAULTS = "tests/test_documented_defaults.py"
ENGINE = "tests/test_send_batch_engine.py"
SHAPES = "tests/test_rate_shapes.py"
FAULTS = "tests/test_send_batch_faults.py"
KILL = "tests/test_send_batch_kill.py"
ATTACHMENTS = "tests/test_sandbox_attachments.py"
REDACTION = "tests/test_redaction.py"
WAIT = "tests/test_messages_wait.py"
WAIT_DEADLINE = "tests/test_wait_deadline.py"
ECHO = "tests/test_token_echoed_back.py"
JOURNAL_RECOVERY = "tests/test_journal_recovery.py"

MUTATIONS = [
    # -- the client's retry policy --------------------------------------------------
    Mutation("send-idempotent", "a send is never made twice after a 5xx, a time-out or "
             "a dropped connection", CALLS,
             "return client.request(self.method, self.host, self.path, **kwargs)",
             "return client.request(self.method, self.host, self.path, idempotent=True, "
             "**kwargs)", (NEVER_TWICE,)),
    Mutation("post-5xx-retried", "a POST answered 502/503/504 is not retried", CLIENT,
             "if status in RETRY_STATUSES and (safe or status == 429):",
             "if status in RETRY_STATUSES:", (NEVER_TWICE, RETRIES)),
    Mutation("sent-counts-as-unsent", "a request that left is never resent on a "
             "network failure", CLIENT,
             "sent = not _never_sent(exc)", "sent = False", (NEVER_TWICE, RETRIES)),
    Mutation("refused-send-not-retried", "a send is retried when the request never left "
             "(connection refused)", CLIENT, '"NewConnectionError", "Connection refused",',
             '"NewConnectionError-", "Connection refused-",', (RETRIES, NEVER_TWICE)),
    Mutation("tls-failure-retried", "a TLS failure exits 7 at once, not after 5 tries",
             CLIENT, "if isinstance(exc, requests.exceptions.SSLError):\n"
             "                    # The handshake failed",
             "if False:\n                    # The handshake failed",
             ("tests/test_timeout_and_tls.py",)),
    Mutation("tries-9", "at most 5 tries", CLIENT,
             "attempts: int = 5 ", "attempts: int = 9 ", (DEFAULTS, RETRIES)),
    Mutation("retry-after-ignored", "Retry-After is honoured", CLIENT,
             'hint_delay = retry_after_seconds(response.headers.get("Retry-After"))',
             "hint_delay = None",
             # The pacer (api/ratelimit.py) still pauses for Retry-After: what shows
             # is the client's own retry decision, fast in this test, slow in others.
             (f"{NEVER_TWICE}::test_a_429_waits_the_retry_after_it_asked_for", RETRIES)),
    Mutation("retry-after-date-local", "a Retry-After date without a zone is UTC", CLIENT,
             'if when.tzinfo is None:  # "-0000"', 'if False:  # "-0000"',
             (f"{NEVER_TWICE}::test_a_retry_after_date_without_a_zone_is_utc", RETRIES)),
    Mutation("no-total-wait-cap", "at most 60 s of waiting in all", CLIENT,
             "if delay > self.retry.max_sleep or waited + delay > self.retry.max_total:",
             "if delay > self.retry.max_sleep:", (RETRIES,)),
    Mutation("retry-past-deadline", "no retry outlives a wait's --timeout", CLIENT,
             "if self.deadline is not None and time.monotonic() + delay > self.deadline:",
             "if False:", (WAIT_DEADLINE, WAIT)),
    Mutation("timeout-past-deadline", "no request outlives a wait's --timeout", CLIENT,
             "return (min(self.timeout[0], left), min(self.timeout[1], left))",
             "return self.timeout", (WAIT, WAIT_DEADLINE)),
    Mutation("user-agent", "User-Agent: mailtrap-cli/<version>", CLIENT,
             'self.session.headers["User-Agent"] = USER_AGENT', "pass", (DEFAULTS,)),
    Mutation("connect-timeout-30", "connect time-out 10 s", CLIENT,
             "connect_timeout: float = 10.0", "connect_timeout: float = 30.0", (DEFAULTS,)),
    # -- send batch -------------------------------------------------------------------
    Mutation("batch-retry-after-ignored", "send batch waits the Retry-After of a 429",
             SENDER, "exc.retry_after = retry_after_seconds(self._retry_after)",
             "exc.retry_after = None",
             (f"{NEVER_TWICE}::test_batch_stops_when_asked_to_wait_longer_than_it_would",
              f"{NEVER_TWICE}::test_batch_429_waits_the_retry_after_it_asked_for", FAULTS)),
    Mutation("batch-rate-1500", "150 requests per 10 s by default", BATCH_OPTIONS,
             '= "150/10s"', '= "1500/10s"', (DEFAULTS,)),
    Mutation("batch-concurrency-4", "8 requests in flight by default", BATCH_OPTIONS,
             'help="Requests in flight at once.")] = 8',
             'help="Requests in flight at once.")] = 4', (DEFAULTS,)),
    Mutation("batch-unknown-resent", "a chunk whose outcome is unknown is not resent",
             RUNNER, "if isinstance(error, (RateLimitedError, NetworkError)):",
             "if isinstance(error, (RateLimitedError, NetworkError, UnknownOutcomeError)):",
             (NEVER_TWICE, FAULTS)),
    Mutation("rerun-resends-unknown", "a rerun lists unknown rows, resends them only "
             "with --resend-unknown", PLAN, '(state == "unknown" and resend_unknown)',
             '(state == "unknown")', (FAULTS, ENGINE, NEVER_TWICE)),
    Mutation("rerun-resends-rejected", "a rerun resends rejected rows only with "
             "--retry-rejected", PLAN, '(state == "rejected" and retry_rejected)',
             '(state == "rejected")', (FAULTS, ENGINE)),
    Mutation("chunk-over-byte-limit", "a request stays under the API's 50 MB", PLAN,
             "if items and size + weight > max_bytes:", "if False:",
             (ENGINE, "tests/test_send_batch_input.py")),
    # -- the limiter (api/ratelimit.py: the pacing send batch and every call share) -------
    Mutation("limiter-one-extra", "at most N requests per window", RATELIMIT,
             "excess = len(self._slots) - self.count + 1",
             "excess = len(self._slots) - self.count", (ENGINE, DEFAULTS)),
    Mutation("limiter-window-from-start", "a request holds its slot until a window after "
             "its answer", RATELIMIT, "s.ended is None or s.ended > cutoff",
             "s.ended is None or s.started > cutoff", (ENGINE,)),
    Mutation("limiter-burst", "requests start evenly paced, never in a burst", RATELIMIT,
             "self._next = max(self._next, now) + 1 / self.rate",
             "self._next = max(self._next, now)", (ENGINE, SHAPES)),
    Mutation("limiter-no-slowdown", "a 429 slows the pace", RATELIMIT,
             "self.rate = max(self.rate * DECREASE, 1 / MAX_PAUSE)",
             "self.rate = max(self.rate, 1 / MAX_PAUSE)", (ENGINE, SHAPES)),
    Mutation("limiter-no-ceiling", "after a 429 the pace comes back only to just under "
             "the rate that met it", RATELIMIT,
             "self.ceiling = min(self.ceiling, self.rate * CEILING)", "pass", (ENGINE,)),
    Mutation("limiter-no-pause", "a 429 pauses everyone for Retry-After", RATELIMIT,
             "self._paused_until = max(self._paused_until, now + delay)",
             "self._paused_until = max(self._paused_until, now)",
             (ENGINE, f"{NEVER_TWICE}::test_batch_429_waits_the_retry_after_it_asked_for")),
    # -- the journal ----------------------------------------------------------------------
    Mutation("journal-pending-forgotten", "a chunk in flight when the run died is "
             "unknown, not resent", JOURNAL,
             "self._mark_unknown(chunk, pairs, INTERRUPTED)", "pass", (ENGINE, KILL)),
    Mutation("journal-sent-forgotten", "a rerun never sends a row again", JOURNAL,
             '        if row in self.sent:\n            return "sent"',
             '        if row in self.sent:\n            return None', (ENGINE, FAULTS)),
    Mutation("journal-foreign-accepted", "a journal of another input is refused", JOURNAL,
             'old.get("fingerprint") != header["fingerprint"] and not force:',
             "False:", (ENGINE, FAULTS)),
    Mutation("journal-torn-line-kept", "a torn last line is dropped before appending",
             JOURNAL, "handle.truncate(good_end)", "handle.seek(0, 2)", (JOURNAL_RECOVERY,)),
    # -- file names from the network -----------------------------------------------------
    Mutation("filename-backslash", "'..\\\\x' names stay in the folder", FILENAMES,
             'text = text.replace("\\\\", "/").rsplit("/", 1)[-1]',
             'text = text.rsplit("/", 1)[-1]', (ATTACHMENTS,)),
    Mutation("filename-leading-dots", "no hidden files or '..'", FILENAMES,
             'text = text.strip().lstrip(".").rstrip(". ").strip()',
             'text = text.strip().rstrip(". ").strip()', (ATTACHMENTS,)),
    Mutation("filename-windows-reserved", "no CON, NUL, COM1...", FILENAMES,
             'if text.split(".", 1)[0].strip().upper() in _WINDOWS_RESERVED:', "if False:",
             (ATTACHMENTS,)),
    Mutation("filename-target-unchecked", "a name never leads out of the folder",
             FILENAMES, 'if name in ("", ".", "..") or os.sep in name or "/" in name or '
             "target.parent != base:", 'if name in ("", ".", ".."):', (ATTACHMENTS,)),
    Mutation("filename-overwrite", "no overwrite without --force", FILENAMES,
             'with open(target, "xb") as handle:', 'with open(target, "wb") as handle:',
             (ATTACHMENTS,)),
    # -- the token --------------------------------------------------------------------------
    # (Blanking the Authorization header in --debug alone is not a bug users could
    # see: every debug line is redacted once more on its way out.)
    Mutation("redact-nothing", "the token never in output, logs or errors", CLIENT,
             "if self.token and self.token in text:", "if False:", (ECHO, REDACTION)),
    Mutation("debug-log-unredacted", "--debug never shows the token an answer quotes",
             CLIENT, "self.debug(self.redact(text))", "self.debug(text)", (ECHO,)),
    Mutation("debug-body-unredacted", "--debug redacts a token in a request body", CLIENT,
             "body = self.redact(body)  # before cutting", "body = body  # before cutting",
             (REDACTION, "tests/test_debug_and_tokens.py")),
    # -- messages wait ------------------------------------------------------------------------
    Mutation("wait-sleep-uncapped", "a wait ends at --timeout, not after its next sleep",
             WAITING, "sleep(min(max(backoff.start if gaps else backoff.next(), pending[0]), "
             "remaining))", "sleep(max(backoff.start if gaps else backoff.next(), pending[0]))",
             (WAIT, WAIT_DEADLINE)),
    Mutation("wait-backoff-uncapped", "polls back off to at most 5x the interval", WAITING,
             "self.current = min(self.current * BACKOFF_FACTOR, self.cap)",
             "self.current = self.current * BACKOFF_FACTOR", (WAIT,)),
    Mutation("wait-poll-too-fast", "never more than 15 polls per second", WAITING,
             "self.start = max(float(interval), MIN_INTERVAL)",
             "self.start = float(interval)", (WAIT,)),
]

IGNORE = shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", ".pytest_cache",
                                ".ruff_cache", "*.egg-info", "build", "dist")


@dataclass
class Outcome:
    mutation: Mutation
    status: str        # killed / survived / stale / timeout / error
    seconds: float
    detail: str = ""


def pytest_command(tests: tuple[str, ...], workers: int = 0, *, first: bool = True
                   ) -> list[str]:
    spread = ["-n", str(workers)] if workers > 1 else ["-p", "no:xdist"]
    stop = ["-x"] if first else []
    return [sys.executable, "-m", "pytest", *stop, "-q", "-p", "no:cacheprovider", *spread,
            "--no-header", "-rfE", "-o", "addopts=", *tests]


def child_env(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy)      # the copy's package, not the installed one
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("CI", None)                # the copy has no ../shared next to it
    return env


_running: set[subprocess.Popen] = set()    # test runs in progress (their own sessions)
_stopping = threading.Event()


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_tests(copy: Path, tests: tuple[str, ...], workers: int = 0, *, first: bool = True
              ) -> tuple[int | None, str]:
    # A session of its own: Ctrl-C reaches this script only, which ends the runs.
    proc = subprocess.Popen(pytest_command(tests, workers, first=first), cwd=copy,
                            env=child_env(copy),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    _running.add(proc)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        return None, ""
    except BaseException:
        _kill(proc)
        proc.communicate()
        raise
    finally:
        _running.discard(proc)
    return proc.returncode, out.decode("utf-8", "replace")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_everything() -> None:
    """Ctrl-C or SIGTERM: no new mutation starts, running test runs are killed."""
    _stopping.set()
    for proc in list(_running):
        _kill(proc)


def last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def snippet_problem(mutation: Mutation) -> str | None:
    """Why the mutation no longer applies to the working tree, or None."""
    path = ROOT / mutation.file
    if not path.is_file():
        return f"{mutation.file} does not exist"
    found = path.read_text(encoding="utf-8").count(mutation.original)
    if found != 1:
        return f"snippet found {found} times in {mutation.file}, expected once"
    missing = [t for t in mutation.tests if not (ROOT / t.split("::")[0]).is_file()]
    if missing:
        return f"no test file {', '.join(missing)}"
    return None


def apply(mutation: Mutation, copy: Path, *, count: bool = False) -> Outcome:
    started = time.monotonic()
    problem = snippet_problem(mutation)
    if problem:
        return Outcome(mutation, "stale", 0.0, problem)
    text = (ROOT / mutation.file).read_text(encoding="utf-8")
    target = copy / mutation.file
    target.write_text(text.replace(mutation.original, mutation.replacement), encoding="utf-8")
    try:
        code, output = run_tests(copy, mutation.tests, first=not count)
    finally:
        target.write_text(text, encoding="utf-8")
    elapsed = time.monotonic() - started
    if code is None:
        return Outcome(mutation, "timeout", elapsed, f"tests ran over {TIMEOUT}s")
    if code == 0:
        return Outcome(mutation, "survived", elapsed, last_line(output))
    if code in (1, 2):   # tests failed, or the mutated code broke collection
        detail = _first_failure(output)
        if count:
            failed = re.search(r"(\d+) failed", last_line(output))
            detail = f"{failed.group(1) if failed else '?'} tests failed; first: {detail}"
        return Outcome(mutation, "killed", elapsed, detail)
    return Outcome(mutation, "error", elapsed, f"pytest exit {code}: {last_line(output)}")


def _first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0]
    return last_line(output)


def failing_tests(output: str) -> set[str]:
    """Node ids pytest's short summary lists as failed or in error."""
    found = set()
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            found.add(line.split(" ", 1)[1].split(" - ")[0].strip())
    return found


def uses_one(mutation: Mutation, node: str) -> bool:
    """Whether `node` (a failing test id) is among the tests the mutation runs."""
    return any(node == t or node.startswith((t + "::", t + "[")) or t.startswith(node + "::")
               for t in mutation.tests)


def uses(mutation: Mutation, broken: set[str]) -> bool:
    return any(uses_one(mutation, node) for node in broken)


def make_copy(parent: Path, index: int) -> Path:
    copy = parent / f"copy{index}"
    shutil.copytree(ROOT, copy, ignore=IGNORE, symlinks=True)
    return copy


def select(names: list[str]) -> list[Mutation]:
    if not names:
        return MUTATIONS
    chosen = [m for m in MUTATIONS if any(m.name == n or m.name.startswith(n) for n in names)]
    unknown = [n for n in names if not any(m.name.startswith(n) for m in MUTATIONS)]
    if unknown:
        sys.exit(f"mutate: no mutation named {', '.join(unknown)} (see --list)")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutation names or prefixes (default: all)")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="mutations at once (2)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--count", action="store_true",
                        help="run every named test (no -x) and say how many catch each bug: "
                             "one means a single test defends that promise")
    parser.add_argument("--check", action="store_true",
                        help="only check that every snippet still applies (no tests run)")
    args = parser.parse_args(argv)
    # Started with SIGINT ignored (a background job, nohup), the test runs would
    # inherit that and the tests that interrupt a child would fail: handle it here,
    # so children start with the default. SIGTERM ends the run as Ctrl-C does.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    chosen = select(args.names)
    if args.list:
        for m in chosen:
            print(f"{m.name:28} {m.file:34} {m.why}")
        return 0
    if args.check:
        stale = [(m, problem) for m in chosen if (problem := snippet_problem(m))]
        for m, problem in stale:
            print(f"stale: {m.name}: {problem}")
        print(f"{len(chosen) - len(stale)} of {len(chosen)} mutations apply")
        return 1 if stale else 0
    jobs = max(1, min(args.jobs, len(chosen)))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mailtrap-mutate-") as tmp:
        copies = [make_copy(Path(tmp), i) for i in range(jobs)]
        where = subprocess.run([sys.executable, "-c", "import mailtrap_cli; "
                                "print(mailtrap_cli.__file__)"], cwd=copies[0],
                               env=child_env(copies[0]), capture_output=True, text=True)
        if not where.stdout.startswith(str(copies[0])):
            print(f"mutate: the copy imports mailtrap_cli from {where.stdout.strip()} "
                  f"instead of {copies[0]}{where.stderr}", file=sys.stderr)
            return 2
        # Every test file used, unmutated: a failure here would read as "killed" below,
        # so the mutations whose tests already fail are not run (and reported).
        baseline = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        code, output = run_tests(copies[0], baseline, workers=jobs, first=False)
        broken = failing_tests(output) if code != 0 else set()
        if code != 0 and not broken:
            print(output[-3000:])
            print("mutate: the tests fail without any mutation; fix that first",
                  file=sys.stderr)
            return 2
        print(f"baseline: {last_line(output)}", flush=True)
        for test in sorted(broken):
            print(f"  fails without any mutation: {test}", flush=True)
        usable = [m for m in chosen if not uses(m, broken)]
        unusable = [Outcome(m, "baseline fails", 0.0, "its tests fail without the mutation: "
                            + ", ".join(sorted(t for t in broken if uses_one(m, t))))
                    for m in chosen if uses(m, broken)]
        chosen = usable
        free = list(copies)
        lock = threading.Lock()

        def work(mutation: Mutation) -> Outcome:
            if _stopping.is_set():
                return Outcome(mutation, "not run", 0.0, "interrupted")
            with lock:
                copy = free.pop()
            try:
                outcome = apply(mutation, copy, count=args.count)
            finally:
                with lock:
                    free.append(copy)
            print(f"{outcome.status:8} {outcome.seconds:5.1f}s  {mutation.name}", flush=True)
            return outcome

        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            outcomes = list(pool.map(work, chosen))
        except BaseException:
            stop_everything()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    outcomes = unusable + outcomes
    report(outcomes, time.monotonic() - started, verbose=args.count)
    if unusable:
        return 2
    return 1 if any(o.status != "killed" for o in outcomes) else 0


def report(outcomes: list[Outcome], elapsed: float, verbose: bool = False) -> None:
    print()
    print("| mutation | file | promise | result |")
    print("|---|---|---|---|")
    for o in outcomes:
        print(f"| {o.mutation.name} | {o.mutation.file} | {o.mutation.why} | {o.status} |")
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    print(f"\n{len(outcomes)} mutations in {elapsed:.0f}s: {summary}")
    for o in outcomes:
        if o.status != "killed" or verbose:
            print(f"  {o.status}: {o.mutation.name} ({o.mutation.file}): {o.detail}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nmutate: interrupted; the working tree was never changed", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:    # `mutate.py --list | head`
        sys.stderr.close()
        sys.exit(141)
