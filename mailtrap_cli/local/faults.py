"""Fault injection, latency and rate limiting for the built-in server.

Tests and benchmarks drive these through `POST /_local/faults` and
`POST /_local/config` (see control.py), e.g. "the next 2 requests to
/api/accounts answer 429 with Retry-After: 0", "drop the connection after
processing the next send", "answer 200 with an HTML page", "307 to itself",
"trickle the answer one byte every 0.5 s", "150 ms per request", "150 requests per 10 s".
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    status: int | None = None          # answer with this status (429, 503, ...)
    count: int = 1                     # how many matching requests it affects
    retry_after: str | None = None     # Retry-After header value
    path: str | None = None            # prefix the request path must start with
    method: str | None = None
    drop: bool = False                 # close the connection without answering
    after: bool = False                # with drop/status: process the request first
    body: Any = None
    headers: dict[str, str] | None = None   # extra answer headers (Location, ...)
    content_type: str | None = None         # with a str body: answer it as this type
    trickle: float = 0.0                    # seconds between the body's bytes (HTTP only)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not (self.path and not path.startswith(self.path))


@dataclass
class Limits:
    latency: float = 0.0                         # seconds added to every API request
    rate_limit: tuple[int, float] | None = None  # (requests, per seconds) per token
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check_rate(self, token: str) -> float | None:
        """None when allowed, else seconds until a slot frees."""
        if not self.rate_limit:
            return None
        count, window = self.rate_limit
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(token, deque())
            while hits and now - hits[0] >= window:
                hits.popleft()
            if len(hits) >= count:
                return max(0.0, window - (now - hits[0]))
            hits.append(now)
            return None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def take(self, method: str, path: str, alias: str | None = None) -> Fault | None:
        """The next fault for this request; `alias` is the current path an
        account-scoped one maps to (a fault queued for either applies)."""
        with self._lock:
            for fault in self._queue:
                if fault.matches(method, path) or (alias and fault.matches(method, alias)):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._queue.remove(fault)
                    return fault
        return None

    def pending(self) -> int:
        with self._lock:
            return sum(f.count for f in self._queue)
