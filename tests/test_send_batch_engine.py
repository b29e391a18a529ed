"""The `send batch` engine without HTTP: readers, row building, journal, limiter, runner."""

from __future__ import annotations

import json
import threading

import pytest

from mailtrap_cli.api.errors import (
    APIError,
    AuthError,
    MailtrapError,
    NetworkError,
    RateLimitedError,
    UnknownOutcomeError,
    UsageError,
)
from mailtrap_cli.batch import reader as rd
from mailtrap_cli.batch.build import Builder
from mailtrap_cli.batch.journal import IntervalSet, Journal, load, runs
from mailtrap_cli.batch.limiter import RateLimiter, parse_rate
from mailtrap_cli.batch.plan import plan
from mailtrap_cli.batch.runner import Chunk, Events, Runner, Totals, split_answer

BASE = {"from": {"email": "app@example.com"}, "subject": "Hi", "text": "Hello"}


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


# -- readers ---------------------------------------------------------------------------
def test_csv_rows_carry_the_line_they_start_on(tmp_path):
    path = write(tmp_path, "u.csv", '\ufeffEmail, Name ,code\n\na@example.com,Ann,1\n'
                 'b@example.com,"Bob\nSmith",2\nc@example.com,Cy\n')
    source = rd.open_input("csv", path)
    records = list(source.records())
    source.close()
    assert source.columns == ["email", "name", "code"]
    assert [r.row for r in records] == [3, 4, 6]
    assert records[0].data == {"email": "a@example.com", "name": "Ann", "code": "1"}
    assert records[1].data["name"] == "Bob\nSmith"
    assert records[2].data is None and records[2].error == "2 fields, but the header has 3"


def test_csv_invalid_utf8_is_reported_on_its_line(tmp_path):
    path = write(tmp_path, "u.csv", b"email,name\na@example.com,\xff\xfe\nb@example.com,B\n")
    records = list(rd.open_input("csv", path).records())
    assert [(r.row, r.error) for r in records] == [(2, "not valid UTF-8"), (3, None)]


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty"),
    ("name,code\nAnn,1\n", "no `email` column in the header line (found: name, code)"),
    ("email,email\n", "the header repeats column 'email'"),
    ("email,,x\n", "a column without a name"),
])
def test_csv_header_problems_are_usage_errors(tmp_path, content, message):
    path = write(tmp_path, "u.csv", content)
    with pytest.raises(UsageError) as err:
        rd.open_input("csv", path)
    assert message in err.value.message
    assert path in err.value.message


def test_jsonl_reports_malformed_lines_and_skips_blank_ones(tmp_path):
    path = write(tmp_path, "u.jsonl", '{"email": "a@example.com"}\n\n{"email": \n[1, 2]\n'
                 '{"email": "b@example.com", "n": 2}')
    records = list(rd.open_input("jsonl", path).records())
    assert [r.row for r in records] == [1, 3, 4, 5]
    assert records[1].error.startswith("invalid JSON: ")
    assert records[2].error == "expected a JSON object"
    assert records[3].data == {"email": "b@example.com", "n": 2}


def test_batch_json_is_the_apis_body(tmp_path):
    path = write(tmp_path, "b.json", json.dumps({"base": BASE, "requests": [
        {"to": [{"email": "a@example.com"}]}, "nope"]}))
    source = rd.open_input("json", path)
    assert source.base == BASE and source.count is None     # streamed: not counted ahead
    records = list(source.records())
    assert records[1].error == "expected a JSON object"
    assert rd.where("json", "b.json", 2) == "b.json: requests[1]"
    bad = write(tmp_path, "bad.json", '{"requests": [\n  {"to": ]}')
    with pytest.raises(UsageError, match=r"bad.json:2: invalid JSON"):
        rd.open_input("json", bad)
    with pytest.raises(UsageError, match="expected the API's batch body"):
        rd.open_input("json", write(tmp_path, "list.json", "[]"))


