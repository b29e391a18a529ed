"""A client-side rate limit shared by every worker: a sliding window over requests.

At most `count` requests in any `window` seconds (the API allows 150 per 10 s
per token). The server counts a request somewhere between the moment we send
it and the moment its answer is back, and network jitter moves that point, so
a request holds its slot until `window` seconds after its answer arrived: a new
request then starts a full window after the server could have counted the
one it replaces, whatever the jitter, without a guessed safety margin.

A 429 halves the pace and pauses everyone for Retry-After; each success then
wins one request per window back (additive increase, multiplicative decrease),
so a shared token settles under its limit. The requests in flight when the
pace was cut are one event: their 429s do not cut it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

POLL = 0.2   # longest sleep between checks of `stop`


@dataclass
class Slot:
    started: float
    ended: float | None = None    # None while the request is in flight


class RateLimiter:
    def __init__(self, count: int, window: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if count < 1 or window <= 0:
            raise ValueError("count must be >= 1 and window > 0")
        self.limit = count
        self.allowed = float(count)
        self.window = window
        self._slots: list[Slot] = []
        self._paused_until = 0.0
        self._last_cut = float("-inf")
        self._cond = threading.Condition()
        self._clock = clock

    def acquire(self, stop: threading.Event | None = None) -> Slot | None:
        """Wait for a slot and take it; None when `stop` was set meanwhile.
        Every slot taken must be given back with `release` when the answer is in."""
        with self._cond:
            while True:
                if stop is not None and stop.is_set():
                    return None
                wait = self._wait_needed()
                if wait == 0:
                    slot = Slot(self._clock())
                    self._slots.append(slot)
                    return slot
                self._cond.wait(POLL if wait is None else min(wait, POLL))

    def release(self, slot: Slot) -> None:
        with self._cond:
            slot.ended = self._clock()
            self._cond.notify_all()

    def _wait_needed(self) -> float | None:
        """0 when a request may start now, else seconds to wait (None: until an
        answer comes back)."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        cutoff = now - self.window
        self._slots = [s for s in self._slots if s.ended is None or s.ended > cutoff]
        excess = len(self._slots) - max(1, int(self.allowed)) + 1
        if excess <= 0:
            return 0
        ends = sorted(s.ended for s in self._slots if s.ended is not None)
        if len(ends) < excess:
            return None
        return max(ends[excess - 1] + self.window - now, 1e-3)

    def throttle(self, delay: float, slot: Slot | None = None) -> None:
        """A 429 for the request in `slot`: halve the pace (once for all requests
        already in flight at the last cut) and let nobody start for `delay` s."""
        with self._cond:
            now = self._clock()
            if slot is None or slot.started > self._last_cut:
                self.allowed = max(1.0, self.allowed / 2)
                self._last_cut = now
            self._paused_until = max(self._paused_until, now + delay)

    def pause(self, delay: float) -> None:
        """Nobody starts for `delay` seconds (the network failed before sending)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + delay)

    def success(self) -> None:
        if self.allowed < self.limit:
            with self._cond:
                self.allowed = min(float(self.limit), self.allowed + 1)
                self._cond.notify_all()


def parse_rate(text: str) -> tuple[int, float]:
    """'150/10s', '150/10' or '15' (per second) -> (count, window seconds)."""
    value = text.strip().lower()
    count_text, sep, window_text = value.partition("/")
    window_text = window_text.strip().removesuffix("s") if sep else "1"
    try:
        count = int(count_text)
        window = float(window_text or "1")
    except ValueError:
        raise ValueError(f"'{text}' is not a rate like 150/10s") from None
    if count < 1 or window <= 0:
        raise ValueError(f"'{text}': need at least 1 request per a positive number of seconds")
    return count, window
