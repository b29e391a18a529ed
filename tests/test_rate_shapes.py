"""The pacing against every shape a server's limiter may have, in simulated time.

The built-in server's limiter shapes (local/faults.py `Shape`) and the client's
pacer (api/ratelimit.py) both take a clock, so a whole `send batch` of 200
requests (100,000 rows in chunks of 500) runs here in milliseconds, with
150 ms latency and seeded network jitter, and cannot be flaky on a loaded
machine. The real thing, over HTTP, is `bench/bulk.py --shape ...`.
"""

from __future__ import annotations

import heapq
import random

import pytest

from mailtrap_cli.api.ratelimit import Pacer, Pacing, overrides, parse_rate
from mailtrap_cli.local.faults import Shape


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


SHAPES = ["fixed:150/10s", "fixed:30/2s", "fixed:15/1s", "sliding:150/10s",
          "bucket:15/1s,burst=3"]


def simulate(shape_spec: str, *, requests: int = 200, latency: float = 0.15,
             jitter: float = 0.03, concurrency: int = 8, seed: int = 1,
             client: tuple[int, float] = (150, 10.0)) -> tuple[float, int]:
    """(seconds until the last answer, 429 answers) for `requests` requests that
    must all succeed, sent by a paced client against the shape."""
    clock = Clock()
    shape = Shape.parse(shape_spec)
    shape._clock = clock
    shape._epoch = clock.now - 0.37          # the run starts mid-window
    pacer = Pacer(*client, clock=clock)
    rng = random.Random(seed)
    start = clock.now
    pending, answers, free, refused, done = requests, [], concurrency, 0, 0
    sequence = 0
    while done < requests:
        while free and pending:
            wait = pacer.wait_needed()
            if wait != 0:
                break
            slot = pacer._take(clock.now)
            # The server counts the request somewhere along its way there.
            seen = clock.now + rng.uniform(0, jitter)
            limited = shape.check("token", seen)
            end = clock.now + latency + rng.uniform(0, jitter)
            sequence += 1
            heapq.heappush(answers, (end, sequence, slot, limited))
            free -= 1
            pending -= 1
        wake = [answers[0][0]] if answers else []
        if free and pending and wait is not None:
            wake.append(clock.now + max(wait, 1e-6))
        clock.now = max(clock.now, min(wake))
        while answers and answers[0][0] <= clock.now:
            _, _, slot, limited = heapq.heappop(answers)
            pacer.release(slot)
            free += 1
            if limited is None:
                pacer.success()
                done += 1
            else:
                refused += 1
                hint = shape.headers(limited).get("Retry-After")
                pacer.throttle(float(hint) if hint else None, slot)
                pending += 1
    return clock.now - start, refused


@pytest.mark.parametrize("retry_after", [True, False], ids=["retry-after", "no-retry-after"])
@pytest.mark.parametrize("spec", SHAPES)
def test_the_floor_under_every_shape(spec, retry_after):
    floor = 200 / 15
    for seed, jitter in [(0, 0.01), (1, 0.03), (2, 0.1), (3, 0.1)]:
        full = spec if retry_after else spec + ",no-retry-after"
        seconds, refused = simulate(full, seed=seed, jitter=jitter)
        assert seconds <= 1.3 * floor, (full, seed, seconds)
        assert refused < 0.05 * 200, (full, seed, refused)


def test_a_burst_would_meet_the_one_second_window():
    # What the old limiter did (150 at once) is what the 1 s window punishes.
    clock = Clock()
    shape = Shape.parse("fixed:15/1s")
    shape._clock = clock
    refused = sum(shape.check("token", clock.now) is not None for _ in range(150))
    assert refused == 135


def test_a_tighter_limit_than_assumed_is_found_with_few_429s():
    # The client assumes 150/10 s; the server allows half of it: the pace comes
    # down by 10% per 429 event (a few requests in flight each), not by halves.
    for spec in ("fixed:15/2s", "fixed:15/2s,no-retry-after"):
        seconds, refused = simulate(spec, requests=200, client=(150, 10.0))
        assert seconds <= 1.3 * 200 / 7.5
        assert refused < 30


# -- the server's shapes ---------------------------------------------------------------
def test_fixed_window_counts_again_at_each_boundary():
    clock = Clock()
    shape = Shape("fixed", 2, 1.0, clock=clock)
    assert shape.check("a", clock.now) is None
    assert shape.check("a", clock.now + 0.1) is None
    assert shape.check("a", clock.now + 0.2) == pytest.approx(0.8)
    assert shape.check("b", clock.now + 0.2) is None          # per key
    assert shape.check("a", clock.now + 1.0) is None
    assert shape.headers(0.8) == {"Retry-After": "1"}


def test_sliding_window_and_bucket():
    clock = Clock()
    sliding = Shape("sliding", 2, 1.0, clock=clock)
    assert sliding.check("a", 0.0) is None and sliding.check("a", 0.5) is None
    assert sliding.check("a", 0.9) == pytest.approx(0.1)
    assert sliding.check("a", 1.0) is None
    bucket = Shape("bucket", 10, 1.0, burst=2, retry_after=False, clock=clock)
    assert bucket.check("a", 0.0) is None and bucket.check("a", 0.0) is None
    assert bucket.check("a", 0.0) == pytest.approx(0.1)
    assert bucket.check("a", 0.1) is None
    assert bucket.headers(0.1) == {}