def test_batch_json_streams_in_any_field_order(tmp_path):
    items = [{"to": [{"email": f"u{i}@example.com"}], "text": "é" * (i % 7)} for i in range(3000)]
    body = json.dumps({"requests": items, "extra": [1, 2], "base": BASE}, indent=1)
    path = write(tmp_path, "late-base.json", body)
    _JsonStream = rd._JsonStream
    _JsonStream.BLOCK, block = 512, _JsonStream.BLOCK     # many block edges
    try:
        source = rd.open_input("json", path)
        assert source.base == BASE and source.count == 3000
        assert [r.data for r in source.records()] == items
        source.close()
        path2 = write(tmp_path, "first.json", json.dumps({"base": BASE, "requests": items}))
        first = rd.open_input("json", path2)
        assert [r.row for r in first.records()][-1] == 3000
        first.close()
    finally:
        _JsonStream.BLOCK = block


def test_batch_json_error_after_some_requests_ends_the_stream(tmp_path):
    path = write(tmp_path, "cut.json", '{"base": {},\n "requests": [{"to": []},\n {"to": ]}')
    source = rd.open_input("json", path)
    records = list(source.records())
    assert records[0].data == {"to": []}
    assert records[1].row == 2 and records[1].data is None
    assert records[1].error.endswith(
        "cut.json:3: invalid JSON: Expecting value (column 8); the rest of the file was not read")
    with pytest.raises(UsageError, match="extra data"):
        list(rd.open_input("json", write(tmp_path, "x.json",
                                         '{"requests": [], "base": {}} []')).records())
    with pytest.raises(UsageError, match="`base` must be a JSON object"):
        rd.open_input("json", write(tmp_path, "b.json", '{"base": 3, "requests": []}'))
    with pytest.raises(UsageError, match="not valid UTF-8"):
        rd.open_input("json", write(tmp_path, "u.json", b'{"base": "\xff"}'))


def test_scan_hashes_and_counts_lines(tmp_path):
    path = write(tmp_path, "u.csv", "email\na@example.com\nb@example.com")
    digest, lines = rd.scan(path, block=4)
    assert lines == 3 and len(digest) == 64


# -- building rows -------------------------------------------------------------------------
def test_columns_become_custom_variables_without_a_template():
    builder = Builder({**BASE, "custom_variables": {"campaign": "x"}})
    item, error = builder.recipient({"email": " a@example.com ", "name": "Ann", "code": "7"})
    assert error is None
    assert item == {"to": [{"email": "a@example.com", "name": "Ann"}],
                    "custom_variables": {"campaign": "x", "code": "7"}}
    item, _ = builder.recipient({"email": "b@example.com", "n": 3, "ok": True, "none": None})
    assert item["custom_variables"] == {"campaign": "x", "n": "3", "ok": "true"}
    assert builder.recipient({"email": "b@example.com", "o": {"a": 1}})[1].startswith(
        "variable 'o' must be text")
    assert "at most 1000" in builder.recipient({"email": "b@example.com", "v": "x" * 1001})[1]


def test_columns_become_template_variables_with_a_template():
    base = {"from": {"email": "app@example.com"}, "template_uuid": "u-1",
            "template_variables": {"company": "ACME"}}
    builder = Builder(base)
    assert builder.vars_as == "template" and builder.base_problems() == []
    item, _ = builder.recipient({"email": "a@example.com", "name": "", "n": 2})
    assert item == {"to": [{"email": "a@example.com"}],
                    "template_variables": {"company": "ACME", "email": "a@example.com", "n": 2}}
    named, _ = builder.recipient({"email": "b@example.com", "name": " Bo ", "n": 3})
    assert named["template_variables"] == {"company": "ACME", "email": "b@example.com",
                                           "name": "Bo", "n": 3}


