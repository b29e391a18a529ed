"""The rate limit every `send batch` worker shares: the API's pacing, without a head start.

A batch is a long run of requests, so it is paced evenly from its first request
(api/ratelimit.py: a little under count/window, never more than `count` in
any window counted until `window` after each answer). That reaches the floor
whether the server counts in fixed windows of any length, a sliding window or
a token bucket, where a burst of `count` at the start would meet a 1-second
window with a hundred 429s. A 429 slows the pace gently and pauses everyone
for Retry-After (or a short pause that doubles while 429s come in a row).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mailtrap_cli.api.ratelimit import FIRST_PAUSE, Pacer, Slot, parse_rate

__all__ = ["RateLimiter", "Slot", "parse_rate"]


class RateLimiter(Pacer):
    def __init__(self, count: int, window: float, *, first_pause: float = FIRST_PAUSE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(count, window, burst=1, first_pause=first_pause, clock=clock)
