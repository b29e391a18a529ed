"""The numbers README.md promises, written here as literals (never read back from
the product, so a changed default fails a test): at most 5 tries, connect time-out
10 s and read time-out 30 s, `User-Agent: mailtrap-cli/<version>`, and for
`send batch` 8 requests in flight under 150 requests per 10 s."""

from __future__ import annotations

import threading
import time
from importlib.metadata import version

import pytest

from tests.send_batch_helpers import PLAIN, csv_file, numbered

TRIES = 5                    # README, HTTP behaviour: "at most 5 tries"
CONNECT_TIMEOUT = 10.0       # "connect timeout 10 s"
READ_TIMEOUT = 30.0          # "read timeout 30 s (--timeout)"
CONCURRENCY = 8              # "8 requests in flight"
RATE = (150, 10.0)           # "a client-side limit of 150 requests per 10 s"
MESSAGES = "/api/sandboxes/1/messages"
SEND = "/api/send"
BATCH = "/api/batch"
EMAIL = ("send", "email", "--from", "app@example.com", "--to", "user@example.com",
         "--subject", "Hi", "--text", "Hello")


# -- tries ---------------------------------------------------------------------------
def test_a_get_is_tried_5_times_then_fails(cli, server, arrivals):
    server.fault(status=503, count=100, path=MESSAGES)
    result = cli("sandbox", "messages", "list")
    assert result.code == 1, result
    assert len(arrivals.of("GET", MESSAGES)) == TRIES
    assert f"gave up after {TRIES} attempts" in result.stderr


def test_a_send_refused_with_429_is_tried_5_times_then_exits_6(cli, server, arrivals):
    server.fault(status=429, count=100, retry_after="0", path=SEND)
    result = cli(*EMAIL)
    assert result.code == 6, result
    assert len(arrivals.of("POST", SEND)) == TRIES
    assert result.stderr.count("retry: HTTP 429") == TRIES - 1


def test_a_dropped_get_is_tried_5_times_then_exits_7(cli, server, arrivals):
    server.fault(drop=True, count=100, path=MESSAGES)
    result = cli("sandbox", "messages", "list")
    assert result.code == 7, result
    assert len(arrivals.of("GET", MESSAGES)) == TRIES


# -- User-Agent, checked where it arrives --------------------------------------------
def _agent_ok(value: str) -> bool:
    product, _, rest = value.partition(" ")
    return product == f"mailtrap-cli/{version('mailtrap-cli')}" and rest.startswith("python/")


def test_every_request_carries_the_user_agent(cli, server, arrivals, tmp_path):
    assert cli("sandbox", "messages", "list").code == 0
    assert cli(*EMAIL).code == 0
    path = csv_file(tmp_path, numbered(3))
    assert cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "1").code == 0
    assert {(a.method, a.path) for a in arrivals} >= {("GET", MESSAGES), ("POST", SEND),
                                                      ("POST", BATCH)}
    agents = {a.headers.get("user-agent", "") for a in arrivals}
    assert all(_agent_ok(agent) for agent in agents), agents


def test_debug_shows_the_user_agent_sent(cli):
    result = cli("sandbox", "messages", "list", "--debug")
    assert result.code == 0, result
    sent = [line[len("> User-Agent: "):] for line in result.stderr.splitlines()
            if line.startswith("> User-Agent: ")]
    assert sent and all(_agent_ok(agent) for agent in sent), sent


# -- time-outs: what each request is given ------------------------------------------
@pytest.fixture
def timeouts(monkeypatch):
    """The timeout of every request the CLI sends over HTTP, as requests' adapter gets it."""
    from requests.adapters import HTTPAdapter

    seen: list = []
    original = HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return seen


def test_default_time_outs_are_10_s_to_connect_and_30_s_to_read(cli, timeouts):
    assert cli("sandbox", "messages", "list").code == 0
    assert cli(*EMAIL).code == 0
    assert timeouts and set(timeouts) == {(CONNECT_TIMEOUT, READ_TIMEOUT)}


