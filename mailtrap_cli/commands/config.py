"""`mailtrap config`: read and change profiles and their settings.

Effective values follow flag > environment > profile > default, and each one
is shown with where it came from. Writes are atomic (config.save_file).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from mailtrap_cli import config
from mailtrap_cli.api.errors import MailtrapError, UsageError
from mailtrap_cli.api.sending import STREAMS
from mailtrap_cli.context import get_state
from mailtrap_cli.options import OUTPUT_CHOICES, Typer, complete_profile
from mailtrap_cli.output import View
from mailtrap_cli.profiles import mask, profile_table, target_profile

app = Typer(help="Read and change profiles and settings.")

HOST_KEYS = tuple(f"{host}_url" for host in config.HOSTS)
ID_KEYS = ("account_id", "sandbox_id", "project_id")
URL_KEYS = ("base_url", *HOST_KEYS)
READ_KEYS = ("profile", *config.PROFILE_KEYS)


def _complete_key(incomplete: str) -> list[tuple[str, str]]:
    return [(key, help_) for key, help_ in config.PROFILE_KEYS.items()
            if key != "token" and key.startswith(incomplete)]


def _complete_profile(incomplete: str) -> list[str]:
    return complete_profile(None, None, incomplete)


KeyArg = Annotated[str, typer.Argument(metavar="KEY", autocompletion=_complete_key,
                                       help="Setting name (see `mailtrap config list`).")]


def _host_source(key: str, settings: config.Settings, stored: dict[str, Any]) -> str:
    name = settings.profile
    if os.environ.get(config.ENV["base_url"]):
        return f"env {config.ENV['base_url']}"
    if stored.get(key):
        return f"profile {name}"
    if stored.get("base_url"):
        return f"profile {name} (base_url)"
    if settings.is_local:
        return "built-in (local profile)"
    return "default"


def effective(state: Any) -> list[dict[str, Any]]:
    """Every setting of the active profile: {key, value, source}; the token masked."""
    data = config.load_file()
    settings = state.settings
    stored = data.get("profiles", {}).get(settings.profile, {})
    _, profile_source = config.active_profile_name(state.profile, data)
    rows = [{"key": "profile", "value": settings.profile, "source": profile_source},
            {"key": "token", "value": mask(settings.token),
             "source": settings.token_source or "unset"},
            {"key": config.WEBHOOK_SECRET_KEY, "value": mask(settings.webhook_secret),
             "source": settings.webhook_secret_source or "unset"}]
    for key in config.PROFILE_KEYS:
        if key == "token":
            continue
        if key in HOST_KEYS:
            host = key[:-len("_url")]
            rows.append({"key": key, "value": settings.hosts[host],
                         "source": _host_source(key, settings, stored)})
            continue
        value, source = settings.get(key), settings.sources.get(key, "unset")
        if key == "output":
            if state.output:
                value, source = state.output, "flag --output"
            elif value is None:
                value, source = "auto", "default"
        rows.append({"key": key, "value": value, "source": source})
    return rows


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Show every setting of the active profile and where its value comes from.

    Sources: flag, env (environment variable), profile (config file),
    built-in (the local profile), default; `unset` when nothing gives one.

    \b
    Examples:
      mailtrap config list
      mailtrap -p work config list -o json
    """
    state = get_state(ctx)
    rows = effective(state)
    state.out.info(f"config file: {config.config_path()}")
    state.out.emit(rows, columns=[("key", "KEY"), ("value", "VALUE"), ("source", "SOURCE")])


@app.command()
def get(ctx: typer.Context, key: KeyArg) -> None:
    """Print one effective setting, raw, for `$(...)`. Exit 1 when it is not set.

    \b
    Examples:
      mailtrap config get sandbox_id
      SANDBOX=$(mailtrap -p work config get sandbox_id)
    """
    if key == "token":
        raise UsageError("`config get` does not print the token", hint="use `mailtrap auth token`")
    if key == config.WEBHOOK_SECRET_KEY:
        raise UsageError("`config get` does not print the webhook secret",
                         hint="`webhooks verify|listen|test` read it from the profile")
    if key != "profile":
        config.check_key(key)
    state = get_state(ctx)
    row = next(r for r in effective(state) if r["key"] == key)
    if row["value"] in (None, ""):
        raise MailtrapError(f"{key} is not set for profile '{state.settings.profile}'",
                            hint=f"`mailtrap config set {key} VALUE`")
    state.out.text(str(row["value"]))


def parse_value(key: str, value: str) -> Any:
    """Check a value for `config set` and convert it to what the file stores."""
    value = value.strip()
    if not value:
        raise UsageError(f"{key}: empty value", hint=f"to remove it: `mailtrap config unset {key}`")
    if key in ID_KEYS:
        if not value.isdigit() or int(value) < 1:
            raise UsageError(f"{key} must be a positive number, got '{value}'")
        return int(value)
    if key in URL_KEYS:
        config.check_url(value, key)  # the same rule as when the profile is read
        return value.rstrip("/")
    if key == "output" and value not in OUTPUT_CHOICES:
        raise UsageError(f"output must be one of {', '.join(OUTPUT_CHOICES)}, got '{value}'")
    if key == "stream" and value not in STREAMS:
        raise UsageError(f"stream must be one of {', '.join(STREAMS)}, got '{value}'")
    if key == "from":
        from mailtrap_cli.message import parse_address

        try:  # the same rule `send email --from` applies to the value later
            parse_address(value)
        except ValueError as exc:
            raise UsageError(f"from must be an email address: {exc}",
                             hint="e.g. 'App <app@example.com>'") from None
    return value


