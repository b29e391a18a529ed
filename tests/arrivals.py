"""Requests counted as they reach the built-in server (before any latency or fault),
with their headers and arrival time: what the CLI really sent, and when."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Arrival:
    method: str
    path: str
    headers: dict[str, str]
    at: float          # time.monotonic() on arrival


class Arrivals(list):
    """Filled by the `arrivals` fixture (conftest.py)."""

    def of(self, method: str, path: str) -> list[Arrival]:
        return [a for a in self if a.method == method and a.path == path]

    def gaps(self, method: str, path: str) -> list[float]:
        times = [a.at for a in self.of(method, path)]
        return [b - a for a, b in zip(times, times[1:], strict=False)]


def watch(app) -> Arrivals:
    """Record every API request `app` receives from now on."""
    import threading

    seen = Arrivals()
    lock = threading.Lock()
    original = app.handle

    def handle(req):
        if not req.path.startswith("/_local/"):
            with lock:
                seen.append(Arrival(req.method, req.path, dict(req.headers), time.monotonic()))
        return original(req)

    app.handle = handle   # the HTTP handler calls app.handle(request)
    return seen
