"""The one context object: settings, output and the API client, built lazily.

The root callback and every leaf command's global options write into one
State on the root click context; commands read it with `get_state(ctx)`.
Tests build their own by running the real app with their own environment.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from mailtrap_cli.api.errors import AbortedError


@dataclass
class State:
    profile: str | None = None
    output: str | None = None
    quiet: bool = False
    no_color: bool = False
    debug: bool = False
    timeout: float | None = None
    _settings: Any = field(default=None, repr=False)
    _out: Any = field(default=None, repr=False)
    _client: Any = field(default=None, repr=False)

    # -- lazily built pieces -----------------------------------------------
    @property
    def settings(self) -> Any:
        if self._settings is None:
            from mailtrap_cli import config

            self._settings = config.resolve(self.profile)
        return self._settings

    @property
    def out(self) -> Any:
        if self._out is None:
            import os

            from mailtrap_cli.output import MODES, Output

            mode = self.output or os.environ.get("MAILTRAP_OUTPUT") or "auto"
            source = "--output" if self.output else "MAILTRAP_OUTPUT"
            if not self.output and mode == "auto":
                try:
                    mode = self.settings.get("output") or "auto"
                    source = "the profile's output setting"
                except Exception:  # noqa: BLE001 - a bad config is reported later
                    mode = "auto"
            if mode not in MODES:
                from mailtrap_cli.api.errors import UsageError

                raise UsageError(f"{source}: '{mode}' is not one of {', '.join(MODES)}")
            self._out = Output(mode, quiet=self.quiet, no_color=self.no_color)
        return self._out

    def client(self, *, need_token: bool = True) -> Any:
        if self._client is None:
            self._client = self.make_client(need_token=need_token)
        return self._client

    def make_client(self, *, need_token: bool = True, **overrides: Any) -> Any:
        """A new Client with this run's settings, owned (and closed) by the caller.
        For threads: a requests.Session must not be shared between them."""
        from mailtrap_cli.api.client import Client

        settings = self.settings
        token = settings.require_token() if need_token else settings.token
        options: dict[str, Any] = {
            "timeout": self.timeout or 30.0,
            "debug": self._debug_line if self.debug else None,
            "on_retry": None if self.debug else self._retry_line,
        }
        options.update(overrides)
        return Client(token, settings.hosts, **options)

    def _debug_line(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def _retry_line(self, text: str) -> None:
        if not self.quiet:
            print(f"retry: {text}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- shared behaviours -------------------------------------------------
    def confirm(self, question: str, yes: bool) -> None:
        """Ask on a TTY; require --yes otherwise. Declining exits 3."""
        if yes:
            return
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise AbortedError(f"{question.rstrip('?')}: refused without --yes",
                               hint="pass --yes to confirm when not on a terminal")
        import typer

        if not typer.confirm(question, default=False, err=True):
            raise AbortedError("aborted: not confirmed")

    def dry_run(self, method: str, host: str, path: str, *, params: dict | None = None,
                body: Any = None, headers: dict[str, str] | None = None) -> None:
        """Print the request that would be sent (token redacted) and send nothing."""
        from urllib.parse import urlencode

        settings = self.settings
        base = settings.hosts[host]
        url = base + path
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if query:
            url += "?" + urlencode(query, doseq=True)
        request: dict[str, Any] = {
            "method": method.upper(),
            "url": url,
            "headers": {"Authorization": "Bearer ***", "Content-Type": "application/json",
                        **{k: "***" if k.lower() in ("authorization", "api-token") else v
                           for k, v in (headers or {}).items()}},
        }
        if body is not None:
            request["body"] = body
        self.out.emit(request)
        self.out.info("dry run: nothing was sent")


def get_state(ctx: Any) -> State:
    return ctx.find_root().ensure_object(State)


def resolve_id(state: State, key: str, value: Any, flag: str) -> int:
    """An id from its flag, else the profile/environment default, else a usage error."""
    if value is None:
        value = state.settings.require(key, flag)
    try:
        return int(value)
    except (TypeError, ValueError):
        from mailtrap_cli.api.errors import UsageError

        raise UsageError(f"{key.replace('_', ' ')} must be a number, got '{value}'") from None