def test_timeout_option_sets_the_read_time_out_only(cli, timeouts):
    assert cli(*EMAIL, "--timeout", "5").code == 0
    assert set(timeouts) == {(CONNECT_TIMEOUT, 5.0)}


def test_batch_workers_use_the_same_time_outs(cli, timeouts, tmp_path):
    path = csv_file(tmp_path, numbered(2))
    assert cli("send", "batch", "--csv", str(path), *PLAIN).code == 0
    assert set(timeouts) == {(CONNECT_TIMEOUT, READ_TIMEOUT)}


# -- send batch: concurrency and rate --------------------------------------------------
def test_batch_keeps_8_requests_in_flight(cli, server, tmp_path):
    """Every request is held at the server until 8 are in (at most 5 s from the
    first), then for a moment longer, so a 9th would be seen; 4 or 16 workers
    would fail this."""
    cond = threading.Condition()
    state = {"in": 0, "max": 0, "opened": None, "give_up": None}
    original = server.app.handle

    def handle(req):
        if req.path != BATCH:
            return original(req)
        with cond:
            state["in"] += 1
            state["max"] = max(state["max"], state["in"])
            if state["give_up"] is None:
                state["give_up"] = time.monotonic() + 5
            if state["in"] >= CONCURRENCY and state["opened"] is None:
                state["opened"] = time.monotonic() + 0.5   # let any 9th arrive first
            cond.notify_all()
            while time.monotonic() < state["give_up"] and (
                    state["opened"] is None or time.monotonic() < state["opened"]):
                cond.wait(0.05)
        try:
            return original(req)
        finally:
            with cond:
                state["in"] -= 1

    server.app.handle = handle
    path = csv_file(tmp_path, numbered(20))
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "1")
    assert result.code == 0, result
    assert result.json()["sent"] == 20
    assert state["max"] == CONCURRENCY


def test_batch_runner_gets_8_workers(cli, server, tmp_path, monkeypatch):
    """What the command hands the runner (the test above shows the effect)."""
    from mailtrap_cli.batch import runner

    made: list = []
    original = runner.Runner.__init__

    def init(self, **kw):
        made.append(kw.get("concurrency"))
        original(self, **kw)

    monkeypatch.setattr(runner.Runner, "__init__", init)
    path = csv_file(tmp_path, numbered(2))
    assert cli("send", "batch", "--csv", str(path), *PLAIN).code == 0
    assert made == [CONCURRENCY]


def test_batch_rate_limit_defaults_to_150_per_10_s(cli, server, tmp_path, monkeypatch):
    """What the command hands the limiter (the slow test below shows its effect)."""
    from mailtrap_cli.batch import limiter

    made: list = []
    original = limiter.RateLimiter.__init__

    def init(self, count, window, **kw):
        made.append((count, window))
        original(self, count, window, **kw)

    monkeypatch.setattr(limiter.RateLimiter, "__init__", init)
    path = csv_file(tmp_path, numbered(2))
    assert cli("send", "batch", "--csv", str(path), *PLAIN).code == 0
    assert made == [RATE]


@pytest.mark.slow
def test_batch_sends_at_most_150_requests_per_10_s(cli, server, arrivals, tmp_path):
    """151 one-row requests, paced evenly a little under 15 per second (no burst of
    150 at once, which a server counting in 1 s windows would refuse): never 151 in
    10 s, never 16 in a second; the server, limiting the same way, never answers 429."""
    server.configure(rate_limit=[150, 10])
    path = csv_file(tmp_path, numbered(151))
    result = cli("send", "batch", "--csv", str(path), *PLAIN, "--chunk-size", "1")
    assert result.code == 0, result
    summary = result.json()
    assert summary["sent"] == 151 and summary["throttled"] == 0, summary
    times = [a.at for a in arrivals.of("POST", BATCH)]
    assert len(times) == 151
    assert times[150] - times[0] >= 10         # the 151st waited for the window
    assert times[150] - times[0] < 150 / 15 * 1.15   # no slower than it needs to be
    assert min(times[i + 15] - times[i] for i in range(len(times) - 15)) > 0.9   # no burst
