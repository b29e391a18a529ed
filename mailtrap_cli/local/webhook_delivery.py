"""Delivering webhook events from the built-in server: off the request thread,
batched, signed, retried with backoff.

`Dispatcher.enqueue(webhook, events)` is called by request handlers after their
transaction committed; it only appends to a queue. One worker thread (started
on first use) POSTs each webhook's events in its payload format, up to 500 per
request, signed with its secret, and retries a failed request (any status but
2xx, or no answer) after `backoff * 2**n` seconds, `attempts` times in all.
Every attempt is logged (`/_local/webhooks/deliveries`); `flush(timeout)`
waits until nothing is queued or in flight, so tests never sleep.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from mailtrap_cli import __version__
from mailtrap_cli.webhook_events import (
    CONTENT_TYPES,
    MAX_EVENTS_PER_REQUEST,
    SIGNATURE_HEADER,
    encode,
    sign,
)

DEFAULT_ATTEMPTS = 6
DEFAULT_BACKOFF = 1.0      # seconds; doubles each retry: 1, 2, 4, 8, 16
REQUEST_TIMEOUT = 10.0
IDLE_EXIT = 2.0            # seconds without work before the worker thread ends


@dataclass
class Job:
    webhook_id: int
    url: str
    secret: str
    payload_format: str
    events: list[dict[str, Any]]
    attempt: int = 0
    due: float = 0.0


@dataclass
class Dispatcher:
    attempts: int = DEFAULT_ATTEMPTS
    backoff: float = DEFAULT_BACKOFF
    timeout: float = REQUEST_TIMEOUT
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=10_000))
    _jobs: list[Job] = field(default_factory=list)
    _busy: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None
    _closed: bool = False

    def enqueue(self, webhook: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """Queue `events` for `webhook` (a row with id, url, signing_secret,
        payload_format), cut into requests of at most 500."""
        if not events:
            return
        with self._cond:
            for start in range(0, len(events), MAX_EVENTS_PER_REQUEST):
                self._jobs.append(Job(int(webhook["id"]), webhook["url"],
                                      webhook["signing_secret"], webhook["payload_format"],
                                      events[start:start + MAX_EVENTS_PER_REQUEST]))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-delivery",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._jobs) + self._busy

    def flush(self, timeout: float = 30.0) -> int:
        """Wait until every queued request was delivered or gave up; the number
        of requests still pending when `timeout` ran out (0 when idle)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._jobs or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return len(self._jobs) + self._busy

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- the worker ---------------------------------------------------------------
    def _next(self) -> Job | None:
        """The next due job; None when closed or idle for IDLE_EXIT seconds (the
        thread ends, and the next enqueue starts another)."""
        with self._cond:
            idle_since = time.monotonic()
            while not self._closed:
                now = time.monotonic()
                due = [j for j in self._jobs if j.due <= now]
                if due:
                    job = min(due, key=lambda j: j.due)
                    self._jobs.remove(job)
                    self._busy += 1
                    return job
                if not self._jobs and now - idle_since >= IDLE_EXIT:
                    break
                wait = min((j.due for j in self._jobs), default=idle_since + IDLE_EXIT) - now
                self._cond.wait(max(0.005, wait))
            self._thread = None
            return None

    def _run(self) -> None:
        import requests

        session = requests.Session()
        while True:
            job = self._next()
            if job is None:
                return
            try:
                self._deliver(session, job)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _deliver(self, session: Any, job: Job) -> None:
        import requests

        body = encode(job.events, job.payload_format)
        headers = {"Content-Type": CONTENT_TYPES.get(job.payload_format, "application/json"),
                   SIGNATURE_HEADER: sign(job.secret, body),
                   "User-Agent": f"mailtrap-local/{__version__}"}
        job.attempt += 1
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            response = session.post(job.url, data=body, headers=headers, timeout=self.timeout,
                                    allow_redirects=False)
            status = response.status_code
            response.close()
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        retry = not ok and job.attempt < self.attempts
        self.log.append({
            "webhook_id": job.webhook_id, "url": job.url, "attempt": job.attempt,
            "status": status, "error": error, "ok": ok,
            "events": len(job.events), "event_ids": [e.get("event_id") for e in job.events],
            "bytes": len(body), "seconds": round(time.monotonic() - started, 4),
            "gave_up": not ok and not retry, "at": time.time()})
        if retry:
            job.due = time.monotonic() + self.backoff * 2 ** (job.attempt - 1)
            with self._cond:
                self._jobs.append(job)