def test_builder_refuses_bad_rows_and_incomplete_bases():
    builder = Builder(BASE)
    assert builder.recipient({"email": ""})[1] == "no email address"
    assert builder.recipient({"email": "not-an-address"})[1] == \
        "'not-an-address' is not a valid email address"
    assert Builder({"from": {"email": "app@example.com"}}).base_problems() == [
        "'subject' is required", "must specify either text or html body"]
    assert "need a template" in Builder(BASE, "template").base_problems()[-1]
    item, error = builder.build({"to": [{"email": "x@example.com"}], "subject": "Own"})
    assert error is None and item["subject"] == "Own"
    assert builder.build({"to": [{"email": "nope"}]})[1] == "'to' address is invalid: nope"


# -- journal ------------------------------------------------------------------------------
def test_runs_and_interval_set():
    assert runs([1, 2, 3, 5, 7, 8]) == [[1, 3], [5, 5], [7, 8]]
    rows = IntervalSet()
    rows.add_runs([[10, 20], [1, 3], [4, 5]])
    assert len(rows) == 16
    assert [r for r in range(0, 23) if r in rows] == [1, 2, 3, 4, 5, *range(10, 21)]


def open_journal(path, fingerprint="f1", **kw):
    return Journal.open(path, {"fingerprint": fingerprint}, **kw)


def test_journal_resume_reads_outcomes_latest_wins(tmp_path):
    path = tmp_path / "j.jsonl"
    journal, resume, _ = open_journal(path)
    assert resume.next_chunk == 0
    journal.pending(0, [1, 2, 3])
    journal.done(0, [(1, ["m1"]), (3, ["m3"])], [(2, ["bad"])])
    journal.pending(1, [4, 5])
    journal.unknown(1, "HTTP 500")
    journal.pending(2, [6])
    journal.released(2, "HTTP 429")
    journal.pending(3, [7, 8])      # the process dies here
    journal.close()
    _, resume, _ = load(path)
    assert [resume.status(r) for r in range(1, 10)] == [
        "sent", "rejected", "sent", "unknown", "unknown", None, "unknown", "unknown", None]
    assert resume.next_chunk == 4
    chunks = resume.unknown_chunks()
    assert [(c["chunk"], c["rows"], c["count"]) for c in chunks] == [(1, "4-5", 2),
                                                                     (3, "7-8", 2)]
    assert chunks[0]["reason"] == "HTTP 500"
    assert "ended before the answer" in chunks[1]["reason"]
    # a resend of an unknown row that succeeds, and a retried rejection that succeeds
    journal, resume, _ = open_journal(path)
    journal.pending(4, [2, 4])
    journal.done(4, [(2, ["m2"]), (4, ["m4"])], [])
    journal.close()
    _, resume, _ = load(path)
    assert [resume.status(r) for r in (2, 4, 5)] == ["sent", "sent", "unknown"]


def test_journal_drops_a_torn_last_line_and_counts_damage(tmp_path):
    path = tmp_path / "j.jsonl"
    journal, _, _ = open_journal(path)
    journal.pending(0, [1])
    journal.done(0, [(1, ["m1"])], [])
    journal.close()
    with open(path, "ab") as handle:
        handle.write(b'garbage\n{"type":"pending","chunk":1,"rows":[[2,2]]}\n{"type":"do')
    journal, resume, _ = open_journal(path)
    assert resume.damaged == 1 and resume.status(2) == "unknown"
    journal.close()
    lines = path.read_bytes().splitlines()
    assert json.loads(lines[-1])["type"] == "run"   # appended after the torn line was cut
    assert all(json.loads(line) for line in lines if line != b"garbage")  # torn line cut


def test_journal_of_another_input_is_refused_unless_forced_or_new(tmp_path):
    path = tmp_path / "j.jsonl"
    journal, _, _ = open_journal(path)
    journal.pending(0, [1])
    journal.done(0, [(1, ["m1"])], [])
    journal.close()
    with pytest.raises(UsageError) as err:
        open_journal(path, "f2")
    assert "different input" in err.value.message and "1 rows as sent" in err.value.message
    assert "--new-journal" in err.value.hint and "--force" in err.value.hint
    journal, resume, _ = open_journal(path, "f2", force=True)
    journal.close()
    assert resume.status(1) == "sent"
    journal, resume, _ = open_journal(path, "f2")     # --force adopted the journal
    journal.close()
    journal, resume, note = open_journal(path, "f3", new=True)
    journal.close()
    assert resume.status(1) is None and "moved to" in note
    assert len(list(tmp_path.glob("j.jsonl.*.old"))) == 1
    path.write_text("not a journal\n")
    with pytest.raises(UsageError, match="is not a `send batch` journal"):
        open_journal(path)


