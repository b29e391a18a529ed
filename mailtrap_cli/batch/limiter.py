"""A client-side rate limit shared by every worker: a sliding window of request starts.

At most `count` requests start in any `window` seconds (the API allows 150 per
10 s per token). A 429 halves the pace and pauses everyone for Retry-After;
each success then wins one request per window back (additive increase,
multiplicative decrease), so a shared token settles under its limit. The
requests in flight when the pace was cut are one event: their 429s do not
cut it again.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# The server counts a request when it arrives, a little after we count it; a
# small margin keeps a full window on our side from being one too many on its.
MARGIN = 0.25


class RateLimiter:
    def __init__(self, count: int, window: float, *, margin: float = MARGIN,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if count < 1 or window <= 0:
            raise ValueError("count must be >= 1 and window > 0")
        self.limit = count
        self.allowed = float(count)
        self.window = window + margin
        self._starts: deque[float] = deque()
        self._paused_until = 0.0
        self._last_cut = float("-inf")
        self._cond = threading.Condition()
        self._clock = clock

    def acquire(self, stop: threading.Event | None = None) -> float | None:
        """Wait for a slot and take it: its start time, or None when `stop` was set."""
        with self._cond:
            while True:
                if stop is not None and stop.is_set():
                    return None
                wait = self._wait_needed()
                if wait <= 0:
                    started = self._clock()
                    self._starts.append(started)
                    return started
                # Wake at least 5 times a second to notice `stop`.
                self._cond.wait(min(wait, 0.2))

    def _wait_needed(self) -> float:
        now = self._clock()
        cutoff = now - self.window
        starts = self._starts
        while starts and starts[0] <= cutoff:
            starts.popleft()
        if now < self._paused_until:
            return self._paused_until - now
        allowed = max(1, int(self.allowed))
        if len(starts) < allowed:
            return 0.0
        return starts[len(starts) - allowed] + self.window - now

    def throttle(self, delay: float, started: float | None = None) -> None:
        """A 429 for the request that started at `started`: halve the pace (once for
        all requests already in flight at the last cut) and let nobody start for
        `delay` seconds."""
        with self._cond:
            now = self._clock()
            if started is None or started > self._last_cut:
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
