"""The one context object: settings, streams, output and the API client, built lazily.

The root callback and every leaf command's global options write into one
State on the root click context (options.py, through typed setters); commands
read it with `get_state(ctx)`. Tests build their own with `State(io=IO.test())`.

The command kit lives here too: `perform` (a mutation: the dry run, the --yes
rule, the success line and the answer in one place), `resolve_id` and
`account_id` (ids from a flag, else the environment or the profile).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailtrap_cli.api.errors import AbortedError
from mailtrap_cli.io import IO


@dataclass
class State:
    profile: str | None = None
    output: str | None = None
    timeout: float | None = None
    yes: bool = False
    fields: list[str] | None = None
    io: IO = field(default_factory=IO)
    _settings: Any = field(default=None, repr=False)
    _out: Any = field(default=None, repr=False)
    _client: Any = field(default=None, repr=False)

    # -- what the global options set (options.py calls these) ---------------
    @property
    def quiet(self) -> bool:
        return self.io.quiet

    @property
    def debug(self) -> bool:
        return self.io.debug

    @property
    def no_color(self) -> bool:
        return self.io.no_color

    def set_profile(self, name: str) -> None:
        self.profile = name

    def set_output(self, mode: str) -> None:
        self.output = mode

    def set_quiet(self) -> None:
        self.io.quiet = True

    def set_no_color(self) -> None:
        self.io.no_color = True

    def set_debug(self) -> None:
        self.io.debug = True

    def set_timeout(self, seconds: float) -> None:
        self.timeout = seconds

    def set_fields(self, fields: list[str]) -> None:
        self.fields = fields
        if self._out is not None:
            self._out.fields = fields

    def set_yes(self) -> None:
        self.yes = True

    def use_settings(self, settings: Any) -> None:
        """Settings resolved elsewhere (doctor reads the file itself), used from now on."""
        self._settings = settings

    # -- lazily built pieces -----------------------------------------------
    @property
    def settings(self) -> Any:
        if self._settings is None:
            from mailtrap_cli import config

            self._settings = config.resolve(self.profile)
        return self._settings

    @property
    def has_out(self) -> bool:
        return self._out is not None

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
            self._out = Output(mode, io=self.io)
            self._out.fields = self.fields
        return self._out

    def client(self, *, need_token: bool = True) -> Any:
        if self._client is None:
            self._client = self.make_client(need_token=need_token)
        return self._client

    def make_client(self, *, need_token: bool = True, token: Any = ...,
                    hosts: dict[str, str] | None = None, attempts: int | None = None,
                    **overrides: Any) -> Any:
        """A new Client with this run's settings, owned (and closed) by the caller.
        For threads (a requests.Session must not be shared between them), and for a
        token or hosts other than the profile's (`auth login` checks a new token)."""
        from mailtrap_cli.api.client import Client, RetryPolicy

        if token is ...:
            settings = self.settings
            token = settings.require_token() if need_token else settings.token
        hosts = hosts if hosts is not None else self.settings.hosts
        options: dict[str, Any] = {
            "timeout": self.timeout or 30.0,
            "debug": self.io.debug_line if self.debug else None,
            "on_retry": self.io.retry_line,
            "adapters": _adapters(hosts),
        }
        if attempts is not None:
            retry = RetryPolicy.from_env()
            retry.attempts = attempts
            options["retry"] = retry
        options.update(overrides)
        return Client(token, hosts, **options)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- the command kit -----------------------------------------------------
    def confirm(self, question: str, yes: bool | None = None) -> None:
        """Ask on a terminal; require --yes otherwise. Declining exits 3; Ctrl-C 130."""
        if self.yes if yes is None else yes:
            return
        if not self.io.can_prompt:
            raise AbortedError(f"{question.rstrip('?')}: refused without --yes",
                               hint="pass --yes to confirm when not on a terminal")
        if not self.io.confirm(question):
            raise AbortedError("aborted: not confirmed")

    def perform(self, call: Any, *, dry_run: bool = False, confirm: str | None = None,
                done: str | Callable[[Any], str] | None = None, view: Any = None,
                emit: bool = True, yes: bool | None = None) -> Any:
        """Run one mutation the same way everywhere and return the API's answer.

        - dry_run: print the request (token redacted), send nothing, return None;
        - confirm: the question a destructive call asks on a terminal; off one,
          --yes is required (exit 3 without it);
        - done: the success line (or a function of the answer giving it);
        - view / emit: the answer is printed with `view` unless emit=False.
        """
        if dry_run:
            self.show_call(call)
            return None
        if confirm is not None:
            self.confirm(confirm, yes)
        result = call.send(self.client())
        if done is not None:
            self.out.success(done(result) if callable(done) else done)
        if emit:
            self.out.emit(result, view)
        return result

    def show_call(self, call: Any) -> None:
        """--dry-run: the request that would be sent (token redacted); nothing is sent."""
        from urllib.parse import urlencode

        settings = self.settings
        url = settings.hosts[call.host] + call.path
        query = {k: v for k, v in (call.params or {}).items() if v is not None}
        if query:
            url += "?" + urlencode(query, doseq=True)
        token = settings.token
        headers = {"Authorization": "Bearer ***" if token else None,
                   "Content-Type": "application/json",
                   **{k: "***" if k.lower() in ("authorization", "api-token") else v
                      for k, v in (call.headers or {}).items()}}
        request: dict[str, Any] = {"method": call.method.upper(), "url": url,
                                   "headers": headers}
        body = call.shown_body()
        if body is not None:
            request["body"] = body
        self.out.emit(request)
        if token:
            self.out.info("dry run: nothing was sent")
        else:
            self.out.info(f"dry run: nothing was sent; profile '{settings.profile}' has no API "
                          "token, so the real run would fail with exit 4 "
                          "(`mailtrap auth login` or MAILTRAP_API_TOKEN)")

    def resolve_id(self, key: str, value: Any, flag: str) -> int:
        return resolve_id(self, key, value, flag)

    def account_id(self, value: int | None = None) -> int:
        """--account, else MAILTRAP_ACCOUNT_ID, else the profile's account_id."""
        return resolve_id(self, "account_id", value, "--account")


def _adapters(hosts: dict[str, str]) -> dict[str, Any]:
    """The built-in server's in-process transport, when a host points at it."""
    from mailtrap_cli.config import LOCAL_INPROCESS_URL

    if not any(url.startswith(LOCAL_INPROCESS_URL) for url in hosts.values()):
        return {}
    from mailtrap_cli.local.transport import InProcessAdapter

    return {LOCAL_INPROCESS_URL: InProcessAdapter()}


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