# -- limiter ------------------------------------------------------------------------------
class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_limiter_paces_evenly_and_counts_a_window_from_each_answer():
    clock = FakeClock()
    limiter = RateLimiter(3, 10, clock=clock)
    interval = 1 / limiter.rate                     # a little over 10/3 s
    assert interval == pytest.approx(10 / 3 / 0.98)
    first = limiter.acquire()
    assert limiter.wait_needed() == pytest.approx(interval)   # no burst, even at the start
    clock.now += interval
    second = limiter.acquire()
    clock.now += interval
    third = limiter.acquire()
    clock.now += interval
    assert limiter.wait_needed() is None          # 3 in flight: wait for an answer
    for slot in (second, first, third):
        limiter.release(slot)
    assert limiter.wait_needed() == pytest.approx(10)   # 10 s after the first answer
    clock.now += 10
    assert limiter.wait_needed() == 0


def test_limiter_throttle_cuts_gently_once_per_event_and_recovers_below_the_cut():
    clock = FakeClock()
    limiter = RateLimiter(10, 1, clock=clock)
    top = limiter.rate
    first = limiter.acquire()
    clock.now += 1
    second = limiter.acquire()
    assert limiter.throttle(2.0, first) == 2.0
    assert limiter.rate == pytest.approx(top * 0.9)
    limiter.throttle(2.0, second)           # in flight at the cut: the same event
    assert limiter.rate == pytest.approx(top * 0.9)
    assert limiter.wait_needed() == pytest.approx(2)
    limiter.release(first)
    limiter.release(second)
    clock.now += 3
    pause = limiter.throttle(None, limiter.acquire())   # a new event, no Retry-After
    assert limiter.rate == pytest.approx(top * 0.81)
    assert 0.25 <= pause <= 0.5                          # the second in a row: doubled
    for _ in range(100):
        limiter.success()
    assert limiter.rate == pytest.approx(top * 0.9 * 0.97)   # just under the first cut
    assert limiter.strikes == 0
    clock.now += 5
    limiter.success()                           # a clean window: the ceiling rises
    assert limiter.rate > top * 0.9 * 0.97
    stop = threading.Event()
    stop.set()
    assert limiter.acquire(stop) is None


@pytest.mark.parametrize("text, expected", [("150/10s", (150, 10.0)), ("150/10", (150, 10.0)),
                                            ("15", (15, 1.0)), ("1/0.5s", (1, 0.5))])
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "x/10", "0/10", "5/0", "5/-1s"])
def test_parse_rate_refuses(text):
    with pytest.raises(ValueError):
        parse_rate(text)


# -- plan -----------------------------------------------------------------------------------
def test_plan_skips_done_rows_and_cuts_chunks(tmp_path):
    path = tmp_path / "j.jsonl"
    journal, _, _ = open_journal(path)
    journal.pending(0, [2, 3])
    journal.done(0, [(2, ["m"])], [(3, ["no"])])
    journal.close()
    _, resume, _ = load(path)
    records = [rd.Record(row, {"email": f"u{row}@example.com"}, None, 10)
               for row in range(2, 9)]
    records[4] = rd.Record(6, None, "broken", 3)
    totals = Totals()
    builder = Builder(BASE)
    chunks = list(plan(records, builder.recipient, resume=resume, totals=totals,
                       events=Events(), first_index=5, chunk_size=2))
    assert [(c.index, c.rows) for c in chunks] == [(5, [4, 5]), (6, [7, 8])]
    assert (totals.skipped_sent, totals.skipped_rejected, totals.invalid) == (1, 1, 1)
    chunks = list(plan(records, builder.recipient, resume=resume, totals=Totals(),
                       events=Events(), chunk_size=500, retry_rejected=True,
                       max_bytes=2 * (10 + 64)))
    assert [c.rows for c in chunks] == [[3, 4], [5, 7], [8]]