@app.command("set")
def set_(
    ctx: typer.Context,
    key: KeyArg,
    value: Annotated[str, typer.Argument(metavar="VALUE", help="New value.")],
) -> None:
    """Store a setting in the profile (created if new).

    The token is set with `mailtrap auth login`, never here.

    \b
    Examples:
      mailtrap config set sandbox_id 123456
      mailtrap config set from 'App <app@example.com>'
      mailtrap -p staging config set base_url http://127.0.0.1:8025
    """
    config.check_key(key)
    parsed = parse_value(key, value)
    state = get_state(ctx)
    # Read, change and write under the config lock: parallel runs keep every change.
    with config.editing(warn=state.out.warn) as data:
        name = target_profile(state, data)
        profile_table(data, name)[key] = parsed
    path = config.config_path()
    state.out.success(f"{key} = {parsed!r} in profile '{name}' ({path})")
    if key.endswith("_url") and isinstance(parsed, str):
        cleartext = config.cleartext_warning(parsed)
        if cleartext:
            state.out.warn(cleartext)
    env = config.ENV.get(key)
    if env and os.environ.get(env):
        state.out.warn(f"{env} is set and wins over the profile's {key}")


@app.command()
def unset(ctx: typer.Context, key: KeyArg) -> None:
    """Remove a setting from the profile, so the default applies again.

    \b
    Examples:
      mailtrap config unset sandbox_id
    """
    if key == "token":
        raise UsageError("the token is removed with `mailtrap auth logout`")
    if key != config.WEBHOOK_SECRET_KEY:
        config.check_key(key)
    state = get_state(ctx)
    with config.editing(warn=state.out.warn) as data:
        name = target_profile(state, data)
        table = data.get("profiles", {}).get(name, {})
        found = key in table
        table.pop(key, None)
    if not found:
        state.out.info(f"{key} is not set in profile '{name}'; nothing to do")
        return
    path = config.config_path()
    state.out.success(f"removed {key} from profile '{name}' ({path})")


@app.command()
def profiles(ctx: typer.Context) -> None:
    """List the profiles, marking the default and the active one.

    `local` is built in: it talks to the built-in server and needs no login; its
    ids and URL are shown as it uses them. The default profile is listed even
    before anything is stored in it.

    \b
    Examples:
      mailtrap config profiles
      mailtrap config profiles -o json | jq -r '.[] | select(.active) | .profile'
    """
    state = get_state(ctx)
    data = config.load_file()
    stored = data.get("profiles", {})
    default = data.get("default_profile") or "default"
    active, _ = config.active_profile_name(state.profile, data)
    rows = []
    for name in sorted(set(stored) | {config.LOCAL_PROFILE, default, active}):
        table = stored.get(name, {})
        built_in: dict[str, Any] = {}
        if name == config.LOCAL_PROFILE:
            built_in = {**config.LOCAL_DEFAULTS, "base_url": config.LOCAL_INPROCESS_URL}
        rows.append({
            "profile": name,
            "default": name == default,
            "active": name == active,
            "built_in": name == config.LOCAL_PROFILE,
            "token": mask(table.get("token")),
            **{key: table.get(key, built_in.get(key))
               for key in ("account_id", "sandbox_id", "base_url")},
        })
    state.out.emit(rows, PROFILES)


PROFILES = View(columns=["profile", "default", "active", "built_in", "token", "account_id",
                         "sandbox_id", "base_url"],
                key=["profile", "active", "account_id", "sandbox_id", "base_url"])


@app.command()
def use(
    ctx: typer.Context,
    profile: Annotated[str, typer.Argument(metavar="PROFILE", autocompletion=_complete_profile,
                                           help="Profile to make the default.")],
    create: Annotated[bool, typer.Option("--create", help="Create the profile if new.")] = False,
) -> None:
    """Make a profile the default (MAILTRAP_PROFILE and --profile still win).

    \b
    Examples:
      mailtrap config use work
      mailtrap config use staging --create
    """
    state = get_state(ctx)
    with config.editing(warn=state.out.warn) as data:
        stored = data.get("profiles", {})
        if profile not in stored and profile != config.LOCAL_PROFILE:
            if not create:
                known = ", ".join(sorted(set(stored) | {config.LOCAL_PROFILE}))
                raise UsageError(f"no profile named '{profile}'",
                                 hint=f"profiles: {known}; pass --create to make a new one")
            profile_table(data, profile)
        data["default_profile"] = profile
    path = config.config_path()
    state.out.success(f"default profile is now '{profile}' ({path})")
    env = os.environ.get(config.ENV["profile"])
    if env and env != profile:
        state.out.warn(f"{config.ENV['profile']}={env} is set and wins over the default")
