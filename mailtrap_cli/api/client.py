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
import math
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mailtrap_cli import __version__
from mailtrap_cli.api.errors import (
    APIError,
    AuthError,
    ExitCode,
    MailtrapError,
    NetworkError,
    UnknownOutcomeError,
    error_for_status,
    parse_error_body,
)
from mailtrap_cli.api.ratelimit import Pacing

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_REDIRECTS = 3
MAX_BODY = 64 * 1024 * 1024   # an answer read into memory (downloads stream instead)
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
        seconds = float(value)
    except ValueError:
        pass
    else:
        # -5, nan, inf: no usable hint; back off normally rather than at once.
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
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
    left = when.timestamp() - now
    return left if left > 0 else None   # a past date: back off normally


# `"signing_secret": "..."` in a JSON body (webhook create answers it once).
# Values shown once on purpose (a webhook's signing secret, a new API token from
# `account tokens create|reset`), never in --debug lines.
_SECRET_FIELD = re.compile(r'("(?:signing_secret|token)"\s*:\s*")[^"]*(")')

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
        self.pacing = Pacing.from_env()   # per-token and per-family limits (api/ratelimit.py)
        self.max_body = MAX_BODY
        # About the last successful call: how many attempts it took, and the server's
        # clock (its Date header) when it answered (`messages wait` needs both).
        self.last_attempts = 0
        self._past_deadline: float | None = None
        self.last_server_time: Any = None
        self.session = requests.Session()
        adapter = _watched_adapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        # session.send() skips requests' environment merge: honour a CA bundle named
        # there (`eval "$(mailtrap local env)"` names the `local serve --tls` CA).
        self.session.verify = _env_ca_bundle() or True
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
        """The token, and every webhook signing secret or new API token (the value
        of a `signing_secret` or `token` field, as their create answers), become ***."""
        if self.token and self.token in text:
            text = text.replace(self.token, "***")
        if "signing_secret" in text or '"token"' in text:
            text = _SECRET_FIELD.sub(r"\1***\2", text)
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
                idempotent: bool | None = None, raw: bool = False, stream: bool = False,
                expect: Any = None) -> Any:
        """Send a request with retries; JSON (or None) back, or the Response when raw.

        `expect`: the type the 2xx JSON body must have (dict or list), or a function
        answering why a body is wrong (None when fine). A 2xx body that is not JSON,
        or not of that shape, is an error (for a send: outcome unknown).
        """
        import requests

        method = method.upper()
        safe = method in IDEMPOTENT if idempotent is None else idempotent
        url = self.url(host, path)
        if isinstance(params, dict):
            params = {k: v for k, v in params.items() if v is not None}
        for key, value in (headers or {}).items():
            _check_header(key, value)
        req = requests.Request(method, url, params=params, json=json, data=data,
                               headers=headers or {})
        try:
            prepared = self.session.prepare_request(req)
        except (ValueError, requests.exceptions.InvalidHeader) as exc:
            # json= with NaN/inf (requests' InvalidJSONError), a header with a line break.
            from mailtrap_cli.api.errors import UsageError

            raise UsageError(f"{method} {self.redact(_path_of(url))}: the request cannot be "
                             f"sent: {self.redact(str(exc))}") from None
        waited = 0.0
        attempt = 0
        redirects = 0
        while True:
            attempt += 1
            self._log_request(prepared)
            started = time.monotonic()
            try:
                with self.pacing.turn(method, host, _path_of(url), self.deadline) as turn:
                    response = self._exchange(prepared, stream=stream or raw,
                                              read_body=not stream)
                    turn.answer(response.status_code,
                                retry_after_seconds(response.headers.get("Retry-After")))
            except _CallTimedOut as exc:
                raise self._timed_out(method, url, safe, exc.seconds) from None
            except _TooLarge as exc:
                raise APIError(f"{method} {self.redact(_path_of(url))}: the answer is larger "
                               f"than {exc.limit // (1024 * 1024)} MiB; it was not read",
                               hint="ask for less (--limit, filters), or check the host "
                                    "settings (`mailtrap config list`)") from None
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
                    err = NetworkError(f"cannot reach {_origin(url)}: {reason}",
                                       hint="check the network, the host settings "
                                       "(`mailtrap config list`) and `mailtrap doctor`")
                    err.retry_in = self._past_deadline  # type: ignore[attr-defined]
                    raise err from None
                self._notify(f"{reason}; retrying in {delay:.1f}s")
                self.sleep(delay)
                waited += delay
                continue
            self._log_response(response, time.monotonic() - started)
            status = response.status_code
            if 300 <= status < 400 and response.headers.get("Location"):
                target = self._redirect(method, url, response, safe, redirects)
                response.close()
                redirects += 1
                url = target
                prepared = prepared.copy()
                prepared.prepare_url(target, None)
                attempt -= 1   # following is not a retry
                continue
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
            if not 200 <= status < 300:
                err = self._error(method, url, response, safe)
                if gave_up:
                    err.message += f" ({gave_up})"
                    # The wait the next try needed, when the deadline forbade it: a
                    # caller polling until that deadline (messages wait) stops here.
                    err.retry_in = self._past_deadline  # type: ignore[attr-defined]
                raise err
            self.last_attempts = attempt
            self.last_server_time = _server_time(response)
            if raw:
                return response
            return self._checked(method, url, response, safe, expect)

    def _exchange(self, prepared: Any, *, stream: bool, read_body: bool) -> Any:
        """One HTTP exchange. The body is read here, under one time limit for the
        whole answer (a server trickling bytes cannot hold the call for longer than
        the read timeout) and a size cap; a raw stream's body is left to iter_body."""
        import requests

        limit = self.timeout[1]
        if self.deadline is not None:
            limit = max(0.2, min(limit, self.deadline - time.monotonic()))
        # Armed by the connection once the request is sent (an upload is not timed
        # here): from then on, headers and body together get `limit` seconds.
        # A little past the read timeout: a server that sends nothing at all is
        # reported by the socket timeout ("no answer before the read timeout").
        watch = _Watchdog(limit + 0.1)
        _WATCHED.watch = watch
        try:
            response = self.session.send(prepared, timeout=self._timeouts(), stream=True,
                                         allow_redirects=False)
        except requests.exceptions.RequestException:
            watch.cancel()
            if watch.expired:
                raise _CallTimedOut(limit) from None
            raise
        finally:
            _WATCHED.watch = None
        if not read_body:
            watch.cancel()
            return response
        watch.attach_response(response)
        try:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_body:
                response.close()
                raise _TooLarge(self.max_body)
            parts: list[bytes] = []
            total = 0
            for piece in response.iter_content(64 * 1024):
                total += len(piece)
                if total > self.max_body:
                    response.close()
                    raise _TooLarge(self.max_body)
                parts.append(piece)
                if watch.expired:
                    break
        except Exception:
            if watch.expired:
                raise _CallTimedOut(limit) from None
            raise
        finally:
            watch.cancel()
        if watch.expired:
            response.close()
            raise _CallTimedOut(limit)
        response._content = b"".join(parts)
        response._content_consumed = True
        if stream:
            import io

            response.raw = io.BytesIO(response._content)
        return response

    def iter_body(self, response: Any, chunk: int = 64 * 1024) -> Any:
        """A streamed (raw=True, stream=True) answer's bytes in chunks. Large downloads
        may take long, but each chunk must arrive within the read timeout: a stalled
        or trickling one is cut (NetworkError, exit 7, "timed out")."""
        import requests

        limit = self.timeout[1]
        try:
            while True:
                watch = _Watchdog(limit, response)
                try:
                    piece = response.raw.read(chunk)
                except Exception as exc:
                    if watch.expired or isinstance(exc, (requests.exceptions.Timeout,
                                                         TimeoutError)) \
                            or "timed out" in str(exc).lower():
                        raise NetworkError(f"download timed out: no progress for {limit:g}s",
                                           hint="retry, or raise --timeout") from None
                    raise NetworkError(f"download failed: {_network_reason(exc)}",
                                       hint="retry the download") from None
                finally:
                    watch.cancel()
                if watch.expired:
                    raise NetworkError(f"download timed out: no progress for {limit:g}s",
                                       hint="retry, or raise --timeout")
                if not piece:
                    return
                yield piece
        finally:
            response.close()

    def _timed_out(self, method: str, url: str, safe: bool, seconds: float) -> MailtrapError:
        what = f"{method} {self.redact(_path_of(url))}"
        reason = f"timed out: the answer did not complete within {seconds:g}s"
        if safe:
            return NetworkError(f"{what}: {reason}",
                                hint="the server is slow or stalled; retry, or raise --timeout")
        err = UnknownOutcomeError(f"{what}: {reason}; the outcome is unknown (the request may "
                                  "have been processed), so it was not retried",
                                  hint="check before sending again (the API has no "
                                       "idempotency key)")
        err.exit_code = ExitCode.NETWORK
        return err

    def _redirect(self, method: str, url: str, response: Any, safe: bool,
                  redirects: int) -> str:
        """Where a redirect leads, when it may be followed; else the error."""
        from urllib.parse import urljoin

        status = response.status_code
        target = urljoin(url, response.headers["Location"])
        what = f"{method} {self.redact(_path_of(url))}"
        if not safe:
            # Re-sending a message on a 307 loop delivered it over and over.
            raise APIError(f"{what}: the server answered HTTP {status} (a redirect to "
                           f"{self.redact(target)}); a send or change is never redirected, "
                           "so nothing was re-sent",
                           hint="check the host settings (`mailtrap config list`): the URL "
                                "may need https:// or another host", status=status)
        if _origin(target) != _origin(url):
            raise APIError(f"{what}: the server redirects to another host "
                           f"({_origin(self.redact(target))}); not followed, so the token "
                           "stays with the configured host",
                           hint="check the host settings (`mailtrap config list`)",
                           status=status)
        if redirects >= MAX_REDIRECTS:
            raise APIError(f"{what}: more than {MAX_REDIRECTS} redirects; gave up",
                           status=status)
        return target

    def _checked(self, method: str, url: str, response: Any, safe: bool, expect: Any) -> Any:
        """The 2xx body as JSON, refused when it is not JSON or not of the expected shape:
        a captive portal's HTML or `{"success": false}` is not a success."""
        status = response.status_code
        content = response.content
        if status == 204 or not content:
            if expect is None:
                return None
            return self._bad_answer(method, url, response, safe, "an empty answer")
        try:
            body = jsonlib.loads(content)
        except (ValueError, RecursionError):
            return self._bad_answer(method, url, response, safe, "an answer that is not JSON")
        if isinstance(body, dict) and body.get("success") is False:
            detail = parse_error_body(body) or "no details"
            return self._bad_answer(method, url, response, safe,
                                    f"a failure report ({self.redact(detail)})")
        problem = None
        if isinstance(expect, (type, tuple)):
            if not isinstance(body, expect):
                wanted = " or ".join(_kind(t()) for t in (
                    expect if isinstance(expect, tuple) else (expect,)))
                problem = f"{_kind(body)} where {wanted} was expected"
        elif callable(expect):
            problem = expect(body)
        if problem:
            return self._bad_answer(method, url, response, safe, problem)
        return body

    def _bad_answer(self, method: str, url: str, response: Any, safe: bool,
                    what: str) -> Any:
        start = response.content[:120].decode("utf-8", "replace").strip()
        shown = f": {self.redact(start)!r}" if start else ""
        message = (f"{method} {self.redact(_path_of(url))}: HTTP {response.status_code} with "
                   f"{what}{shown}")
        if safe:
            raise APIError(message, hint="a proxy, captive portal or another service may "
                           "answer at this address; check the host settings "
                           "(`mailtrap config list`) and `mailtrap doctor`",
                           status=response.status_code)
        raise UnknownOutcomeError(message + "; the outcome is unknown",
                                  hint="check before sending again (the API has no "
                                       "idempotency key)", status=response.status_code)

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
        self._past_deadline = None
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
            self._past_deadline = delay
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


