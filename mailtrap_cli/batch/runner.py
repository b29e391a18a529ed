"""Send chunks with bounded concurrency under the shared rate limit; journal each outcome.

Each worker owns its sender (one HTTP session per thread). For every chunk:
take a rate-limit slot, journal `pending`, send, journal the outcome, and only
then count its rows as done. Outcomes:

- the API answered: each message sent (with its ids) or rejected (with errors);
- 429, or a network failure before the request left: nothing was delivered, so
  the chunk is `released` and retried after Retry-After / a backoff, with
  everyone slowed down; after `max_attempts` the run stops (rerun to continue);
- 401/403/404: the run stops, the chunk released;
- 413 (too large, refused before delivery): the chunk is released and its
  halves sent in turn (journaled under the same chunk number); a single
  message still too large is rejected, with its row;
- another 4xx: the API refused the whole chunk: every row rejected;
- a timeout, 5xx or dropped connection after sending: `unknown`, never resent.

Ctrl-C stops handing out chunks; requests in flight finish and are journaled
(a second Ctrl-C stops waiting: those chunks read as unknown on the next run).
"""

from __future__ import annotations

import queue
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mailtrap_cli.api.errors import (
    AuthError,
    MailtrapError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    UnknownOutcomeError,
)
from mailtrap_cli.batch.journal import Journal, describe, runs
from mailtrap_cli.batch.limiter import RateLimiter, Slot

LIST_CAP = 100   # rejected rows / unknown chunks listed in the summary


@dataclass
class Chunk:
    index: int
    rows: list[int]
    requests: list[dict[str, Any]]


