"""Serve LocalApp over HTTP/1.1 (keep-alive) on loopback with the standard library."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mailtrap_cli.local.app import LocalApp
from mailtrap_cli.local.router import Request

# The largest request body any route accepts (a 50 MB batch) plus room for its
# JSON; a larger one is answered 413 before it is read.
MAX_BODY = 51 * 1024 * 1024
_PIECE = 1024 * 1024
_TOO_LARGE: Any = object()   # _read_body: over MAX_BODY


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mailtrap-local"
    # Headers and body go out in separate writes; with Nagle on, each keep-alive
    # answer waits ~40 ms for the client's delayed ACK (measured: 44 ms -> 1.3 ms).
    disable_nagle_algorithm = True
    app: LocalApp
    verbose = False

    def _read_body(self) -> Any:
        """The request body (Content-Length or chunked), read in bounded pieces and
        never past MAX_BODY: None when its length is unreadable, _TOO_LARGE when it
        is over the limit (known from Content-Length before reading anything)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024).split(b";")[0].strip()
                # Hex digits only: int() would take "-1" (and read to the end of the
                # stream, blocking this thread) or "+0x1_0".
                if not size_line or len(size_line) > 16 or not all(
                        c in b"0123456789abcdefABCDEF" for c in size_line):
                    return None
                size = int(size_line, 16)
                if size == 0:
                    while self.rfile.readline(1024).strip():  # trailers
                        pass
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    return _TOO_LARGE
                parts.append(self._read_exactly(size))
                self.rfile.readline(1024)  # the CRLF after each chunk
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not raw.isdigit() or not raw.isascii():
            return None
        length = int(raw)
        if length > MAX_BODY:
            return _TOO_LARGE
        return self._read_exactly(length) if length else b""

    def _read_exactly(self, length: int) -> bytes:
        parts = []
        left = length
        while left > 0:
            piece = self.rfile.read(min(left, _PIECE))
            if not piece:
                break
            parts.append(piece)
            left -= len(piece)
        return b"".join(parts)

    def _serve(self) -> None:
        body = self._read_body()
        if body is None or body is _TOO_LARGE:
            # The rest of the body is not read: the connection cannot be reused.
            self.close_connection = True
            from mailtrap_cli.local.router import Response

            response = (Response.of({"errors": "Bad Request: unreadable body length"}, 400)
                        if body is None else
                        Response.of({"errors": f"Request Entity Too Large: the limit is "
                                               f"{MAX_BODY} bytes"}, 413))
        else:
            req = Request.build(self.command, self.path, dict(self.headers.items()), body)
            # For answers that hold a URL of this server (an export's download).
            req.scheme = "https" if getattr(self.server, "ssl_context", None) else "http"
            response = self.app.handle(req)
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if response.trickle > 0 and response.trickle_headers:
            self._trickle(response)
            return
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.trickle > 0:   # a slow server, byte by byte (fault injection)
            import time

            for index in range(len(response.body)):
                self.wfile.write(response.body[index:index + 1])
                self.wfile.flush()
                time.sleep(response.trickle)
            return
        self.wfile.write(response.body)

    def _trickle(self, response: Any) -> None:
        """The whole answer, status line first, one byte at a time (fault injection)."""
        import time

        head = [f"HTTP/1.1 {response.status} Whatever"]
        head += [f"{k}: {v}" for k, v in response.headers.items()]
        head.append(f"Content-Length: {len(response.body)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body
        self.close_connection = True
        for index in range(len(data)):
            self.wfile.write(data[index:index + 1])
            self.wfile.flush()
            time.sleep(response.trickle)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class LocalServer(ThreadingHTTPServer):
    """One thread per connection. `close_connections` ends them all and waits for
    their handlers, so nothing touches the app (its database) after it is closed."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    # `local serve --tls`: an ssl.SSLContext; each connection's handshake runs on
    # its own handler thread, so a slow or plain-HTTP client stalls no one else.
    ssl_context: Any = None
    app: LocalApp | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._live: dict[threading.Thread, Any] = {}   # handler thread -> its socket
        self._live_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(10)
        try:
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except OSError:   # plain HTTP on the HTTPS port, an untrusting client, a timeout
            return
        conn.settimeout(None)
        self._track_tls(conn)
        try:
            super().finish_request(conn, client_address)
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _track_tls(self, conn: Any) -> None:
        """wrap_socket detached the accepted socket: `_live` gets the TLS one, so
        close_connections can end it."""
        with self._live_lock:
            self._live[threading.current_thread()] = conn

    @property
    def url(self) -> str:
        return server_url(self)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Registered before it starts, from the accepting thread: once shutdown()
        # returned, every handler thread there will ever be is in `_live`.
        thread = threading.Thread(target=self._run_handler, args=(request, client_address),
                                  daemon=True)
        with self._live_lock:
            self._live[thread] = request
        thread.start()

    def _run_handler(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._live_lock:
                self._live.pop(threading.current_thread(), None)

    def close_connections(self, timeout: float = 5.0) -> list[str]:
        """Close every open connection and wait up to `timeout` s for the handler
        threads; the names of those still running (none, unless a handler hangs)."""
        import time

        with self._live_lock:
            live = list(self._live.items())
        for _, sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread, _ in live:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [thread.name for thread, _ in live if thread.is_alive()]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that leaves mid-answer (`mailtrap ... | head`) is not a server error.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError) or (
                isinstance(exc, OSError) and self.app is not None and self.app.closing.is_set()):
            return
        if self.app is not None:   # outside a route (those answer 500 and record it)
            import traceback

            self.app.crashes.append(f"connection from {client_address}\n"
                                    + traceback.format_exc())
        super().handle_error(request, client_address)


class LocalServer6(LocalServer):
    address_family = socket.AF_INET6


def make_server(app: LocalApp, host: str = "127.0.0.1", port: int = 0, *,
                verbose: bool = False, ssl_context: Any = None) -> LocalServer:
    handler = type("Handler", (_Handler,), {"app": app, "verbose": verbose})
    cls = LocalServer6 if ":" in host else LocalServer  # ::1 needs an IPv6 socket
    httpd = cls((host, port), handler)
    httpd.ssl_context = ssl_context
    httpd.app = app
    return httpd


def server_url(httpd: LocalServer) -> str:
    host, port = httpd.server_address[:2]
    scheme = "https" if httpd.ssl_context is not None else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


class RunningServer:
    """A server on a background thread (tests, benchmarks, `smtp-test`)."""

    def __init__(self, db: str = ":memory:", host: str = "127.0.0.1", port: int = 0, *,
                 smtp: bool = False, tls: Any = None) -> None:
        self.app = LocalApp(db)
        # smtp=True also starts the SMTP listener on a free loopback port; with
        # tls (local.tls.TlsFiles) HTTPS, STARTTLS and an implicit-TLS SMTP port.
        self.smtp: Any = None
        self.smtps: Any = None
        context = tls.server_context() if tls is not None else None
        if smtp:
            from mailtrap_cli.local.smtp import SmtpListener

            self.smtp = SmtpListener(self.app, host, 0, tls_context=context).start()
            if context is not None:
                self.smtps = SmtpListener(self.app, host, 0, tls_context=context,
                                          implicit=True).start()
        self.httpd = make_server(self.app, host, port, ssl_context=context)
        self.host, self.port = self.httpd.server_address[:2]
        self.url = self.httpd.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       kwargs={"poll_interval": 0.05})
        self.thread.start()
        self.unfinished: list[str] = []

    def stop(self) -> None:
        """Stop accepting, end every connection, wait for the handlers, then close
        the database. `unfinished` names handler threads that would not end (the
        database is then left open rather than pulled from under them)."""
        for listener in (self.smtps, self.smtp):
            if listener is not None:
                listener.stop()
        self.app.closing.set()   # a handler sleeping on injected latency wakes up
        self.httpd.shutdown()
        self.httpd.server_close()
        self.unfinished = self.httpd.close_connections()
        if not self.unfinished:
            self.app.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
