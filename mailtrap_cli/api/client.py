"""One requests.Session for the run: hosts, auth, User-Agent, timeouts, retries, errors.

Retry policy (DESIGN.md, HTTP behaviour):
- idempotent calls retry on 429, 502, 503, 504 and on connection errors;
- sends (POST/PATCH) retry on 429 and on failures where the request never
  left (connection refused, connect timeout); anything else after the bytes
  went out is an unknown outcome and is reported, never silently resent
  (exit 1 after a 5xx, exit 7 after a network failure);
- a TLS failure is not retried at all: nothing was sent and a retry meets the
  same certificate or protocol (exit 7 at once);
- `Retry-After` (seconds or HTTP-date) is honoured, else exponential backoff
  with jitter (each wait in [cap/2, cap]); a single wait over `max_sleep` or a
  total over `max_total` gives up at once rather than sleeping.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailtrap_cli import __version__
from mailtrap_cli.api.errors import (
    AuthError,
    ExitCode,
    MailtrapError,
    NetworkError,
    UnknownOutcomeError,
    error_for_status,
    parse_error_body,
)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# (platform, random and email.utils are imported where used: command modules import
# api/ at start-up, and `--help` should not pay for them.)
USER_AGENT = f"mailtrap-cli/{__version__} python/{'.'.join(map(str, sys.version_info[:3]))}"


@dataclass
class RetryPolicy:
    attempts: int = 5            # total tries, first one included
    backoff: float = 0.5         # first backoff in seconds, doubled each time
    max_sleep: float = 30.0      # longest single wait
    max_total: float = 60.0      # give up when waiting would pass this

    @classmethod
    def from_env(cls) -> RetryPolicy:
        policy = cls()
        # Tests and CI shrink the backoff; users rarely need to.
        raw = os.environ.get("MAILTRAP_RETRY_BACKOFF")
        if raw:
            with contextlib.suppress(ValueError):
                policy.backoff = max(0.0, float(raw))
        raw = os.environ.get("MAILTRAP_RETRY_ATTEMPTS")
        if raw and raw.isdigit():
            policy.attempts = max(1, int(raw))
        return policy


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000": UTC, not the machine's local time
        from datetime import timezone

        when = when.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class Client:
    """Thin wrapper over one requests.Session; returns the API's JSON untouched."""

    def __init__(self, token: str | None, hosts: dict[str, str], *, timeout: float = 30.0,
                 connect_timeout: float = 10.0, debug: Callable[[str], None] | None = None,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 on_retry: Callable[[str], None] | None = None,
                 adapters: dict[str, Any] | None = None) -> None:
        """`adapters`: URL prefix -> requests transport adapter (the caller mounts the
        built-in server's in-process one; the client knows nothing about it)."""
        import requests

        if token:
            # A token pasted with a newline or spaces would end up, unredacted, in
            # requests' "invalid header" error: refuse it without showing it.
            token = token.strip()
            if not token.isprintable() or any(c.isspace() for c in token):
                raise AuthError("the API token contains spaces or control characters",
                                hint="set it again with `mailtrap auth login` "
                                "or check MAILTRAP_API_TOKEN")
            if not token.isascii():  # HTTP headers cannot carry it
                raise AuthError("the API token contains non-ASCII characters",
                                hint="set it again with `mailtrap auth login` "
                                "or check MAILTRAP_API_TOKEN")
        self.token = token
        self.hosts = dict(hosts)
        self.timeout = (connect_timeout, timeout)
        # A time.monotonic() instant no request or retry may run past (set by
        # commands that wait with a --timeout of their own, like `messages wait`).
        self.deadline: float | None = None
        self.debug = debug
        self.retry = retry or RetryPolicy.from_env()
        self.sleep = sleep
        self.on_retry = on_retry
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        for prefix, adapter in (adapters or {}).items():
            self.session.mount(prefix, adapter)

    def close(self) -> None:
        self.session.close()

    # -- helpers ---------------------------------------------------------
    def url(self, host: str, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        base = self.hosts[host]
        return base + (path if path.startswith("/") else "/" + path)

    def redact(self, text: str) -> str:
        if self.token and self.token in text:
            text = text.replace(self.token, "***")
        if '"token"' in text or '"signing_secret"' in text:
            # A new API token (tokens create/reset) or webhook secret in a body: the
            # value is shown once, on purpose, never in --debug lines.
            import re

            text = re.sub(r'("(?:token|signing_secret)"\s*:\s*")[^"]*(")', r"\1***\2", text)
        return text

    def _log(self, text: str) -> None:
        if self.debug:
            self.debug(self.redact(text))

    def _log_request(self, prepared: Any) -> None:
        if not self.debug:
            return
        lines = [f"> {prepared.method} {prepared.url}"]
        for key, value in prepared.headers.items():
            if key.lower() in ("authorization", "api-token"):
                value = value.split(" ")[0] + " ***" if " " in value else "***"
            lines.append(f"> {key}: {value}")
        body = prepared.body
        if body:
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            if isinstance(body, str):
                body = self.redact(body)  # before cutting, so no part of the token is left
                lines.append("> " + (body if len(body) <= 2000 else body[:2000] + "…"))
        self._log("\n".join(lines))

    def _log_response(self, response: Any, elapsed: float) -> None:
        if not self.debug:
            return
        lines = [f"< {response.status_code} {response.reason} ({elapsed * 1000:.0f} ms)"]
        for key, value in response.headers.items():
            lines.append(f"< {key}: {value}")
        ctype = response.headers.get("Content-Type", "")
        if "json" in ctype or ctype.startswith("text/"):
            text = self.redact(response.text)
            lines.append("< " + (text if len(text) <= 2000 else text[:2000] + "…"))
        elif response.headers.get("Content-Length", "0") != "0":
            # Binary: its size only (read from the header, so a stream stays unread).
            size = response.headers["Content-Length"]
            lines.append(f"< [{size} bytes {ctype or 'without a type'}]")
        self._log("\n".join(lines))

    # -- the one request path ---------------------------------------------
    def request(self, method: str, host: str, path: str, *, params: Any = None,
                json: Any = None, data: Any = None, headers: dict[str, str] | None = None,
                idempotent: bool | None = None, raw: bool = False, stream: bool = False) -> Any:
        """Send a request with retries; JSON (or None) back, or the Response when raw."""
        import requests

        method = method.upper()
        safe = method in IDEMPOTENT if idempotent is None else idempotent
        url = self.url(host, path)
        if isinstance(params, dict):
            params = {k: v for k, v in params.items() if v is not None}
        req = requests.Request(method, url, params=params, json=json, data=data,
                               headers=headers or {})
        prepared = self.session.prepare_request(req)
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self._log_request(prepared)
            started = time.monotonic()
            try:
                response = self.session.send(prepared, timeout=self._timeouts(), stream=stream)
            except requests.exceptions.RequestException as exc:
                sent = not _never_sent(exc)
                reason = _network_reason(exc)
                self._log(f"! {method} {url}: {reason}")
                if isinstance(exc, requests.exceptions.SSLError):
                    # The handshake failed: nothing was sent, and a retry meets the same
                    # certificate or protocol.
                    raise NetworkError(f"cannot reach {_origin(url)}: {reason}",
                                       hint="an https:// URL on a plain-HTTP port, a proxy, "
                                       "or a certificate the system does not trust") from None
                if sent and not safe:
                    # A network failure (exit 7, DESIGN.md) whose outcome is unknown.
                    err = UnknownOutcomeError(
                        f"{method} {self.redact(url)}: {reason}; the outcome is unknown (the "
                        "request may have been processed), so it was not retried",
                        hint="check before sending again (the API has no idempotency key)",
                    )
                    err.exit_code = ExitCode.NETWORK
                    raise err from None
                delay = self._next_delay(attempt, waited, None)
                if delay is None:
                    raise NetworkError(f"cannot reach {_origin(url)}: {reason}",
                                       hint="check the network, the host settings "
                                       "(`mailtrap config list`) and `mailtrap doctor`") from None
                self._notify(f"{reason}; retrying in {delay:.1f}s")
                self.sleep(delay)
                waited += delay
                continue
            self._log_response(response, time.monotonic() - started)
            status = response.status_code
            gave_up = None
            if status in RETRY_STATUSES and (safe or status == 429):
                hint_delay = retry_after_seconds(response.headers.get("Retry-After"))
                delay = self._next_delay(attempt, waited, hint_delay)
                if delay is not None:
                    response.close()
                    self._notify(f"HTTP {status}; retrying in {delay:.1f}s")
                    self.sleep(delay)
                    waited += delay
                    continue
                gave_up = self._gave_up(attempt, hint_delay)
            if status >= 400:
                err = self._error(method, url, response, safe)
                if gave_up:
                    err.message += f" ({gave_up})"
                raise err
            if raw:
                return response
            return _decode(response)

    def _notify(self, text: str) -> None:
        self._log(text)
        if self.on_retry:
            self.on_retry(text)

    def _timeouts(self) -> tuple[float, float]:
        if self.deadline is None:
            return self.timeout
        left = max(0.2, self.deadline - time.monotonic())
        return (min(self.timeout[0], left), min(self.timeout[1], left))

    def _next_delay(self, attempt: int, waited: float, hinted: float | None) -> float | None:
        if attempt >= self.retry.attempts:
            return None
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return None
        if hinted is not None:
            delay = hinted
        else:
            cap = min(self.retry.max_sleep, self.retry.backoff * (2 ** (attempt - 1)))
            import random

            delay = random.uniform(cap / 2, cap)  # jitter, never zero growth
        if delay > self.retry.max_sleep or waited + delay > self.retry.max_total:
            return None
        if self.deadline is not None and time.monotonic() + delay > self.deadline:
            return None
        return delay

    def _error(self, method: str, url: str, response: Any, safe: bool) -> MailtrapError:
        status = response.status_code
        text = ""
        body: Any = None
        try:
            text = response.text
            body = jsonlib.loads(text) if text.strip() else None
        except ValueError:
            body = None
        detail = parse_error_body(body, text) or response.reason or "no details"
        message = f"{method} {self.redact(_path_of(url))}: HTTP {status}: {self.redact(detail)}"
        if status >= 500 and not safe:
            err = UnknownOutcomeError(
                message + "; the outcome is unknown, so it was not retried",
                hint="check before sending again (the API has no idempotency key)",
                status=status, body=body)
            err.exit_code = ExitCode.ERROR
            return err
        return error_for_status(status, message, body)

    def _gave_up(self, attempt: int, hinted: float | None) -> str:
        """Why a retryable answer was not retried, for the error message."""
        if hinted is not None and hinted > self.retry.max_sleep and attempt < self.retry.attempts:
            return (f"the server asked to wait {hinted:.0f}s, more than the "
                    f"{self.retry.max_sleep:.0f}s limit")
        return f"gave up after {attempt} attempt{'s' if attempt > 1 else ''}"

    # -- conveniences ------------------------------------------------------
    def get(self, host: str, path: str, **kw: Any) -> Any:
        return self.request("GET", host, path, **kw)

    def post(self, host: str, path: str, **kw: Any) -> Any:
        return self.request("POST", host, path, **kw)

    def put(self, host: str, path: str, **kw: Any) -> Any:
        return self.request("PUT", host, path, **kw)

    def patch(self, host: str, path: str, **kw: Any) -> Any:
        return self.request("PATCH", host, path, **kw)

    def delete(self, host: str, path: str, **kw: Any) -> Any:
        return self.request("DELETE", host, path, **kw)


def _decode(response: Any) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    ctype = response.headers.get("Content-Type", "")
    if "json" in ctype:
        try:
            return response.json()
        except ValueError:
            return response.text
    try:
        return response.json()
    except ValueError:
        return response.text


def _never_sent(exc: Exception) -> bool:
    """True when the failure happened before any byte of the request left."""
    import requests

    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True  # SSLError first: it is also a ConnectionError
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = repr(exc)
        return any(s in text for s in ("NewConnectionError", "Connection refused",
                                       "Name or service not known", "NameResolutionError",
                                       "nodename nor servname", "Failed to resolve"))
    return isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema))


def _network_reason(exc: Exception) -> str:
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer before the read timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return "TLS error: certificate verify failed"
        if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
            return "TLS error: the server does not speak TLS there (an http:// URL?)"
        return "TLS error"
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "RemoteDisconnected" in text or "Connection aborted" in text or "reset" in text.lower():
        return "the connection was closed without an answer"
    if "resolve" in text.lower() or "Name or service" in text:
        return "host name could not be resolved"
    return type(exc).__name__


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path or "/"
