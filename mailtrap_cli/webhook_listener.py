"""A local receiver for Mailtrap webhooks (`mailtrap webhooks listen`), without UI.

The HTTP handler only checks and acknowledges: it verifies `Mailtrap-Signature`
(401 when missing or wrong), parses either payload format (400 when neither),
answers 200 at once and queues the request. One worker thread takes requests
in arrival order, drops events whose `event_id` it has seen before, and hands
each request to `on_delivery` (the command prints and forwards there), so a
slow forward target never delays the acknowledgement Mailtrap waits for.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailtrap_cli.webhook_events import SIGNATURE_HEADER, decode, verify

MAX_BODY = 20 * 1024 * 1024
SEEN_LIMIT = 100_000


@dataclass
class Delivery:
    """One accepted request: its raw body and headers, its events, and which of
    them were not seen before."""

    body: bytes
    content_type: str
    signature: str | None
    events: list[dict[str, Any]]
    fresh: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    peer: str = ""
    received: float = field(default_factory=time.time)


class Seen:
    """The last SEEN_LIMIT event ids, oldest forgotten first."""

    def __init__(self, limit: int = SEEN_LIMIT) -> None:
        self.limit = limit
        self.ids: OrderedDict[str, None] = OrderedDict()

    def add(self, event_id: Any) -> bool:
        """True when `event_id` is new (an event without one always is)."""
        if not isinstance(event_id, str) or not event_id:
            return True
        if event_id in self.ids:
            self.ids.move_to_end(event_id)
            return False
        self.ids[event_id] = None
        if len(self.ids) > self.limit:
            self.ids.popitem(last=False)
        return True


class Listener:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, secret: str | None,
                 on_delivery: Callable[[Delivery], None],
                 on_reject: Callable[[str, int], None], max_body: int = MAX_BODY) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.secret = secret
        self.on_delivery = on_delivery
        self.on_reject = on_reject
        self.max_body = max_body
        self.seen = Seen()
        self.accepted = 0
        self.rejected = 0
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "mailtrap-cli-listen"
            timeout = 30  # a client that stops sending mid-body does not hold a thread forever

            def _answer(self, status: int, text: str) -> None:
                payload = (text + "\n").encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:  # noqa: N802
                status, text = listener._receive(self)
                self._answer(status, text)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(200, "mailtrap webhooks listen: POST webhook deliveries here")

            def _refuse(self) -> None:
                self._answer(405, "only POST is accepted")

            do_PUT = do_PATCH = do_DELETE = _refuse  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        server_cls: type[ThreadingHTTPServer] = ThreadingHTTPServer
        if ":" in host:
            import socket

            server_cls = type("Server6", (ThreadingHTTPServer,),
                              {"address_family": socket.AF_INET6})
        self.httpd = server_cls((host, port), Handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self._worker = threading.Thread(target=self._work, name="listen-worker", daemon=True)
        self._worker.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in str(self.host) else self.host
        return f"http://{host}:{self.port}/"

    # -- the request thread: check, answer, queue ----------------------------------
    def _receive(self, handler: Any) -> tuple[int, str]:
        peer = handler.client_address[0]
        raw = (handler.headers.get("Content-Length") or "").strip()
        if not raw.isdigit():
            handler.close_connection = True
            return self._reject(peer, 411, "a Content-Length is required")
        length = int(raw)
        if length > self.max_body:
            handler.close_connection = True
            return self._reject(peer, 413, f"body of {length} bytes is over {self.max_body}")
        body = handler.rfile.read(length)
        signature = handler.headers.get(SIGNATURE_HEADER)
        if self.secret is not None:
            if not signature:
                return self._reject(peer, 401, f"unsigned request (no {SIGNATURE_HEADER})")
            if not verify(self.secret, body, signature):
                return self._reject(peer, 401, "wrong signature (not signed with this secret)")
        try:
            events = decode(body)
        except ValueError as exc:
            return self._reject(peer, 400, f"not a webhook payload: {exc}")
        self.accepted += 1
        self._queue.put(Delivery(body, handler.headers.get("Content-Type") or "",
                                 signature, events, peer=peer))
        return 200, "ok"

    def _reject(self, peer: str, status: int, reason: str) -> tuple[int, str]:
        self.rejected += 1
        self.on_reject(f"{peer}: {reason}", status)
        return status, reason

    # -- the worker: dedup, hand over ------------------------------------------------
    def _work(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            for event in delivery.events:
                if self.seen.add(event.get("event_id")):
                    delivery.fresh.append(event)
                else:
                    delivery.duplicates += 1
            try:
                self.on_delivery(delivery)
            except Exception as exc:  # noqa: BLE001 - one bad delivery must not stop the listener
                self.on_reject(f"handling a delivery failed: {exc!r}", 0)

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.1)

    def shutdown(self) -> None:
        """Stop a serve_forever running on another thread, then close."""
        self.httpd.shutdown()
        self.close()

    def close(self, drain_timeout: float = 10.0) -> None:
        """Stop accepting, then let the worker finish what was acknowledged."""
        self.httpd.server_close()
        self._queue.put(None)
        self._worker.join(drain_timeout)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = 10.0
         ) -> tuple[int | None, float, str | None, str]:
    """POST `body` as it is: (status or None, seconds, error or None, answer text)."""
    import requests

    started = time.monotonic()
    try:
        response = requests.post(url, data=body, headers=headers, timeout=timeout,
                                 allow_redirects=False)
    except requests.RequestException as exc:
        return None, time.monotonic() - started, _short_reason(exc), ""
    text = response.text[:500]
    response.close()
    return response.status_code, time.monotonic() - started, None, text


def forward(url: str, delivery: Delivery, *, timeout: float = 10.0
            ) -> tuple[int | None, float, str | None]:
    """Re-send a delivery unchanged (body, Content-Type, signature) to `url`:
    (status or None, seconds, error or None)."""
    headers = {"Content-Type": delivery.content_type or "application/json",
               "User-Agent": "mailtrap-cli-listen"}
    if delivery.signature:
        headers[SIGNATURE_HEADER] = delivery.signature
    status, seconds, error, _text = post(url, delivery.body, headers, timeout=timeout)
    return status, seconds, error


def _short_reason(exc: Exception) -> str:
    import requests

    if isinstance(exc, requests.ConnectionError):
        return "connection refused or unreachable"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return type(exc).__name__