# -- runner with a fake API -----------------------------------------------------------------
class FakeAPI:
    """Answers like /api/batch; `script` holds exceptions to raise first, in order."""

    def __init__(self, script=(), reject=()):
        self.script = list(script)
        self.reject = set(reject)
        self.lock = threading.Lock()
        self.delivered: list[str] = []
        self.calls = 0

    def sender(self):
        api = self

        class _Sender:
            def send(self, payload):
                with api.lock:
                    api.calls += 1
                    if api.script:
                        error = api.script.pop(0)
                        if error is not None:
                            raise error
                    responses = []
                    for item in payload["requests"]:
                        email = item["to"][0]["email"]
                        if email in api.reject:
                            responses.append({"success": False, "errors": ["refused"]})
                        else:
                            api.delivered.append(email)
                            responses.append({"success": True, "message_ids": [f"id-{email}"]})
                return {"success": True, "responses": responses, "errors": []}

            def close(self):
                pass

        return _Sender()


def make_chunks(count, size=3, start=0):
    chunks = []
    row = 1
    for index in range(start, start + count):
        rows = list(range(row, row + size))
        row += size
        chunks.append(Chunk(index, rows, [{"to": [{"email": f"u{r}@example.com"}]}
                                          for r in rows]))
    return chunks


def run(tmp_path, api, chunks, **kw):
    journal, _, _ = open_journal(tmp_path / "j.jsonl")
    kw.setdefault("limiter", RateLimiter(1000, 1))
    runner = Runner(senders=api.sender, journal=journal, base=BASE, backoff=0.001, **kw)
    totals = runner.run(chunks)
    journal.close()
    _, resume, _ = load(tmp_path / "j.jsonl")
    return totals, resume


def test_runner_sends_every_chunk_once_concurrently(tmp_path):
    api = FakeAPI(reject={"u5@example.com"})
    totals, resume = run(tmp_path, api, make_chunks(20), concurrency=4)
    assert sorted(api.delivered) == sorted(f"u{r}@example.com" for r in range(1, 61) if r != 5)
    assert (totals.sent, totals.rejected, totals.unknown, totals.chunks) == (59, 1, 0, 20)
    assert totals.rejected_rows == [{"row": 5, "errors": ["refused"], "sent": True}]
    assert len(resume.sent) == 59 and resume.status(5) == "rejected"


def test_runner_retries_429_and_unsent_network_failures(tmp_path):
    limited = RateLimitedError("HTTP 429", status=429)
    limited.retry_after = 0.01
    api = FakeAPI(script=[limited, NetworkError("connection refused"), None, limited])
    notes = []

    class Notes(Events):
        def throttled(self, delay, reason):
            notes.append(reason)

    totals, resume = run(tmp_path, api, make_chunks(3), concurrency=1, events=Notes())
    assert totals.sent == 9 and totals.throttled == 3 and totals.requests == 6
    assert notes == ["HTTP 429", "network", "HTTP 429"]
    assert resume.unknown == {} and len(resume.sent) == 9


def test_runner_gives_up_on_endless_429(tmp_path):
    api = FakeAPI(script=[RateLimitedError("HTTP 429", status=429)] * 50)
    totals, _ = run(tmp_path, api, make_chunks(5), concurrency=2, max_attempts=3)
    assert isinstance(totals.fatal, RateLimitedError)
    assert "gave up after 3 attempts" in totals.fatal.message
    assert totals.sent == 0 and api.delivered == []


