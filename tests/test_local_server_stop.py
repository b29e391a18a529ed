"""Stopping the built-in server: no handler outlives it, none touches its closed
database, and a crash anywhere in a handler is recorded, not just printed.

The flake this guards against: a test set 5 s of latency and ended after 1 s; the
server's stop closed the database while a handler thread still slept; 4 s later
that handler failed with "Cannot operate on a closed database" and its traceback
landed in whichever test was capturing stderr at the time.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import requests

from mailtrap_cli.local.http import RunningServer

ACCOUNTS = "/api/accounts"
AUTH = {"Authorization": "Bearer tok"}


def _request_in_background(url: str, results: list) -> threading.Thread:
    def run() -> None:
        try:
            results.append(requests.get(url + ACCOUNTS, headers=AUTH, timeout=10).status_code)
        except requests.RequestException as exc:
            results.append(type(exc).__name__)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _await(predicate, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_stop_wakes_a_handler_sleeping_on_latency_and_waits_for_it(capfd):
    running = RunningServer(":memory:")
    running.app.limits.latency = 5
    results: list = []
    client = _request_in_background(running.url, results)
    assert _await(lambda: running.httpd._live)   # the request reached its handler
    time.sleep(0.1)                               # ...and sleeps in the latency
    started = time.monotonic()
    running.stop()
    stopped_in = time.monotonic() - started
    client.join(5)
    assert stopped_in < 2, f"stop took {stopped_in:.1f}s"
    assert running.unfinished == []
    assert not running.httpd._live                # every handler thread has ended
    assert running.app.crashes == []
    assert results == ["ConnectionError"]         # dropped: never answered from a closed db
    time.sleep(0.2)
    assert capfd.readouterr().err == ""           # no traceback now or later
    with pytest.raises(sqlite3.ProgrammingError):   # and the database really is closed
        running.app.store.one("SELECT 1")


def test_stop_ends_idle_keep_alive_connections_at_once():
    running = RunningServer(":memory:")
    session = requests.Session()
    assert session.get(running.url + ACCOUNTS, headers=AUTH, timeout=5).status_code == 200
    assert _await(lambda: len(running.httpd._live) == 1)   # the connection stays open
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 2
    assert running.unfinished == [] and not running.httpd._live
    session.close()


def test_a_handler_that_will_not_end_keeps_the_database_open_and_is_named():
    running = RunningServer(":memory:")
    release = threading.Event()
    running.app.observers.append(lambda req, response: release.wait(10))
    results: list = []
    client = _request_in_background(running.url, results)
    assert _await(lambda: len(running.app.log) == 1)   # the handler is in the observer
    running.httpd.shutdown()
    unfinished = running.httpd.close_connections(timeout=0.2)
    assert len(unfinished) == 1
    release.set()
    assert running.httpd.close_connections(timeout=5) == []
    client.join(5)
    running.httpd.server_close()
    running.app.close()


def test_a_crash_outside_the_routes_is_recorded_for_the_suite(server):
    """Routes answer 500 and record their crash; anything else in the handler
    (here an observer) used to go to stderr only."""

    def broken(req, response):
        raise RuntimeError("observer bug")

    server.app.observers.append(broken)
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + ACCOUNTS, headers=AUTH, timeout=5)
    assert _await(lambda: server.app.crashes)
    assert "observer bug" in server.app.crashes[0]
    server.app.observers.remove(broken)
    server.app.crashes.clear()   # expected here; the fixture fails tests that leave one


def test_the_fixture_fails_a_test_whose_server_crashed(pytester):
    pytester.makeconftest("from tests.conftest import *  # noqa: F403\n")
    pytester.makepyfile(test_crash='''
        import requests

        def test_crashes(server):
            def broken(req, response):
                raise RuntimeError("late bug")
            server.app.observers.append(broken)
            try:
                requests.get(server.url + "/api/accounts",
                             headers={"Authorization": "Bearer t"}, timeout=5)
            except requests.ConnectionError:
                pass
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the built-in server crashed in a handler*"])


@pytest.mark.slow
def test_a_handler_crashing_after_its_test_fails_the_run(pytester):
    """A handler stuck past the 5 s the stop waits fails its own test; when it
    crashes later, the test running then fails too, naming where it came from."""
    pytester.makeconftest("from tests.conftest import *  # noqa: F403\n"
                          "from tests.conftest import _no_late_crash  # noqa: F401\n")
    pytester.makepyfile(test_late='''
        import threading
        import time

        import requests

        def test_stuck(server):
            def stuck(req, response):
                time.sleep(6)
                raise RuntimeError("late bug")
            server.app.observers.append(stuck)
            threading.Thread(target=lambda: requests.get(
                server.url + "/api/accounts", headers={"Authorization": "Bearer t"},
                timeout=20), daemon=True).start()
            time.sleep(0.5)

        def test_next():
            from tests.conftest import _late_crashes
            end = time.monotonic() + 30
            while not _late_crashes() and time.monotonic() < end:   # the crash, while here
                time.sleep(0.05)
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-q")
    result.stdout.fnmatch_lines([
        "*did not end within 5 s of its stop*",
        "*a built-in server handler crashed after its test ended*",
        "*test_late.py::test_stuck: connection from*",
        "*RuntimeError: late bug*",
    ])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