class Sender(Protocol):
    def send(self, payload: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


class Events:
    """What the runner reports as it goes; called from worker threads."""

    def progress(self, rows: int) -> None: ...

    def skipped(self, rows: int) -> None:
        """Rows done by an earlier run (no request)."""
        self.progress(rows)

    def invalid(self, row: int, error: str) -> None: ...

    def rejected(self, row: int, errors: list[str]) -> None: ...

    def unknown(self, chunk: Chunk, reason: str) -> None: ...

    def throttled(self, delay: float, reason: str) -> None: ...


@dataclass
class Totals:
    sent: int = 0
    rejected: int = 0            # refused by the API
    invalid: int = 0             # never sent: unreadable or invalid rows
    unknown: int = 0
    skipped_sent: int = 0
    skipped_rejected: int = 0
    skipped_unknown: int = 0
    chunks: int = 0
    requests: int = 0            # 429 retries included
    throttled: int = 0
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    invalid_rows: list[dict[str, Any]] = field(default_factory=list)
    unknown_chunks: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False
    abandoned: int = 0           # chunks still in flight when a second Ctrl-C came
    fatal: MailtrapError | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def skip(self, state: str) -> None:
        with self._lock:
            name = f"skipped_{state}"
            setattr(self, name, getattr(self, name) + 1)

    def invalid_row(self, row: int, error: str) -> None:
        with self._lock:
            self.invalid += 1
            if len(self.invalid_rows) < LIST_CAP:
                self.invalid_rows.append({"row": row, "errors": [error]})

    def answered(self, sent: int, rejected: list[tuple[int, list[str]]]) -> None:
        with self._lock:
            self.chunks += 1
            self.sent += sent
            self.rejected += len(rejected)
            for row, errors in rejected:
                if len(self.rejected_rows) >= LIST_CAP:
                    break
                self.rejected_rows.append({"row": row, "errors": errors, "sent": True})

    def lost(self, chunk: Chunk, reason: str) -> None:
        with self._lock:
            self.chunks += 1
            self.unknown += len(chunk.rows)
            if len(self.unknown_chunks) < LIST_CAP:
                self.unknown_chunks.append({"chunk": chunk.index,
                                            "rows": describe(runs(chunk.rows)),
                                            "count": len(chunk.rows), "reason": reason})

    def bump(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)


def split_answer(chunk: Chunk, answer: Any) -> tuple[list[tuple[int, list[str]]],
                                                     list[tuple[int, list[str]]]]:
    """The batch answer -> ([(row, message ids)], [(row, errors)]), in request order.
    ValueError when it cannot be matched to the rows (the outcome is then unknown)."""
    if not isinstance(answer, dict):
        raise ValueError("the answer is not a JSON object")
    results = answer.get("responses")
    if isinstance(results, list) and len(results) == len(chunk.rows):
        sent: list[tuple[int, list[str]]] = []
        rejected: list[tuple[int, list[str]]] = []
        for row, result in zip(chunk.rows, results, strict=True):
            if isinstance(result, dict) and result.get("success"):
                sent.append((row, list(result.get("message_ids") or [])))
            else:
                errors = result.get("errors") if isinstance(result, dict) else None
                rejected.append((row, _strings(errors) or ["rejected (no reason given)"]))
        return sent, rejected
    if answer.get("success") is False and not results:
        errors = _strings(answer.get("errors")) or ["rejected (no reason given)"]
        return [], [(row, errors) for row in chunk.rows]
    count = len(results) if isinstance(results, list) else 0
    raise ValueError(f"the answer has {count} results for {len(chunk.rows)} messages")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


class Runner:
    def __init__(self, *, senders: Callable[[], Sender], journal: Journal,
                 limiter: RateLimiter, base: dict[str, Any] | None = None,
                 concurrency: int = 8, events: Events | None = None,
                 totals: Totals | None = None, max_attempts: int = 8, backoff: float = 0.5,
                 max_sleep: float = 30.0) -> None:
        self.senders = senders
        self.journal = journal
        self.limiter = limiter
        self.base = base or None
        self.concurrency = max(1, concurrency)
        self.events = events or Events()
        self.totals = totals or Totals()
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_sleep = max_sleep
        # A short backoff (MAILTRAP_RETRY_BACKOFF in tests and CI) shortens the pause
        # after a 429 without Retry-After too.
        limiter.first_pause = min(limiter.first_pause, backoff)
        self.stop = threading.Event()
        self._queue: queue.Queue[Chunk | None] = queue.Queue(maxsize=self.concurrency)
        self._producing = True
        self._in_flight = 0
        self._lock = threading.Lock()

    # -- the caller's thread ------------------------------------------------
    def run(self, chunks: Iterable[Chunk]) -> Totals:
        """Send every chunk; returns the totals (interrupted / fatal set when it stopped)."""
        workers = [threading.Thread(target=self._work, name=f"send-batch-{i}", daemon=True)
                   for i in range(self.concurrency)]
        for worker in workers:
            worker.start()
        try:
            for chunk in chunks:
                if not self._hand_over(chunk):
                    break
            else:
                for _ in workers:   # one "no more" for each worker: they end at once
                    self._hand_over(None)
        except KeyboardInterrupt:
            self.totals.interrupted = True
            self.stop.set()
        except BaseException:
            self.stop.set()
            self._producing = False
            self._wait(workers)
            raise
        self._producing = False
        self._wait(workers)
        return self.totals

    def _hand_over(self, chunk: Chunk | None) -> bool:
        while not self.stop.is_set():
            try:
                self._queue.put(chunk, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _wait(self, workers: list[threading.Thread]) -> None:
        for worker in workers:
            while worker.is_alive():
                try:
                    worker.join(0.2)
                except KeyboardInterrupt:
                    if self.totals.interrupted:   # the second Ctrl-C: stop waiting
                        with self._lock:
                            self.totals.abandoned = self._in_flight
                        return
                    self.totals.interrupted = True
                    self.stop.set()

    # -- worker threads -------------------------------------------------------
    def _work(self) -> None:
        sender = None
        try:
            while not self.stop.is_set():
                try:
                    chunk = self._queue.get(timeout=0.1)
                except queue.Empty:
                    if not self._producing:
                        return
                    continue
                if chunk is None or self.stop.is_set():
                    return
                if sender is None:
                    sender = self.senders()
                with self._lock:
                    self._in_flight += 1
                try:
                    self._send(sender, chunk)
                finally:
                    with self._lock:
                        self._in_flight -= 1
        except BaseException as exc:  # noqa: BLE001 - a worker must never die silently
            self._halt(exc if isinstance(exc, MailtrapError) else MailtrapError(
                f"unexpected {type(exc).__name__} while sending: {exc}"))
        finally:
            if sender is not None:
                sender.close()

    def _halt(self, error: MailtrapError) -> None:
        with self._lock:
            if self.totals.fatal is None:
                self.totals.fatal = error
        self.stop.set()

    def _send(self, sender: Sender, chunk: Chunk) -> None:
        payload: dict[str, Any] = {"base": self.base} if self.base else {}
        payload["requests"] = chunk.requests
        attempt = 0
        while True:
            slot = self.limiter.acquire(self.stop)
            if slot is None:
                return  # stopped before sending: the chunk stays unsent
            self.journal.pending(chunk.index, chunk.rows)
            self.totals.bump("requests")
            try:
                answer, error = sender.send(payload), None
            except Exception as exc:  # noqa: BLE001 - sorted out below
                answer, error = None, exc
            finally:
                self.limiter.release(slot)
            if error is None:
                self.limiter.success()
                try:
                    sent, rejected = split_answer(chunk, answer)
                except ValueError as exc:
                    self._unknown(chunk, str(exc))
                    return
                self._answered(chunk, sent, rejected)
                return
            if isinstance(error, (RateLimitedError, NetworkError)):
                # Refused, or never sent: nothing was delivered; try again later.
                attempt += 1
                self.journal.released(chunk.index, error.message)
                if self._retry_later(error, attempt, slot):
                    continue
                return
            if isinstance(error, (AuthError, NotFoundError)):
                self.journal.released(chunk.index, error.message)
                self._halt(error)
            elif isinstance(error, MailtrapError) and error.status == 413:
                # Too large, refused before anything was delivered: send the halves.
                self.journal.released(chunk.index, error.message)
                if len(chunk.rows) > 1:
                    half = len(chunk.rows) // 2
                    for rows, items in ((chunk.rows[:half], chunk.requests[:half]),
                                        (chunk.rows[half:], chunk.requests[half:])):
                        if not self.stop.is_set():
                            self._send(sender, Chunk(chunk.index, rows, items))
                    return
                self._answered(chunk, [], [(chunk.rows[0], [
                    f"too large to send even alone: {error.message}"])])
            elif isinstance(error, UnknownOutcomeError):
                self._unknown(chunk, error.message)
            elif (isinstance(error, MailtrapError) and error.status is not None
                  and 400 <= error.status < 500):
                # The API refused the whole request: every row rejected.
                self._answered(chunk, [], [(row, [error.message]) for row in chunk.rows])
            elif isinstance(error, MailtrapError):
                self._unknown(chunk, error.message)
            else:  # sent, then something unexpected: it may have been delivered
                self._unknown(chunk, f"unexpected {type(error).__name__}: {error}")
            return

    def _retry_later(self, exc: MailtrapError, attempt: int, slot: Slot) -> bool:
        """Slow everyone down; False (and the run stops) when retrying is over."""
        self.totals.bump("throttled")
        hinted = getattr(exc, "retry_after", None)
        limited = isinstance(exc, RateLimitedError)
        what = "the API answered 429 (rate limited)" if limited else exc.message
        hint = "rerun the same command to send the rest: the journal skips what was sent"
        if hinted is not None and hinted > self.max_sleep:
            self._halt(type(exc)(f"{what} and asked to wait {hinted:.0f}s", hint=hint,
                                 status=exc.status))
            return False
        if attempt >= self.max_attempts:
            self._halt(type(exc)(f"{what}; gave up after {attempt} attempts in a row",
                                 hint=hint, status=exc.status))
            return False
        if limited:
            # The limiter knows how many 429s came in a row: it picks the pause.
            delay = self.limiter.throttle(hinted, slot)
            reason = "HTTP 429"
        else:
            cap = min(self.max_sleep, self.backoff * (2 ** (attempt - 1)))
            delay = random.uniform(cap / 2, cap)
            self.limiter.pause(delay)
            reason = "network"
        self.events.throttled(delay, reason)
        return True

    def _answered(self, chunk: Chunk, sent: list[tuple[int, list[str]]],
                  rejected: list[tuple[int, list[str]]]) -> None:
        self.journal.done(chunk.index, sent, rejected)
        self.totals.answered(len(sent), rejected)
        for row, errors in rejected:
            self.events.rejected(row, errors)
        self.events.progress(len(chunk.rows))

    def _unknown(self, chunk: Chunk, reason: str) -> None:
        self.journal.unknown(chunk.index, reason)
        self.totals.lost(chunk, reason)
        self.events.unknown(chunk, reason)
        self.events.progress(len(chunk.rows))
