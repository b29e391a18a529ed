"""Test helpers for webhooks: a recording receiver on 127.0.0.1 and the payload
schema check of webhook-payloads.openapi.yml."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests import spec_check


class Receiver:
    """Records every POST (path, headers, raw body); answers `statuses` in turn
    (then 200)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append({"path": self.path, "body": body,
                                              "headers": dict(self.headers.items()),
                                              "status": status})
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def receiver(statuses: list[int] | None = None) -> Iterator[Receiver]:
    r = Receiver(statuses)
    try:
        yield r
    finally:
        r.stop()


@functools.lru_cache(maxsize=1)
def _event_schema() -> dict[str, Any] | None:
    path = spec_check.SPEC_DIR / "webhook-payloads.openapi.yml"
    if not path.is_file():
        return None
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return spec_check._inline(doc["components"]["schemas"]["SendingWebhookEvent"], doc)


def event_problems(event: dict[str, Any]) -> list[str]:
    """How `event` breaks SendingWebhookEvent (empty without ../shared)."""
    schema = _event_schema()
    if schema is None:
        return []
    strict = {**schema, "additionalProperties": False}
    return [e.message for e in spec_check._validator(strict).iter_errors(event)]


class ListenProcess:
    """`mailtrap webhooks listen --port 0` as a subprocess: its URL, and its stdout
    and stderr lines as they come."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        import os
        import queue
        import subprocess
        import sys

        full_env = {**os.environ, **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mailtrap_cli", "webhooks", "listen", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.err_lines: list[str] = []
        for stream, target in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, target), daemon=True).start()
        line = self.stderr_until("listening on ")
        self.url = line.split("listening on ", 1)[1].split()[0]

    @staticmethod
    def _pump(stream: Any, target: Any) -> None:
        for raw in iter(stream.readline, b""):
            target.put(raw.decode("utf-8", "replace").rstrip("\n"))
        target.put(None)

    def stderr_until(self, text: str, timeout: float = 20) -> str:
        import queue
        import time

        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.err.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no stderr line with {text!r}; got {self.err_lines}"
                                     ) from None
            if line is None:
                raise AssertionError(f"listen ended before {text!r}; stderr: {self.err_lines}")
            self.err_lines.append(line)
            if text in line:
                return line

    def events(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        """The next `count` JSON lines of stdout."""
        import json
        import queue
        import time

        deadline = time.monotonic() + timeout
        found = []
        while len(found) < count:
            try:
                line = self.out.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"got {len(found)} of {count} events; stderr: "
                                     f"{self.err_lines}") from None
            if line is None:
                raise AssertionError(f"listen ended; stderr: {self.err_lines}")
            found.append(json.loads(line))
        return found

    def no_more_output(self) -> bool:
        return self.out.empty()

    def stop(self, signum: int | None = None) -> tuple[int, list[str]]:
        """SIGTERM (or `signum`); the exit code and the rest of stderr."""
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signum or signal.SIGTERM)
        code = self.proc.wait(timeout=20)
        rest = []
        while True:
            line = self.err.get(timeout=5)
            if line is None:
                break
            rest.append(line)
        self.err_lines.extend(rest)
        return code, self.err_lines
