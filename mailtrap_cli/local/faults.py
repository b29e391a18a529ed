"""Fault injection, latency and rate limiting for the built-in server.

Tests and benchmarks drive these through `POST /_local/faults` and
`POST /_local/config` (see control.py), e.g. "the next 2 requests to
/api/accounts answer 429 with Retry-After: 0", "drop the connection after
processing the next send", "answer 200 with an HTML page", "307 to itself",
"trickle the answer one byte every 0.5 s", "150 ms per request", "15 requests per
fixed 1 s window without Retry-After", "stats: 3 requests per 2 s".
"""

from __future__ import annotations

import math
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
    trickle_headers: bool = False           # with trickle: the status line and headers too

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return not (self.path and not path.startswith(self.path))


class Shape:
    """One server-side limit: `count` requests per `window` seconds per key, counted
    as a fixed window, a sliding window or a token bucket.

    - fixed: windows of `window` seconds from the server's start; the count
      starts again at each boundary (Retry-After: until the boundary);
    - sliding: at most `count` in any `window` seconds (Retry-After: until the
      oldest one leaves the window);
    - bucket: `burst` tokens, refilled at count/window per second (Retry-After:
      until the next token).

    Retry-After is whole seconds rounded up (at least 1), or left out with
    `retry_after=False`. Refused requests are not counted.
    """

    KINDS = ("fixed", "sliding", "bucket")

    def __init__(self, kind: str, count: int, window: float, *, burst: int | None = None,
                 retry_after: bool = True, clock: Any = time.monotonic) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"shape must be one of {', '.join(self.KINDS)}, not '{kind}'")
        if count < 1 or window <= 0:
            raise ValueError("need at least 1 request per a positive number of seconds")
        self.kind = kind
        self.count = int(count)
        self.window = float(window)
        self.burst = max(1, int(burst)) if burst else max(1, self.count // 5)
        self.retry_after = retry_after
        self._clock = clock
        self._epoch = clock()
        self._state: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: Any) -> Shape | None:
        """'fixed:15/1s', 'sliding:150/10s', 'bucket:15/1s,burst=3,no-retry-after',
        [count, seconds] (sliding), or {shape, count, window, burst, retry_after}."""
        from mailtrap_cli.api.ratelimit import parse_rate

        if spec is None or spec == "" or spec is False:
            return None
        if isinstance(spec, Shape):
            return spec
        if isinstance(spec, (list, tuple)):
            return cls("sliding", int(spec[0]), float(spec[1]))
        if isinstance(spec, dict):
            return cls(spec.get("shape", "sliding"), int(spec["count"]), float(spec["window"]),
                       burst=spec.get("burst"), retry_after=bool(spec.get("retry_after", True)))
        text = str(spec).strip().lower()
        head, *options = [p.strip() for p in text.split(",")]
        kind, sep, rate = head.partition(":")
        if not sep:
            kind, rate = "sliding", head
        count, window = parse_rate(rate)
        burst = None
        retry_after = True
        for option in options:
            if option == "no-retry-after":
                retry_after = False
            elif option.startswith("burst="):
                burst = int(option.removeprefix("burst="))
            elif option:
                raise ValueError(f"unknown rate limit option '{option}' (burst=N, "
                                 "no-retry-after)")
        return cls(kind.strip(), count, window, burst=burst, retry_after=retry_after)

    def describe(self) -> dict[str, Any]:
        return {"shape": self.kind, "count": self.count, "window": self.window,
                "burst": self.burst if self.kind == "bucket" else None,
                "retry_after": self.retry_after}

    def check(self, key: str, now: float | None = None) -> float | None:
        """None when the request is allowed (and counted), else seconds until it would be."""
        now = self._clock() if now is None else now
        with self._lock:
            if self.kind == "fixed":
                index = int((now - self._epoch) // self.window)
                start, used = self._state.get(key, (index, 0))
                if start != index:
                    start, used = index, 0
                if used >= self.count:
                    return max(0.0, self._epoch + (index + 1) * self.window - now)
                self._state[key] = (start, used + 1)
                return None
            if self.kind == "sliding":
                hits = self._state.setdefault(key, deque())
                while hits and now - hits[0] >= self.window:
                    hits.popleft()
                if len(hits) >= self.count:
                    return max(0.0, self.window - (now - hits[0]))
                hits.append(now)
                return None
            per_second = self.count / self.window
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * per_second)
            if tokens < 1:
                self._state[key] = (tokens, now)
                return (1 - tokens) / per_second
            self._state[key] = (tokens - 1, now)
            return None

    def headers(self, wait: float) -> dict[str, str]:
        if not self.retry_after:
            return {}
        return {"Retry-After": str(max(1, math.ceil(wait)))}


@dataclass
class Limits:
    latency: float = 0.0                  # seconds added to every API request
    rate_limit: Shape | None = None       # per token, every request
    # Per family of api/ratelimit.FAMILIES (contacts, stats, ...), per token: off
    # unless a test or `local serve --family-limit` sets one.
    families: dict[str, Shape] = field(default_factory=dict)

    def check_rate(self, token: str, method: str = "GET",
                   path: str = "/") -> tuple[float, dict[str, str]] | None:
        """None when allowed, else (seconds until a slot frees, headers of the 429)."""
        if self.families:
            from mailtrap_cli.api.ratelimit import FAMILIES

            for family in FAMILIES:
                if family.matches(method, path):
                    shape = self.families.get(family.name)
                    if shape is not None:
                        wait = shape.check(token)
                        if wait is not None:
                            return wait, shape.headers(wait)
                    break
        if self.rate_limit is not None:
            wait = self.rate_limit.check(token)
            if wait is not None:
                return wait, self.rate_limit.headers(wait)
        return None

    def describe(self) -> dict[str, Any]:
        return {"latency": self.latency,
                "rate_limit": self.rate_limit.describe() if self.rate_limit else None,
                "family_limits": {k: v.describe() for k, v in sorted(self.families.items())}}


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
