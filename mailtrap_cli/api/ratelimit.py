"""Client-side pacing under the API's rate limits, one pacer per limit.

The API documents its limits as counts per window (150 requests per 10 s per
token; per account contacts 200/min, stats 10/min, suppressions 10/min,
email-log list 60/min, email-log get 1000/min) but not how a window is
counted: fixed windows of some length, a sliding window or a token bucket
all fit the sentence. A `Pacer` works under every one of those shapes:

- requests start evenly spaced at a little under count/window (GCRA: each one
  books the next instant), so no window of any length sees a burst; a pacer
  may allow a small head start (`burst`) for short interactive loops;
- no more than `count` requests in any `window`, each counted from its start
  until `window` seconds after its answer (the server counts it somewhere in
  between, wherever network jitter puts that point);
- a 429 is a signal about the shape: the limit is tighter or burstier than we
  assumed. The pace drops gently (x0.9, once for all the requests in flight
  when it happened), the head start goes, and nobody starts before
  Retry-After (or a short pause that doubles while 429s come in a row).
  Successes win the pace back only up to just under the rate that met the
  429, and that ceiling rises 1% per window without a 429.

`Pacing` holds one pacer per limit and paces each request by its family
(host and path) and by the token. Limits can be overridden with
MAILTRAP_RATE_LIMITS, e.g. `stats=3/2s,token=20/1s` (tests use small
windows; `family=off` turns one off).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

POLL = 0.2            # longest sleep between checks of `stop`
MARGIN = 0.02         # pace this far under the documented rate
DECREASE = 0.9        # pace kept after a 429
CEILING = 0.97        # the pace may come back to this share of the rate that met a 429
FIRST_PAUSE = 0.25    # pause after a 429 without Retry-After; doubles on each in a row
MAX_PAUSE = 30.0


@dataclass
class Slot:
    started: float
    ended: float | None = None    # None while the request is in flight


class Pacer:
    """One limit: at most `count` requests per `window` seconds, paced evenly."""

    def __init__(self, count: int, window: float, *, burst: int = 1, margin: float = MARGIN,
                 first_pause: float = FIRST_PAUSE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if count < 1 or window <= 0:
            raise ValueError("count must be >= 1 and window > 0")
        self.count = count
        self.window = window
        self.top = count / window * (1 - margin)     # requests per second at best
        self.rate = self.top
        self.ceiling = self.top
        self.burst = max(1, min(burst, count))
        self.first_pause = first_pause
        self.strikes = 0                  # 429 events since the last success
        self._next = float("-inf")        # when the next request is due (GCRA)
        self._slots: list[Slot] = []
        self._paused_until = float("-inf")
        self._last_cut = float("-inf")
        self._last_raise = float("-inf")
        self._cond = threading.Condition()
        self._clock = clock

    # -- taking and giving back a turn ---------------------------------------
    def acquire(self, stop: threading.Event | None = None,
                deadline: float | None = None) -> Slot | None:
        """Wait for a turn and take it; None when `stop` was set meanwhile. At
        `deadline` (a clock instant) the turn is taken whatever the pace says.
        Every slot taken must be given back with `release` when the answer is in."""
        with self._cond:
            while True:
                if stop is not None and stop.is_set():
                    return None
                wait = self.wait_needed()
                now = self._clock()
                if wait == 0 or (deadline is not None and now >= deadline):
                    return self._take(now)
                limit = POLL if wait is None else min(wait, POLL)
                if deadline is not None:
                    limit = min(limit, max(deadline - now, 1e-3))
                self._cond.wait(limit)

    def _take(self, now: float) -> Slot:
        slot = Slot(now)
        self._slots.append(slot)
        self._next = max(self._next, now) + 1 / self.rate
        return slot

    def release(self, slot: Slot) -> None:
        with self._cond:
            slot.ended = self._clock()
            self._cond.notify_all()

    def wait_needed(self) -> float | None:
        """0 when a request may start now, else seconds to wait (None: until an
        answer comes back)."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        early = self._next - (self.burst - 1) / self.rate - now
        cutoff = now - self.window
        self._slots = [s for s in self._slots if s.ended is None or s.ended > cutoff]
        excess = len(self._slots) - self.count + 1
        if excess > 0:
            ends = sorted(s.ended for s in self._slots if s.ended is not None)
            if len(ends) < excess:
                return None
            return max(ends[excess - 1] + self.window - now, early, 1e-3)
        return max(early, 0.0)

    # -- what the answers say ----------------------------------------------
    def throttle(self, retry_after: float | None, slot: Slot | None = None) -> float:
        """A 429 for the request in `slot`: slow down (once for every request in
        flight at the last cut) and let nobody start for Retry-After seconds, or
        for a short pause that doubles with each 429 event in a row. Returns the
        pause."""
        with self._cond:
            now = self._clock()
            if slot is None or slot.started > self._last_cut:
                self.ceiling = min(self.ceiling, self.rate * CEILING)
                self.rate = max(self.rate * DECREASE, 1 / MAX_PAUSE)
                self.burst = 1
                self.strikes += 1
                self._last_cut = now
            if retry_after is None:
                cap = min(MAX_PAUSE, self.first_pause * 2 ** (self.strikes - 1))
                delay = random.uniform(cap / 2, cap)
            else:
                delay = retry_after
            self._paused_until = max(self._paused_until, now + delay)
            return delay

    def pause(self, delay: float) -> None:
        """Nobody starts for `delay` seconds (the network failed before sending)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + delay)

    def success(self) -> None:
        with self._cond:
            self.strikes = 0
            now = self._clock()
            if (self.ceiling < self.top and now - self._last_cut >= self.window
                    and now - self._last_raise >= self.window):
                self.ceiling = min(self.top, self.ceiling * 1.01)
                self._last_raise = now
            if self.rate < self.ceiling:
                self.rate = min(self.ceiling, self.rate + self.top * 0.01)
                self._cond.notify_all()

    def answered(self, status: int | None, retry_after: float | None,
                 slot: Slot | None = None) -> None:
        """What the client tells its pacers about an answer (None: no answer)."""
        if status == 429:
            self.throttle(retry_after, slot)
        elif status is not None and status < 500:
            self.success()


def parse_rate(text: str) -> tuple[int, float]:
    """'150/10s', '150/10', '200/1m' or '15' (per second) -> (count, window seconds)."""
    value = text.strip().lower()
    count_text, sep, window_text = value.partition("/")
    window_text = window_text.strip() if sep else "1"
    scale = 1.0
    if window_text.endswith("min"):
        window_text, scale = window_text[:-3], 60.0
    elif window_text.endswith("m"):
        window_text, scale = window_text[:-1], 60.0
    elif window_text.endswith("s"):
        window_text = window_text[:-1]
    try:
        count = int(count_text)
        window = float(window_text or "1") * scale
    except ValueError:
        raise ValueError(f"'{text}' is not a rate like 150/10s") from None
    if count < 1 or window <= 0:
        raise ValueError(f"'{text}': need at least 1 request per a positive number of seconds")
    return count, window


# -- every limit of the API -------------------------------------------------
@dataclass(frozen=True)
class Family:
    name: str
    pattern: str          # regex on the path (account-scoped or not)
    count: int
    window: float
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method == method)
                and re.match(self.pattern, path) is not None)


_ACCOUNT = r"^/api/(?:accounts/[^/]+/)?"
# Per account. The first family that matches a request paces it.
FAMILIES = (
    Family("contacts", _ACCOUNT + r"contacts(?:/|$)", 200, 60.0),
    Family("stats", _ACCOUNT + r"stats(?:/|$)", 10, 60.0),
    Family("suppressions", _ACCOUNT + r"suppressions(?:/|$)", 10, 60.0),
    Family("email_logs_get", _ACCOUNT + r"email_logs/[^/]+/?$", 1000, 60.0, "GET"),
    Family("email_logs_list", _ACCOUNT + r"email_logs/?$", 60, 60.0, "GET"),
)
TOKEN = Family("token", r"", 150, 10.0)    # every request of the token, on every host
# Requests a short loop sends back to back before pacing starts (the per-token
# limit allows 150 in 10 s; the families allow their whole count).
TOKEN_BURST = 10


def overrides(text: str | None) -> dict[str, tuple[int, float] | None]:
    """MAILTRAP_RATE_LIMITS 'stats=3/2s,token=off' -> {name: (count, window) | None}."""
    found: dict[str, tuple[int, float] | None] = {}
    for part in (text or "").split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        value = value.strip()
        if value.lower() in ("off", "none", "0"):
            found[name.strip()] = None
            continue
        try:
            found[name.strip()] = parse_rate(value)
        except ValueError:
            continue
    return found


class Pacing:
    """The pacers of one client: the token's, and one per family it has called."""

    def __init__(self, families: tuple[Family, ...] = FAMILIES, token: Family | None = TOKEN,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.families = families
        self.token = token
        self._clock = clock
        self._pacers: dict[tuple[str, str], Pacer] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> Pacing:
        changes = overrides(os.environ.get("MAILTRAP_RATE_LIMITS"))
        if not changes:
            return cls()

        def changed(family: Family) -> Family | None:
            if family.name not in changes:
                return family
            limit = changes[family.name]
            if limit is None:
                return None
            return Family(family.name, family.pattern, limit[0], limit[1], family.method)

        families = tuple(f for f in (changed(f) for f in FAMILIES) if f is not None)
        return cls(families, changed(TOKEN))

    def pacers(self, method: str, host: str, path: str) -> list[Pacer]:
        """The pacers a request goes through: its family's (keyed by host), then the token's."""
        found: list[tuple[tuple[str, str], Family, int]] = []
        for family in self.families:
            if family.matches(method, path):
                found.append(((host, family.name), family, family.count))
                break
        if self.token is not None:
            found.append((("*", "token"), self.token, TOKEN_BURST))
        result = []
        with self._lock:
            for key, family, burst in found:
                pacer = self._pacers.get(key)
                if pacer is None:
                    pacer = self._pacers[key] = Pacer(family.count, family.window, burst=burst,
                                                      clock=self._clock)
                result.append(pacer)
        return result

    @contextmanager
    def turn(self, method: str, host: str, path: str,
             deadline: float | None = None) -> Iterator[Turn]:
        """Wait for the request's turn; `answer` the outcome before leaving the block."""
        taken = [(p, p.acquire(deadline=deadline)) for p in self.pacers(method, host, path)]
        turn = Turn()
        try:
            yield turn
        finally:
            for pacer, slot in taken:
                if slot is not None:
                    pacer.release(slot)
                    pacer.answered(turn.status, turn.retry_after, slot)


@dataclass
class Turn:
    status: int | None = None
    retry_after: float | None = None

    def answer(self, status: int, retry_after: float | None) -> None:
        self.status = status
        self.retry_after = retry_after
