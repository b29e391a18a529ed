"""Errors are data: every failure the CLI reports is a MailtrapError with its exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    ABORTED = 3
    AUTH = 4
    NOT_FOUND = 5
    RATE_LIMITED = 6
    NETWORK = 7
    PARTIAL = 8
    TIMED_OUT = 9
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # the reader of stdout left early (`| head`), as after SIGPIPE


class MailtrapError(Exception):
    """Base error. `message` is what failed and why; `hint` says what to do."""

    exit_code: int = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None,
                 body: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status
        self.body = body


class UsageError(MailtrapError):
    """Bad flag, unreadable file, malformed input: nothing was sent."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The config file is unreadable or invalid."""


class AbortedError(MailtrapError):
    exit_code = ExitCode.ABORTED


class AuthError(MailtrapError):
    exit_code = ExitCode.AUTH


class NotFoundError(MailtrapError):
    exit_code = ExitCode.NOT_FOUND


class RateLimitedError(MailtrapError):
    exit_code = ExitCode.RATE_LIMITED


class NetworkError(MailtrapError):
    exit_code = ExitCode.NETWORK


class UnknownOutcomeError(MailtrapError):
    """A send whose outcome is unknown (timeout, 5xx, dropped connection after
    sending). It is never resent automatically: it may have been delivered."""

    exit_code = ExitCode.ERROR


class PartialFailureError(MailtrapError):
    exit_code = ExitCode.PARTIAL


class TimedOutError(MailtrapError):
    """A wait (messages wait, import/export polling) gave up."""

    exit_code = ExitCode.TIMED_OUT


class APIError(MailtrapError):
    """Any other non-2xx answer."""


def error_for_status(status: int, message: str, body: object = None) -> MailtrapError:
    """Map an HTTP status to the error class whose exit code DESIGN.md gives it."""
    hint = None
    if status in (401, 403):
        cls: type[MailtrapError] = AuthError
        hint = ("check the token with `mailtrap auth status`" if status == 401
                else "the token lacks permission for this resource or account")
    elif status == 404:
        cls = NotFoundError
    elif status == 429:
        cls = RateLimitedError
        hint = "the API allows 150 requests per 10 s per token; try again shortly"
    elif status in (400, 409, 413, 422):
        cls = APIError
    else:
        cls = APIError
    return cls(message, hint=hint, status=status, body=body)


def parse_error_body(body: object, text: str = "") -> str:
    """One message out of the three Mailtrap error-body families.

    1. {"success": false, "errors": ["...", ...]}       (send/bulk/sandbox hosts)
    2. {"error": "Incorrect API token"}                   (mailtrap.io 401/404)
    3. {"errors": "..."} or {"errors": {"field": [...]}} (mailtrap.io 403/422/429/500)
       and contact-import 422: [{"email": ..., "errors": {...}}]
    """
    parts: list[str] = []

    def flatten(value: object, prefix: str = "") -> None:
        if value is None:
            return
        if isinstance(value, str):
            parts.append(f"{prefix}{value}" if prefix else value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                label = "" if key == "base" else f"{key}: "
                flatten(inner, f"{prefix}{label}" if label else prefix)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                flatten(inner, prefix)
        else:
            parts.append(f"{prefix}{value}")

    if isinstance(body, dict):
        if "errors" in body:
            flatten(body["errors"])
        if "error" in body:
            flatten(body["error"])
        if not parts and "message" in body:
            flatten(body["message"])
    elif isinstance(body, list):
        for item in body:
            if isinstance(item, dict) and "errors" in item:
                who = item.get("email") or item.get("id")
                flatten(item["errors"], f"{who}: " if who else "")
            else:
                flatten(item)
    if not parts and text:
        snippet = text.strip().splitlines()[0] if text.strip() else ""
        if snippet and not snippet.lstrip().startswith("<"):
            parts.append(snippet[:300])
    return "; ".join(p for p in parts if p)
