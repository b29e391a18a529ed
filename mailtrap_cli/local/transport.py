"""A requests transport adapter that answers the `local` profile in-process.

With no `mailtrap local serve` running, the local profile's requests go
straight to a LocalApp over the same SQLite file the server uses, so the
offline workflow needs nothing started and both see the same messages.
"""

from __future__ import annotations

import os
import threading
from io import BytesIO
from pathlib import Path
from typing import Any

from requests.adapters import BaseAdapter
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout
from requests.models import Response as RequestsResponse
from requests.structures import CaseInsensitiveDict

from mailtrap_cli.local.router import Request

_apps: dict[str, Any] = {}
FLUSH_SECONDS = 5.0
_lock = threading.Lock()


def default_db() -> Path:
    override = os.environ.get("MAILTRAP_LOCAL_DB")
    if override:
        return Path(override).expanduser()
    from mailtrap_cli.config import data_dir

    return data_dir() / "local.sqlite3"


def open_app(path: str, what: str = "MAILTRAP_LOCAL_DB") -> Any:
    """A LocalApp over `path`; a path that cannot hold the database is a usage error."""
    import sqlite3

    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.local.app import LocalApp

    try:
        return LocalApp(path)
    except (OSError, sqlite3.DatabaseError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot open the built-in server's database {path} ({what}): {reason}",
                         hint="give a file path in a writable folder, or :memory:") from None


def app_for(db: str | Path | None = None) -> Any:
    key = str(db or default_db())
    with _lock:
        if key not in _apps:
            _apps[key] = open_app(key)
        return _apps[key]


class InProcessAdapter(BaseAdapter):
    def __init__(self, db: str | Path | None = None) -> None:
        super().__init__()
        self.db = db

    def send(self, request: Any, stream: bool = False, timeout: Any = None, verify: Any = True,
             cert: Any = None, proxies: Any = None) -> RequestsResponse:
        from urllib.parse import urlsplit

        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        req = Request.build(request.method, target, dict(request.headers), body)
        app = app_for(self.db)
        result = app.handle(req)
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        if read_timeout and app.limits.latency > read_timeout \
                and not req.path.startswith("/_local/"):
            # As over HTTP: the work is done, the answer comes too late.
            raise ReadTimeout(f"Read timed out. (read timeout={read_timeout})",
                              request=request)
        if result.drop:
            raise RequestsConnectionError("Connection aborted: RemoteDisconnected",
                                          request=request)
        if request.method == "HEAD":  # headers only, as over HTTP
            result.body = b""
        response = RequestsResponse()
        response.status_code = result.status
        response.headers = CaseInsensitiveDict(result.headers)
        response.raw = BytesIO(result.body)
        response._content = result.body
        response.url = request.url
        response.request = request
        response.reason = _REASONS.get(result.status, "")
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Before the run ends, let webhook events of its sends go out (at most
        FLUSH_SECONDS: a receiver that is down is not waited for through every retry)."""
        app = _apps.get(str(self.db or default_db()))
        dispatcher = getattr(app, "webhook_dispatcher", None) if app is not None else None
        if dispatcher is not None:
            dispatcher.flush(FLUSH_SECONDS)


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            409: "Conflict", 413: "Payload Too Large", 422: "Unprocessable Entity",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}
