"""Test harness: the real CLI against the built-in server over real HTTP on 127.0.0.1.

- `isolated` (autouse): config, data and local DB under tmp_path; no MAILTRAP_*
  leaks in from the machine; fast retry backoff.
- `server`: a fresh built-in server (in-memory SQLite) on a free port.
- `cli`: runs `mailtrap ...` in process against `server` with the local profile
  and returns exit code, stdout and stderr separately.
- `run_mailtrap`: the same as a subprocess (entry point, signals, TTY).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from mailtrap_cli.local.http import RunningServer
from tests import spec_check

pytest_plugins = ["pytester"]   # tests of this harness run pytest on a sample file

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_configure(config: pytest.Config) -> None:
    import signal

    # Run in the background (`pytest &`, nohup) SIGINT is ignored, and children
    # inherit that: the tests that interrupt a `send batch` would fail. A handler
    # here makes every child start with the default again.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if in_ci() and not spec_check.available():
        raise pytest.UsageError(
            f"CI is set but {spec_check.SPEC_DIR} is missing: the OpenAPI check of every "
            "exchange (tests/spec_check.py) would be off; put the specs there")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    if not spec_check.available():
        terminalreporter.write_sep("-", "OpenAPI spec check OFF", yellow=True, bold=True)
        terminalreporter.write_line(
            f"{spec_check.SPEC_DIR} not found: no request or answer in this run was checked "
            "against the official specs (in CI, with env CI set, this is an error)")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes = b""

    def json(self) -> Any:
        return json.loads(self.stdout)

    def assert_clean_error(self, code: int) -> None:
        """The documented exit code and one `error:` line: no traceback, no
        'unexpected' last-resort message."""
        assert self.code == code, self
        assert self.stderr.startswith("error: "), self
        assert "Traceback" not in self.stderr
        assert "unexpected" not in self.stderr, self

    def jsonl(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return (f"Result(code={self.code}, stdout={self.stdout[:800]!r}, "
                f"stderr={self.stderr[:800]!r})")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in list(os.environ):
        if key.startswith("MAILTRAP_") or key in ("NO_COLOR",):
            monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("MAILTRAP_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("MAILTRAP_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("MAILTRAP_LOCAL_DB", str(home / "data" / "local.sqlite3"))
    monkeypatch.setenv("MAILTRAP_RETRY_BACKOFF", "0.01")
    monkeypatch.setenv("COLUMNS", "200")
    return home


class ServerHandle:
    """The running server plus helpers to drive its /_local control endpoints."""

    def __init__(self, running: RunningServer) -> None:
        self.running = running
        self.url = running.url
        self.app = running.app
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer test-control"

    def fault(self, **spec: Any) -> None:
        r = self.http.post(self.url + "/_local/faults", json=spec, timeout=5)
        r.raise_for_status()

    def configure(self, **spec: Any) -> None:
        r = self.http.post(self.url + "/_local/config", json=spec, timeout=5)
        r.raise_for_status()

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict]:
        params = {k: v for k, v in {"path": path, "method": method}.items() if v}
        r = self.http.get(self.url + "/_local/requests", params=params, timeout=5)
        r.raise_for_status()
        return r.json()

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.http.request(method, self.url + path, timeout=10, **kw)


# Servers whose handlers outlived their test: a crash they have later is still a failure.
_late_apps: list[tuple[str, Any, int]] = []


def _late_crashes() -> list[str]:
    return [f"{test}: {crash}" for test, app, seen in _late_apps for crash in app.crashes[seen:]]


@pytest.fixture(autouse=True)
def _no_late_crash() -> Iterator[None]:
    """Fails the test during which a handler of an earlier test's server crashed."""
    before = len(_late_crashes())
    yield
    late = _late_crashes()[before:]
    if late:
        pytest.fail("a built-in server handler crashed after its test ended:\n"
                    + "\n".join(late[:3]), pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _late_crashes() and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[ServerHandle]:
    yield from _checked(request, RunningServer(":memory:"))


@pytest.fixture
def tls_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerHandle]:
    """`server` over HTTPS, with SMTP (STARTTLS) and SMTPS listeners; the local CA
    is `handle.tls.ca` (made under tmp_path)."""
    pytest.importorskip("cryptography")
    from mailtrap_cli.local.tls import ensure

    files = ensure(tmp_path / "tls")
    handle_iter = _checked(request, RunningServer(":memory:", smtp=True, tls=files))
    handle = next(handle_iter)
    handle.tls = files
    handle.http.verify = str(files.ca)
    handle.http.trust_env = False   # REQUESTS_CA_BUNDLE in the environment would win
    yield handle
    yield from handle_iter


