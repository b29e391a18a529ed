"""Profile helpers shared by `auth`, `config` and `doctor`: which profile a
command acts on, settings for any profile, token masking, and the one probe
that tells whether a token works (GET /api/accounts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailtrap_cli import config
from mailtrap_cli.api.errors import AuthError, MailtrapError, NetworkError

LOGIN_HINT = ("run `mailtrap auth login`, set MAILTRAP_API_TOKEN, "
                 "or use `--profile local` for the built-in server")


def mask(token: str | None) -> str | None:
    """`****abcd`: the last four characters only, and none of a short token."""
    if not token:
        return None
    return "****" + token[-4:] if len(token) >= 12 else "****"


def target_profile(state: Any, data: dict[str, Any]) -> str:
    """The profile a writing command acts on: --profile, MAILTRAP_PROFILE,
    default_profile, else `default`. Unlike reading, it may not exist yet."""
    name, _ = config.active_profile_name(state.profile, data)
    return name


def settings_for(name: str, data: dict[str, Any]) -> config.Settings:
    """Resolved settings as if `--profile name` were given, even for a
    profile the file does not hold yet (login creates it)."""
    profiles = dict(data.get("profiles", {}))
    profiles.setdefault(name, {})
    return config.resolve(name, {**data, "profiles": profiles})


def profile_table(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The [profiles.NAME] table of `data`, created when missing."""
    profiles = data.setdefault("profiles", {})
    return profiles.setdefault(name, {})


def make_client(state: Any, token: str | None, hosts: dict[str, str], *,
                attempts: int | None = None, timeout: float | None = None) -> Any:
    """A client for a token and hosts other than the active profile's (the State's
    own loggers, so --debug and -q behave as for state.client())."""
    return state.make_client(token=token, hosts=hosts, attempts=attempts,
                             timeout=timeout or state.timeout or 30.0,
                             connect_timeout=min(10.0, timeout or 10.0))


@dataclass
class Probe:
    """What GET /api/accounts said about a token."""

    status: str                  # valid | rejected | forbidden | unreachable | error | missing
    detail: str
    accounts: list[dict[str, Any]] = field(default_factory=list)
    error: MailtrapError | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"


def probe_token(state: Any, token: str | None, hosts: dict[str, str], *,
                attempts: int | None = None, timeout: float | None = None) -> Probe:
    if not token:
        return Probe("missing", "no token")
    client = None
    try:
        client = make_client(state, token, hosts, attempts=attempts, timeout=timeout)
        from mailtrap_cli.api.accounts import list_accounts

        body = list_accounts(client)
    except AuthError as err:
        kind = "forbidden" if err.status == 403 else "rejected"
        detail = f"HTTP {err.status}: {_why(err)}" if err.status else err.message
        return Probe(kind, detail, error=err)
    except NetworkError as err:
        return Probe("unreachable", err.message, error=err)
    except MailtrapError as err:
        return Probe("error", err.message, error=err)
    finally:
        if client is not None:
            client.close()
    accounts = [a for a in body if isinstance(a, dict)] if isinstance(body, list) else []
    names = ", ".join(f"{a.get('name')} ({a.get('id')})" for a in accounts) or "no accounts"
    return Probe("valid", f"accepted: {names}", accounts)


def _why(err: MailtrapError) -> str:
    """The API's own words from an error message `GET /path: HTTP 401: why`."""
    return err.message.rsplit(": ", 1)[-1]


def account_ids(accounts: list[dict[str, Any]]) -> list[int]:
    ids = []
    for account in accounts:
        try:
            ids.append(int(account.get("id")))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return ids