def test_runner_stops_when_asked_to_wait_too_long(tmp_path):
    limited = RateLimitedError("HTTP 429", status=429)
    limited.retry_after = 3600
    totals, _ = run(tmp_path, FakeAPI(script=[limited]), make_chunks(2), concurrency=1)
    assert "asked to wait 3600s" in totals.fatal.message


def test_runner_unknown_outcomes_are_journaled_not_resent(tmp_path):
    api = FakeAPI(script=[None, UnknownOutcomeError("HTTP 500", status=500),
                          APIError("HTTP 400: bad", status=400)])
    totals, resume = run(tmp_path, api, make_chunks(4), concurrency=1)
    assert api.calls == 4
    assert (totals.sent, totals.unknown, totals.rejected) == (6, 3, 3)
    assert totals.unknown_chunks[0]["rows"] == "4-6"
    assert [resume.status(r) for r in (4, 7)] == ["unknown", "rejected"]


def test_runner_auth_failure_stops_the_run(tmp_path):
    api = FakeAPI(script=[AuthError("HTTP 401", status=401)])
    totals, resume = run(tmp_path, api, make_chunks(6), concurrency=1)
    assert isinstance(totals.fatal, AuthError)
    assert api.calls == 1 and resume.unknown == {} and len(resume.sent) == 0


def test_runner_unmatched_answers_are_unknown(tmp_path):
    chunk = make_chunks(1)[0]
    with pytest.raises(ValueError, match="1 results for 3 messages"):
        split_answer(chunk, {"success": True, "responses": [{"success": True}]})
    with pytest.raises(ValueError, match="not a JSON object"):
        split_answer(chunk, "<html>")
    sent, rejected = split_answer(chunk, {"success": False, "errors": ["'from' is required"]})
    assert sent == [] and [r for r, _ in rejected] == chunk.rows

    class Weird(FakeAPI):
        def sender(self):
            class _S:
                def send(self, payload):
                    return {"responses": []}

                def close(self):
                    pass
            return _S()

    totals, resume = run(tmp_path, Weird(), [chunk], concurrency=1)
    assert totals.unknown == 3 and resume.status(1) == "unknown"


def test_runner_reports_a_crashing_worker(tmp_path):
    class Broken(FakeAPI):
        def sender(self):
            raise RuntimeError("boom")

    totals, _ = run(tmp_path, Broken(), make_chunks(2), concurrency=2)
    assert isinstance(totals.fatal, MailtrapError) and "boom" in totals.fatal.message


# -- progress where stderr is not a terminal -----------------------------------------
class PlainOut:
    quiet = False

    def __init__(self):
        self.lines = []

    def progress(self, *columns, **kw):
        return None

    def info(self, text):
        self.lines.append(text)

    def warn(self, text):
        self.lines.append(text)


def test_plain_progress_line_every_10_seconds_with_an_eta_right_from_the_start():
    from mailtrap_cli.batch.runner import Totals
    from mailtrap_cli.views.batch import BatchProgress as View

    clock = FakeClock()
    out, totals = PlainOut(), Totals()
    # 100,000 rows at 15 requests/s of 500: 13.3 s whatever the first answers suggest.
    view = View(out, "csv", "u.csv", 100_000, pace=lambda: 15 * 500, totals=totals,
                clock=clock)
    with view:
        clock.now += 0.15                    # the first chunk is back after one latency
        totals.sent += 500
        view.progress(500)
        assert out.lines == []               # not yet 10 s
        assert view.estimate(clock.now)[1] == pytest.approx(99_500 / 7500, rel=0.01)
        clock.now += 10
        totals.sent += 70_000
        view.progress(70_000)
    assert out.lines == ["sending: 70,500/100,000 rows; 70,500 sent, 0 rejected, 0 invalid, "
                         "0 unknown; 6,946 rows/s; ETA 0:00:04"]
    quiet = PlainOut()
    quiet.quiet = True
    with View(quiet, "csv", "u.csv", 10, totals=totals, clock=clock) as silent:
        clock.now += 20
        silent.progress(5)
    assert quiet.lines == []