def _check_header(key: str, value: Any) -> None:
    """An HTTP header a server can read: latin-1 text without line breaks or control
    characters (\v, \f, U+2028 are line breaks to some parsers), else UsageError."""
    from mailtrap_cli.api.errors import UsageError

    text = str(value)
    bad_key = not key or any(not (33 <= ord(c) <= 126) or c == ":" for c in key)
    bad_value = any((ord(c) < 32 and c != "\t") or ord(c) == 127 or ord(c) > 255
                    for c in text)
    if bad_key or bad_value:
        raise UsageError(f"header {key!r}: {'name' if bad_key else 'value'} has a line "
                         "break, a control character or a character HTTP headers cannot "
                         "carry", hint="HTTP header values are plain latin-1 text on one line")


class _CallTimedOut(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class _TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class _Watchdog:
    """Cuts an answer that is still arriving after `seconds`: shutting its socket
    down wakes the read blocked on it (a socket timeout only bounds each read).
    Started by attach() (from the connection, once the request is sent) or
    attach_response(); never started for the in-process transport."""

    def __init__(self, seconds: float, response: Any = None) -> None:
        import threading

        self.expired = False
        self.seconds = seconds
        self._sock: Any = None
        self._lock = threading.Lock()
        self._timer: Any = None
        if response is not None:
            self.attach_response(response)

    def attach(self, sock: Any) -> None:
        import threading

        with self._lock:
            self._sock = sock
            if self._timer is None and sock is not None:
                self._timer = threading.Timer(self.seconds, self._fire)
                self._timer.daemon = True
                self._timer.start()

    def attach_response(self, response: Any) -> None:
        sock = _socket_of(response)
        with self._lock:
            if self._timer is not None:
                return   # already running since the request went out
        self.attach(sock)

    def _fire(self) -> None:
        import socket

        with self._lock:
            self.expired = True
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._sock = None


class _Watched:
    """The watchdog of the request this thread is sending (see _watched_adapter)."""

    def __init__(self) -> None:
        import threading

        self._local = threading.local()

    @property
    def watch(self) -> _Watchdog | None:
        return getattr(self._local, "watch", None)

    @watch.setter
    def watch(self, value: _Watchdog | None) -> None:
        self._local.watch = value


_WATCHED = _Watched()


def _watched_adapter() -> Any:
    """An HTTPAdapter whose connections arm the calling thread's watchdog with
    their socket when they start waiting for the answer, so a server trickling
    its headers is cut too, not only one trickling its body."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def getresponse(self: Any, base: Any) -> Any:
        watch = _WATCHED.watch
        if watch is not None:
            watch.attach(getattr(self, "sock", None))
        return base.getresponse(self)

    class Conn(HTTPConnection):
        def getresponse(self) -> Any:  # type: ignore[override]
            return getresponse(self, HTTPConnection)

    class SConn(HTTPSConnection):
        def getresponse(self) -> Any:  # type: ignore[override]
            return getresponse(self, HTTPSConnection)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Conn

    class SPool(HTTPSConnectionPool):
        ConnectionCls = SConn

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SPool}

    return Adapter()


def _server_time(response: Any) -> Any:
    """The answer's Date header as an aware datetime, or None."""
    value = response.headers.get("Date")
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        from datetime import timezone

        when = when.replace(tzinfo=timezone.utc)
    return when


def _socket_of(response: Any) -> Any:
    raw = getattr(response, "raw", None)
    connection = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:   # the connection object may already be released: the fp holds it
        fp = getattr(raw, "_fp", None)
        sock = getattr(getattr(getattr(fp, "fp", None), "raw", None), "_sock", None)
    return sock


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


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


def _env_ca_bundle() -> str | None:
    import os

    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
