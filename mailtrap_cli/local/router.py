"""Requests, responses, path routing and the three Mailtrap error-body families."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


class HTTPError(Exception):
    """Raised by a handler to answer with an error body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


# The three families of API-NOTES.md.
def send_error(status: int, *messages: str) -> HTTPError:
    """send/bulk/sandbox hosts: {"success": false, "errors": [...]}"""
    return HTTPError(status, {"success": False, "errors": list(messages)})


def api_error(status: int, message: str) -> HTTPError:
    """mailtrap.io 401/404: {"error": "..."}"""
    return HTTPError(status, {"error": message})


def api_errors(status: int, errors: Any) -> HTTPError:
    """mailtrap.io 403/429/500 (string) and 422 (field -> [messages])."""
    return HTTPError(status, {"errors": errors})


def not_found(what: str = "Not Found") -> HTTPError:
    return api_error(404, what)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    stream: str = "transactional"      # "bulk" when the path came in under /bulk
    params: dict[str, Any] = field(default_factory=dict)
    _json: Any = None
    scheme: str = "http"               # "https" when the server speaks TLS

    @classmethod
    def build(cls, method: str, target: str, headers: dict[str, str], body: bytes) -> Request:
        path, _, qs = target.partition("?")
        stream = "transactional"
        if path == "/bulk" or path.startswith("/bulk/"):
            path = path[len("/bulk"):] or "/"
            stream = "bulk"
        lowered = {k.lower(): v for k, v in headers.items()}
        return cls(method.upper(), path, parse_qs(qs, keep_blank_values=True), lowered, body,
                   stream)

    def arg(self, name: str, default: Any = None) -> Any:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        value = self.arg(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except ValueError:
            raise api_errors(422, {name: [f"{name} must be an integer"]}) from None

    def json(self) -> Any:
        if self._json is None:
            if not self.body:
                return None
            try:
                self._json = json.loads(self.body)
            except (ValueError, UnicodeDecodeError):
                raise HTTPError(400, {"errors": "Invalid JSON body"}) from None
        return self._json

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return self.headers.get("api-token")


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False   # close the connection without answering (fault injection)
    trickle: float = 0.0  # seconds between the body's bytes over HTTP (fault injection)
    trickle_headers: bool = False  # with trickle: the status line and headers too

    @classmethod
    def of(cls, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        if isinstance(value, Response):
            return value
        if value is None and status == 204:
            return cls(204, b"", dict(headers or {}))
        if isinstance(value, bytes):
            hdrs = {"Content-Type": "application/octet-stream", **(headers or {})}
            return cls(status, value, hdrs)
        if isinstance(value, str):
            hdrs = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
            return cls(status, value.encode("utf-8"), hdrs)
        payload = json.dumps(value, ensure_ascii=False).encode("utf-8")
        return cls(status, payload, {"Content-Type": "application/json; charset=utf-8",
                                     **(headers or {})})


Handler = Callable[..., Any]
_PARAM = re.compile(r"\{(\w+)(?::(int|str|path))?\}")
# An {id:int} longer than 18 digits cannot be a stored (64-bit) id: 404, not an overflow.
_KINDS = {"int": (r"\d{1,18}", int), "str": (r"[^/]+", str), "path": (r".+", str)}


class Router:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], dict[str, Callable[[str], Any]],
                                Handler]] = []
        self.templates: list[tuple[str, str]] = []   # (method, pattern) as registered

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        converters: dict[str, Callable[[str], Any]] = {}

        def repl(match: re.Match[str]) -> str:
            name, kind = match.group(1), match.group(2) or "str"
            regex, conv = _KINDS[kind]
            converters[name] = conv
            return f"(?P<{name}>{regex})"

        regex = re.compile("^" + _PARAM.sub(repl, pattern) + "$")
        self.templates.append((method.upper(), pattern))
        self.routes.append((method.upper(), regex, converters, handler))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return decorator

    def serves(self, path: str) -> bool:
        """True when some route (any method) matches the path."""
        return any(regex.match(path) for _, regex, _, _ in self.routes)

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, Any]]:
        allowed = False
        for route_method, regex, converters, handler in self.routes:
            found = regex.match(path)
            if not found:
                continue
            if route_method != method:
                allowed = True
                continue
            params = {k: converters[k](v) for k, v in found.groupdict().items()}
            return handler, params
        if allowed:
            raise HTTPError(405, {"error": "Method Not Allowed"})
        raise not_found()