@pytest.mark.parametrize("spec, expected", [
    ("fixed:15/1s", {"shape": "fixed", "count": 15, "window": 1.0, "burst": None,
                     "retry_after": True}),
    ("bucket:15/1s,burst=3,no-retry-after", {"shape": "bucket", "count": 15, "window": 1.0,
                                             "burst": 3, "retry_after": False}),
    ("150/10s", {"shape": "sliding", "count": 150, "window": 10.0, "burst": None,
                 "retry_after": True}),
    ([4, 1], {"shape": "sliding", "count": 4, "window": 1.0, "burst": None,
              "retry_after": True}),
])
def test_shape_specs(spec, expected):
    assert Shape.parse(spec).describe() == expected


@pytest.mark.parametrize("spec", ["square:15/1s", "fixed:0/1s", "fixed:15/1s,wobble"])
def test_bad_shape_specs(spec):
    with pytest.raises(ValueError):
        Shape.parse(spec)


# -- the client's families ---------------------------------------------------------------
def test_each_family_has_its_own_pacer_and_every_request_the_token_one():
    pacing = Pacing()
    stats = pacing.pacers("GET", "api", "/api/accounts/1/stats/domains")
    assert [(p.count, p.window) for p in stats] == [(10, 60.0), (150, 10.0)]
    assert pacing.pacers("GET", "api", "/api/stats")[0] is stats[0]
    logs = pacing.pacers("GET", "api", "/api/email_logs/abc-123")
    assert (logs[0].count, logs[0].window) == (1000, 60.0)
    listing = pacing.pacers("GET", "api", "/api/email_logs")
    assert (listing[0].count, listing[0].window) == (60, 60.0)
    assert [p.count for p in pacing.pacers("GET", "api", "/api/sandboxes")] == [150]
    assert pacing.pacers("POST", "send", "/api/batch")[-1] is stats[-1]


def test_a_family_allows_its_count_at_once_then_paces():
    clock = Clock()
    pacing = Pacing(clock=clock)
    stats, token = pacing.pacers("GET", "api", "/api/stats")
    for _ in range(10):
        assert stats.wait_needed() == 0
        stats.release(stats._take(clock.now))
    assert stats.wait_needed() == pytest.approx(60, rel=0.05)
    for _ in range(10):
        assert token.wait_needed() == 0
        token.release(token._take(clock.now))
    assert token.wait_needed() == pytest.approx(10 / 150 / 0.98)


def test_rate_limits_from_the_environment(monkeypatch):
    assert overrides("stats=3/2s, token=off, bad, contacts=x") == {"stats": (3, 2.0),
                                                                   "token": None}
    monkeypatch.setenv("MAILTRAP_RATE_LIMITS", "stats=3/2s,token=off")
    pacing = Pacing.from_env()
    assert [(p.count, p.window) for p in pacing.pacers("GET", "api", "/api/stats")] == [(3, 2.0)]
    assert parse_rate("200/1m") == (200, 60.0)


# -- the built-in server, over HTTP ------------------------------------------------------
def test_server_family_limits_are_set_through_local_control(server):
    server.configure(family_limits={"stats": "fixed:2/60s,no-retry-after"},
                     rate_limit="bucket:100/1s,burst=50")
    codes = [server.call("GET", "/api/stats").status_code for _ in range(3)]
    assert codes[:2] != [429, 429] and codes[2] == 429
    refused = server.call("GET", "/api/accounts/1/stats/domains")
    assert refused.status_code == 429 and "Retry-After" not in refused.headers
    assert server.call("GET", "/api/accounts").status_code == 200   # another family
    described = server.call("POST", "/_local/config", json={}).json()
    assert described["family_limits"]["stats"]["shape"] == "fixed"
    assert described["rate_limit"]["burst"] == 50
    bad = server.call("POST", "/_local/config", json={"family_limits": {"nope": "1/1s"}})
    assert bad.status_code == 400


def test_client_paces_a_family_so_the_server_never_refuses(cli, server, monkeypatch):
    server.configure(family_limits={"stats": "sliding:3/1s"})
    monkeypatch.setenv("MAILTRAP_RATE_LIMITS", "stats=3/1s")
    from mailtrap_cli.api.client import Client

    client = Client("token", {"api": server.url}, retry=None)
    for _ in range(5):
        try:
            client.get("api", "/api/stats",
                       params={"start_date": "2026-01-01", "end_date": "2026-01-01"})
        except Exception as exc:  # noqa: BLE001 - an answer other than 429 is fine here
            assert getattr(exc, "status", None) in (400, 404), exc
    statuses = [e["status"] for e in server.requests("/api/stats")]
    assert len(statuses) == 5 and 429 not in statuses
    times = [e["at"] for e in server.requests("/api/stats")]
    assert times[3] - times[0] >= 1.0


def test_local_serve_rate_limit_options():
    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.commands.local.serve import _limits

    shapes = _limits("fixed:15/1s,no-retry-after", ["stats=10/60s"])
    assert shapes[""].describe()["retry_after"] is False
    assert shapes["stats"].kind == "sliding"
    with pytest.raises(UsageError):
        _limits(None, ["weather=1/1s"])
    with pytest.raises(UsageError):
        _limits("fixed:x/1s", [])
