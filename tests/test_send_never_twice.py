"""A send is never made twice on its own: after a 5xx, a time-out or a connection
dropped before or after the server handled it, `send email`, `send raw` and
`send batch` POST exactly once and report the outcome as unknown; only a 429
(the server refused it) is sent again, after the Retry-After it asked for.

Counted on the server as requests arrive (tests/arrivals.py), through the real
commands: the api layer's retry flags are the thing under test here.
"""

from __future__ import annotations

import time

import pytest

from tests.send_batch_helpers import PLAIN, csv_file, deliveries, numbered

SEND = "/api/send"
BATCH = "/api/batch"
EMAIL = ("send", "email", "--from", "App <app@example.com>", "--to", "user@example.com",
         "--subject", "Receipt", "--text", "Thanks")
RAW = (b"From: App <app@example.com>\r\nTo: user@example.com\r\nSubject: Receipt\r\n"
       b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThanks\r\n")


def _await(predicate, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while not predicate() and time.monotonic() < end:
        time.sleep(0.02)
    return predicate()


@pytest.fixture(params=["email", "raw"])
def send_one(request, cli, tmp_path):
    """`send email` or `send raw`: one message to user@example.com."""
    path = tmp_path / "message.eml"
    path.write_bytes(RAW)

    def run(*extra: str):
        if request.param == "email":
            return cli(*EMAIL, *extra)
        return cli("send", "raw", str(path), *extra)

    return run


# -- send email / send raw ---------------------------------------------------------
def test_a_503_is_not_resent(send_one, server, arrivals):
    server.fault(status=503, count=5, path=SEND)
    result = send_one()
    assert result.code == 1, result
    assert len(arrivals.of("POST", SEND)) == 1
    assert "outcome is unknown" in result.stderr and "retry:" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_5xx_are_not_resent_either(send_one, server, arrivals, status):
    server.fault(status=status, count=5, path=SEND)
    result = send_one()
    assert result.code == 1, result
    assert len(arrivals.of("POST", SEND)) == 1


@pytest.mark.parametrize("after", [False, True], ids=["before-handling", "after-handling"])
def test_a_dropped_connection_is_not_resent(send_one, server, arrivals, after):
    server.fault(drop=True, after=after, count=5, path=SEND)
    result = send_one()
    assert result.code == 7, result
    assert len(arrivals.of("POST", SEND)) == 1
    assert "outcome is unknown" in result.stderr and "retry:" not in result.stderr
    # Handled, then the answer was lost: delivered exactly once, and that is why.
    assert len(deliveries(server)) == (1 if after else 0)


def test_a_time_out_is_not_resent(send_one, server, arrivals):
    server.configure(latency=0.6)
    result = send_one("--timeout", "0.2")
    assert result.code == 7, result
    assert "no answer before the read timeout; the outcome is unknown" in result.stderr
    assert len(arrivals.of("POST", SEND)) == 1
    # The server still finishes the one request: delivered once.
    assert _await(lambda: len(deliveries(server)) == 1)
    assert len(arrivals.of("POST", SEND)) == 1


def test_a_429_is_sent_again_and_delivered_once(send_one, server, arrivals):
    server.fault(status=429, count=1, retry_after="0", path=SEND)
    result = send_one()
    assert result.code == 0, result
    assert len(arrivals.of("POST", SEND)) == 2
    assert [d["recipient"] for d in deliveries(server)] == ["user@example.com"]


@pytest.mark.slow
def test_a_429_waits_the_retry_after_it_asked_for(cli, server, arrivals):
    server.fault(status=429, count=1, retry_after="3", path=SEND)
    result = cli(*EMAIL)
    assert result.code == 0, result
    [gap] = arrivals.gaps("POST", SEND)
    assert 3.0 <= gap < 10, gap
    assert "retry: HTTP 429; retrying in 3.0s" in result.stderr


def test_a_send_that_never_left_is_tried_again(cli):
    """Connection refused: no byte left, so trying again cannot deliver twice."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli(*EMAIL, env={"MAILTRAP_BASE_URL": f"http://127.0.0.1:{port}"})
    assert result.code == 7, result
    assert "\nerror: cannot reach" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("retry: connection refused") == 4      # 5 tries in all
    assert "outcome" not in result.stderr


# -- send batch ----------------------------------------------------------------------
def _batch(cli, tmp_path, rows: int = 4, *extra: str):
    path = csv_file(tmp_path, numbered(rows))
    return cli("send", "batch", "--csv", str(path), *PLAIN, *extra)


@pytest.mark.parametrize("status", [500, 503])
def test_batch_5xx_is_unknown_and_not_resent(cli, server, arrivals, tmp_path, status):
    server.fault(status=status, count=5, path=BATCH)
    result = _batch(cli, tmp_path)
    assert result.code == 8, result
    assert result.json()["unknown"] == 4
    assert len(arrivals.of("POST", BATCH)) == 1
    assert deliveries(server) == []


def test_batch_rerun_lists_unknown_rows_and_still_does_not_send_them(cli, server, arrivals,
                                                                     tmp_path):
    server.fault(status=503, count=1, path=BATCH)
    assert _batch(cli, tmp_path).code == 8
    again = _batch(cli, tmp_path)
    assert again.code == 8, again
    summary = again.json()
    assert (summary["sent"], summary["skipped_unknown"]) == (0, 4), summary
    assert len(arrivals.of("POST", BATCH)) == 1
    resent = _batch(cli, tmp_path, 4, "--resend-unknown")
    assert resent.code == 0 and resent.json()["sent"] == 4, resent
    assert len(arrivals.of("POST", BATCH)) == 2


@pytest.mark.parametrize("after", [False, True], ids=["before-handling", "after-handling"])
def test_batch_dropped_connection_is_unknown_and_not_resent(cli, server, arrivals, tmp_path,
                                                            after):
    server.fault(drop=True, after=after, count=5, path=BATCH)
    result = _batch(cli, tmp_path)
    assert result.code == 8, result
    assert result.json()["unknown"] == 4
    assert len(arrivals.of("POST", BATCH)) == 1
    assert len(deliveries(server)) == (4 if after else 0)


def test_batch_time_out_is_unknown_and_not_resent(cli, server, arrivals, tmp_path):
    server.configure(latency=0.6)
    result = _batch(cli, tmp_path, 4, "--timeout", "0.2")
    assert result.code == 8, result
    summary = result.json()
    assert summary["unknown"] == 4 and summary["sent"] == 0
    assert "read timeout" in summary["unknown_chunks"][0]["reason"]
    assert len(arrivals.of("POST", BATCH)) == 1
    assert _await(lambda: len(deliveries(server)) == 4)
    assert len(arrivals.of("POST", BATCH)) == 1


@pytest.mark.slow
def test_batch_429_waits_the_retry_after_it_asked_for(cli, server, arrivals, tmp_path):
    server.fault(status=429, count=1, retry_after="3", path=BATCH)
    result = _batch(cli, tmp_path)
    assert result.code == 0, result
    assert result.json()["sent"] == 4
    [gap] = arrivals.gaps("POST", BATCH)
    assert 3.0 <= gap < 10, gap
    assert len(deliveries(server)) == 4


@pytest.mark.slow
def test_a_retry_after_date_without_a_zone_is_utc(cli, server, arrivals, monkeypatch):
    """`-0000` dates parse without a zone; read as local time west of UTC they would
    ask for hours (give up, exit 6), east of it for nothing (no pause at all)."""
    from email.utils import formatdate

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        when = formatdate(time.time() + 3)       # 'Wed, 02 Dec 2026 17:00:03 -0000'
        assert when.endswith("-0000")
        server.fault(status=429, count=1, retry_after=when, path=SEND)
        result = cli(*EMAIL)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert result.code == 0, result
    [gap] = arrivals.gaps("POST", SEND)
    assert 1.0 <= gap < 5, gap


def test_batch_stops_when_asked_to_wait_longer_than_it_would(cli, server, arrivals, tmp_path,
                                                             run_mailtrap):
    """Retry-After: 3600 is past what a run waits (30 s): it stops at once, sends
    nothing twice, and a rerun sends the rows. (A subprocess with a time limit: a
    run that did wait the hour fails here in seconds.)"""
    import subprocess

    server.fault(status=429, count=1, retry_after="3600", path=BATCH)
    path = csv_file(tmp_path, numbered(4))
    started = time.monotonic()
    try:
        result = run_mailtrap("send", "batch", "--csv", str(path), *PLAIN, timeout=15,
                              env={"MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url})
    except subprocess.TimeoutExpired:
        pytest.fail("send batch slept on a Retry-After of an hour")
    assert time.monotonic() - started < 10
    assert result.code == 6, result
    assert "asked to wait 3600s" in result.stderr
    assert len(arrivals.of("POST", BATCH)) == 1 and deliveries(server) == []
    again = _batch(cli, tmp_path)
    assert again.code == 0 and again.json()["sent"] == 4, again
    assert len(deliveries(server)) == 4
