"""`mailtrap auth`: log in (store a checked token), log out, status, token.

The token never comes from a flag value (it would leak to `ps` and shell
history): a hidden prompt on a terminal, or stdin with `--with-token`.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from mailtrap_cli import config
from mailtrap_cli.api.errors import AuthError, MailtrapError, NetworkError, UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer
from mailtrap_cli.output import View
from mailtrap_cli.profiles import (
    LOGIN_HINT,
    Probe,
    account_ids,
    mask,
    probe_token,
    profile_table,
    settings_for,
    target_profile,
)

app = Typer(help="Log in, log out and inspect credentials.")


def _status_table_row(row: dict[str, Any]) -> dict[str, Any]:
    accounts = ", ".join(f"{a.get('name')} ({a.get('id')})" for a in row["accounts"])
    return {**row, "accounts_text": accounts or row["detail"]}


STATUS = View(columns=[("profile", "PROFILE"), ("active", "ACTIVE"), ("token", "TOKEN"),
                       ("token_source", "SOURCE"), ("status", "STATUS"),
                       ("accounts_text", "ACCOUNTS")], row=_status_table_row,
              key=["profile", "status", "accounts_text"])


def _read_token(io: Any, with_token: bool) -> str:
    if with_token:
        words = io.read_text("-", "--with-token").split()
        if not words:
            raise UsageError("--with-token: no token on stdin",
                             hint="`mailtrap auth login --with-token < token.txt`")
        if len(words) > 1:
            raise UsageError(f"--with-token: expected one token on stdin, got {len(words)} words")
        return words[0]
    if not io.stdin_tty:
        raise UsageError("no terminal to ask for the token",
                         hint="pipe it in: `mailtrap auth login --with-token < token.txt`")
    token = io.secret("API token (input hidden)").strip()
    if not token or len(token.split()) != 1:
        raise UsageError("expected one token without spaces")
    return token


def _login_failure(probe: Probe, api_url: str) -> MailtrapError:
    nothing = "nothing was stored"
    if probe.status == "rejected":
        return AuthError(f"the token was rejected by {api_url}: {probe.detail}",
                         hint=f"copy it again from Mailtrap (Settings > API Tokens); {nothing}")
    if probe.status == "forbidden":
        return AuthError(f"the token may not read account details at {api_url}: {probe.detail}",
                         hint="use a token with account access, or set MAILTRAP_API_TOKEN "
                         f"for a sending-only token; {nothing}")
    err = probe.error or MailtrapError(probe.detail)
    err.hint = f"{err.hint}; {nothing}" if err.hint else nothing
    return err


@app.command()
def login(
    ctx: typer.Context,
    with_token: Annotated[bool, typer.Option(
        "--with-token", help="Read the token from stdin instead of asking.")] = False,
    account: Annotated[int | None, typer.Option(
        "--account", metavar="ID",
        help="Account to store when the token reaches several (default: the first).")] = None,
    token_flag: Annotated[str | None, typer.Option("--token", hidden=True)] = None,
) -> None:
    """Check an API token with Mailtrap and store it in the profile.

    Asks for the token (hidden) on a terminal; `--with-token` reads it from
    stdin. The token is checked with GET /api/accounts and stored, with the
    account id, in the profile (--profile, else MAILTRAP_PROFILE, else the
    default profile). A rejected token is not stored (exit 4).

    \b
    Examples:
      mailtrap auth login
      mailtrap auth login --with-token < ~/.secrets/mailtrap
      op read op://dev/mailtrap/token | mailtrap -p work auth login --with-token
    """
    state = get_state(ctx)
    out = state.out
    if token_flag is not None:
        raise UsageError("the token is never taken as a flag value: it would leak to `ps` "
                         "and shell history",
                         hint="run `mailtrap auth login` on a terminal, or pipe it to "
                         "`mailtrap auth login --with-token`")
    data = config.load_file()
    name = target_profile(state, data)
    if name == config.LOCAL_PROFILE:
        out.success("the local profile needs no login: the built-in server accepts any token")
        return
    token = _read_token(state.io, with_token)
    settings = settings_for(name, data)
    probe = probe_token(state, token, settings.hosts)
    if not probe.ok:
        raise _login_failure(probe, settings.hosts["api"])
    ids = account_ids(probe.accounts)
    if account is not None and account not in ids:
        known = ", ".join(map(str, ids)) or "none"
        raise UsageError(f"--account {account}: the token does not reach that account",
                         hint=f"accounts of this token: {known}; nothing was stored")
    chosen = account if account is not None else (ids[0] if ids else None)

    # Re-read under the config lock: keep what changed while we waited.
    with config.editing(warn=out.warn) as data:
        table = profile_table(data, name)
        table["token"] = token
        if chosen is not None:
            table["account_id"] = chosen
    path = config.config_path()

    label = next((f"{a.get('name')} ({chosen})" for a in probe.accounts
                  if str(a.get("id")) == str(chosen)), "no account")
    out.success(f"logged in to {label} as profile '{name}'; token stored in {path}")
    if len(ids) > 1 and account is None:
        out.info(f"the token reaches {len(ids)} accounts; another one: "
                 f"`mailtrap config set account_id ID -p {name}`")
    if os.environ.get(config.ENV["token"]):
        out.warn(f"{config.ENV['token']} is set and wins over the stored token")
    if config.active_profile_name(None, data)[0] != name:
        out.info(f"use it with `-p {name}`, or make it the default: `mailtrap config use {name}`")


@app.command()
def logout(
    ctx: typer.Context,
    all_profiles: Annotated[bool, typer.Option(
        "--all", help="Remove the token from every profile.")] = False,
) -> None:
    """Remove the stored token from the profile; its other settings stay.

    \b
    Examples:
      mailtrap auth logout
      mailtrap -p work auth logout
      mailtrap auth logout --all
    """
    state = get_state(ctx)
    out = state.out
    data = config.load_file()
    profiles = data.get("profiles", {})
    if all_profiles:
        names = sorted(n for n, table in profiles.items() if "token" in table)
    else:
        name = target_profile(state, data)
        if name == config.LOCAL_PROFILE and "token" not in profiles.get(name, {}):
            out.info("the local profile needs no login; nothing to do")
            return
        names = [name] if "token" in profiles.get(name, {}) else []
        if not names:
            out.info(f"profile '{name}' has no stored token; nothing to do")
    if names:
        with config.editing(warn=out.warn) as data:
            for name in names:
                data.get("profiles", {}).get(name, {}).pop("token", None)
        path = config.config_path()
        listed = ", ".join(f"'{n}'" for n in names)
        out.success(f"removed the token of profile {listed} from {path}")
    elif all_profiles:
        out.info("no profile has a stored token; nothing to do")
    if os.environ.get(config.ENV["token"]):
        out.warn(f"{config.ENV['token']} is still set in the environment and provides a token")


def _status_row(name: str, active: bool, settings: config.Settings, probe: Probe
                ) -> dict[str, Any]:
    return {
        "profile": name,
        "active": active,
        "token": mask(settings.token),
        "token_source": settings.token_source,
        "status": probe.status,
        "detail": probe.detail,
        "api_url": settings.hosts["api"],
        "account_id": settings.get("account_id"),
        "accounts": probe.accounts,
    }


def _active_failure(row: dict[str, Any], probe: Probe) -> MailtrapError | None:
    name = row["profile"]
    if probe.status == "missing":
        return AuthError(f"no API token for profile '{name}'", hint=LOGIN_HINT)
    if probe.status in ("rejected", "forbidden"):
        return AuthError(f"the token of profile '{name}' was {probe.status}: {probe.detail}",
                         hint="log in again: `mailtrap auth login`")
    if probe.status == "unreachable":
        return NetworkError(f"could not check the token of profile '{name}': {probe.detail}",
                            hint="check the network and `mailtrap doctor`")
    if probe.status == "error":
        return MailtrapError(f"could not check the token of profile '{name}': {probe.detail}")
    return None


@app.command()
def status(ctx: typer.Context) -> None:
    """Show where each profile's token comes from and whether it works.

    The token is shown by its last 4 characters only (`****abcd`).

    All profiles of the config file (and the active one), or only the profile
    given with --profile. Exit 4 when the active profile has no working token
    (missing, rejected or forbidden), 7 when the API could not be reached.

    \b
    Examples:
      mailtrap auth status
      mailtrap -p work auth status -o json | jq '.[0].status'
    """
    state = get_state(ctx)
    data = config.load_file()
    active = state.settings
    names = [active.profile]
    if not state.profile:
        names = sorted(set(data.get("profiles", {})) | {active.profile})
    rows: list[dict[str, Any]] = []
    probes: dict[tuple[str | None, str], Probe] = {}
    failure: MailtrapError | None = None
    for name in names:
        settings = active if name == active.profile else settings_for(name, data)
        key = (settings.token, settings.hosts["api"])
        if key not in probes:
            probes[key] = probe_token(state, settings.token, settings.hosts, attempts=2)
        probe = probes[key]
        row = _status_row(name, name == active.profile, settings, probe)
        rows.append(row)
        if row["active"]:
            failure = _active_failure(row, probe)
    state.out.emit(rows, STATUS)
    if failure is not None:
        raise failure


@app.command()
def token(ctx: typer.Context) -> None:
    """Print the active profile's token, raw, for `$(...)`.

    \b
    Examples:
      curl -H "Authorization: Bearer $(mailtrap auth token)" https://mailtrap.io/api/accounts
    """
    state = get_state(ctx)
    state.out.text(state.settings.require_token())