def _checked(request: pytest.FixtureRequest, running: RunningServer) -> Iterator[ServerHandle]:
    """Yield a handle on `running`; every exchange is checked against the specs and
    the test fails when the server crashed in a handler."""
    problems: list[str] = []
    checking = spec_check.available() and request.node.get_closest_marker("no_spec_check") is None
    if checking:
        def observe(req: Any, response: Any) -> None:
            try:
                problems.extend(spec_check.check(
                    req.method, req.path, req.stream, req.query, req.body, response.status,
                    response.body, response.headers.get("Content-Type", "")))
            except Exception as exc:  # noqa: BLE001 - a checker bug must not hang the server
                problems.append(f"spec check crashed on {req.method} {req.path}: {exc!r}")

        running.app.observers.append(observe)
    try:
        yield ServerHandle(running)
    finally:
        running.stop()
    if running.unfinished:
        _late_apps.append((request.node.nodeid, running.app, len(running.app.crashes)))
        pytest.fail("the built-in server's handler threads did not end within 5 s of its "
                    f"stop: {', '.join(running.unfinished)}", pytrace=False)
    if running.app.crashes:
        pytest.fail("the built-in server crashed in a handler (answered 500):\n"
                    + "\n".join(running.app.crashes[:3]), pytrace=False)
    if problems:
        unique = list(dict.fromkeys(problems))
        pytest.fail("OpenAPI spec check (tests/spec_check.py) found requests or answers that "
                    "do not match ../shared/mailtrap-openapi:\n  " + "\n  ".join(unique[:20]),
                    pytrace=False)


def _invoke(args: list[str], env: dict[str, str], stdin: bytes | str | None,
            monkeypatch: pytest.MonkeyPatch) -> Result:
    from mailtrap_cli.app import main

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    data = stdin.encode() if isinstance(stdin, str) else (stdin or b"")
    fake_in = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    out_buf, err_buf = io.BytesIO(), io.BytesIO()
    fake_out = io.TextIOWrapper(out_buf, encoding="utf-8", write_through=True)
    fake_err = io.TextIOWrapper(err_buf, encoding="utf-8", write_through=True)
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = fake_in, fake_out, fake_err
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        fake_out.flush()
        fake_err.flush()
        sys.stdin, sys.stdout, sys.stderr = saved
    raw = out_buf.getvalue()
    return Result(code, raw.decode("utf-8", "replace"),
                  err_buf.getvalue().decode("utf-8", "replace"), raw)


@pytest.fixture
def cli(server: ServerHandle, monkeypatch: pytest.MonkeyPatch):
    """`cli("sandbox", "messages", "list")` -> Result, against `server`, profile local."""

    def run(*args: str, env: dict[str, str] | None = None, stdin: bytes | str | None = None
            ) -> Result:
        base = {"MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url}
        base.update(env or {})
        with monkeypatch.context() as m:
            return _invoke(list(args), base, stdin, m)

    return run


@pytest.fixture
def cli_raw(monkeypatch: pytest.MonkeyPatch):
    """Run the CLI in process with only the environment given (no server implied)."""

    def run(*args: str, env: dict[str, str] | None = None, stdin: bytes | str | None = None
            ) -> Result:
        with monkeypatch.context() as m:
            return _invoke(list(args), env or {}, stdin, m)

    return run


@pytest.fixture
def run_mailtrap():
    """Run the installed entry point as a subprocess."""

    def run(*args: str, env: dict[str, str] | None = None, input: bytes | None = None,
            timeout: float = 60) -> Result:
        full_env = dict(os.environ)
        full_env.update(env or {})
        proc = subprocess.run([sys.executable, "-m", "mailtrap_cli", *args], input=input,
                              capture_output=True, env=full_env, timeout=timeout)
        return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                      proc.stderr.decode("utf-8", "replace"), proc.stdout)

    return run


@pytest.fixture
def arrivals(server: ServerHandle) -> Any:
    """Every API request as it reaches `server` (tests/arrivals.py): method, path,
    headers and arrival time, counted before any latency or fault."""
    from tests.arrivals import watch

    return watch(server.app)
