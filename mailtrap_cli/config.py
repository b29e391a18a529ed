"""Profiles: load, save (atomic, 0600 in a 0700 folder) and resolve settings.

Precedence is flag > environment > profile > default. The built-in `local`
profile points every host at the built-in server and needs no login.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailtrap_cli.api.errors import AuthError, ConfigError, UsageError
from mailtrap_cli.api.hosts import DEFAULT_HOSTS, HOSTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# The in-process transport answers this base URL without any server running
# (see local/transport.py); `mailtrap local serve` shares the same database.
LOCAL_INPROCESS_URL = "http://local.mailtrap.invalid"
LOCAL_PROFILE = "local"
LOCAL_DEFAULTS = {"account_id": 1, "sandbox_id": 1, "project_id": 1}
LOCAL_TOKEN = "local-token"  # noqa: S105 - the built-in server accepts any token

PROFILE_KEYS = {
    "token": "API token (prefer `mailtrap auth login`)",
    "account_id": "account id used by account-scoped commands",
    "sandbox_id": "default sandbox for sandbox commands and `send --sandbox`",
    "project_id": "default sandbox project",
    "from": "default sender, e.g. 'App <app@example.com>'",
    "stream": "default sending stream: transactional or bulk",
    "output": "default output: auto, table, json, jsonl or tsv",
    "base_url": "one base URL for all four hosts",
    "api_url": "host for account/sandbox/management calls",
    "send_url": "host for transactional sending",
    "bulk_url": "host for bulk sending",
    "sandbox_url": "host for sandbox sending",
}
ENV = {
    "token": "MAILTRAP_API_TOKEN",
    "profile": "MAILTRAP_PROFILE",
    "account_id": "MAILTRAP_ACCOUNT_ID",
    "sandbox_id": "MAILTRAP_SANDBOX_ID",
    "output": "MAILTRAP_OUTPUT",
    "base_url": "MAILTRAP_BASE_URL",
    "config_dir": "MAILTRAP_CONFIG_DIR",
    "webhook_secret": "MAILTRAP_WEBHOOK_SECRET",
}
# Kept in a profile by `webhooks create --save-secret`; like the token, never
# shown by `config list` and never taken from argv by `config set`.
WEBHOOK_SECRET_KEY = "webhook_secret"  # noqa: S105 - a key name, not a secret


def config_dir() -> Path:
    override = os.environ.get(ENV["config_dir"])
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path("mailtrap-cli")


def config_path() -> Path:
    return config_dir() / "config.toml"


def data_dir() -> Path:
    override = os.environ.get("MAILTRAP_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("mailtrap-cli")


def load_file(path: Path | None = None) -> dict[str, Any]:
    """The parsed config file, or an empty config when there is none."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a BOM from a Windows editor is fine
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}",
            hint=f"fix or remove {path}",
        ) from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ConfigError(f"config file {path}: [profiles] must hold tables like [profiles.NAME]",
                          hint=f"fix or remove {path}")
    _check_types(data, path)
    return data


# What each known key may hold; unknown keys are left alone.
_TEXT_KEYS = ("token", WEBHOOK_SECRET_KEY, "from", "stream", "output", "base_url", "api_url",
              "send_url", "bulk_url", "sandbox_url")
_ID_KEYS = ("account_id", "sandbox_id", "project_id")


def _check_types(data: dict[str, Any], path: Path) -> None:
    """A value of the wrong type (`token = 5`) is named with its file, not a traceback later."""
    def bad(where: str, wanted: str, value: Any) -> ConfigError:
        return ConfigError(f"config file {path}: {where} must be {wanted}, got {value!r}",
                           hint=f"fix or remove {path}")

    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise bad("default_profile", "a profile name in quotes", default)
    for name, table in data.get("profiles", {}).items():
        for key, value in table.items():
            where = f"profiles.{name}.{key}"
            if key in _TEXT_KEYS and not isinstance(value, str):
                raise bad(where, "a string in quotes", value)
            if key in _ID_KEYS and (isinstance(value, bool)
                                    or not isinstance(value, (int, str))):
                raise bad(where, "a number", value)


def _stderr_warning(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def save_file(data: dict[str, Any], path: Path | None = None, *,
              warn: Callable[[str], None] | None = None) -> Path:
    """Write atomically: temp file in the same folder, fsync, os.replace; 0600.

    A folder this creates is 0700. An existing one keeps its mode (it may be a
    shared folder named by MAILTRAP_CONFIG_DIR): when others can read it, `warn`
    (default: a line on stderr) says so instead of changing it.
    """
    import tomli_w

    path = path or config_path()
    linked = path.is_symlink()
    if linked:  # a dotfiles link: update the file it points to, keep the link
        path = path.resolve()
    folder = path.parent
    existed = folder.is_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}",
                          hint="check the folder's permissions, or set MAILTRAP_CONFIG_DIR"
                          ) from None
    if not existed:
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o700)   # whatever the umask
    elif not linked:  # the folder of a linked file is the user's own business
        problem = open_folder_warning(folder)
        if problem:
            (warn or _stderr_warning)(problem)
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    payload = tomli_w.dumps(data).encode("utf-8")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}",
                          hint="check the folder's permissions, or set MAILTRAP_CONFIG_DIR"
                          ) from None
    return path


def open_folder_warning(folder: Path) -> str | None:
    """A warning when others may list or enter the config folder, else None."""
    try:
        mode = folder.stat().st_mode & 0o777
    except OSError:
        return None
    if os.name != "posix" or not mode & 0o077:
        return None
    return (f"config folder {folder} is open to other users (mode {mode:o}); the config "
            f"file itself is 0600, but consider `chmod 700 {folder}`")


@contextlib.contextmanager
def editing(path: Path | None = None, *, warn: Callable[[str], None] | None = None,
            wait: float = 10.0) -> Iterator[dict[str, Any]]:
    """Read-modify-write of the config file under an exclusive lock, so updates
    made at once (20 parallel `config use --create`) are all kept:

        with config.editing() as data:
            data.setdefault("profiles", {})["q1"] = {}

    The file is written when the block ends without an exception.
    """
    path = path or config_path()
    target = path.resolve() if path.is_symlink() else path
    lock = target.parent   # the folder itself is locked: no lock file left beside
    try:
        if not lock.is_dir():
            lock.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(OSError):
                os.chmod(lock, 0o700)
        fd = os.open(lock, os.O_RDONLY)
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}",
                          hint="check the folder's permissions, or set MAILTRAP_CONFIG_DIR"
                          ) from None
    try:
        _lock_waiting(fd, lock, wait)
        data = load_file(path)
        yield data
        save_file(data, path, warn=warn)
    finally:
        os.close(fd)   # drops the lock


def _lock_waiting(fd: int, lock: Path, wait: float) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: unlocked, as before
        return
    import time

    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise ConfigError(f"the config file is locked by another mailtrap process "
                                  f"({lock})", hint="try again when it has finished") from None
            time.sleep(0.02)


def cleartext_warning(url: str) -> str | None:
    """A warning for an http:// URL that is not on this machine: the token would
    travel in clear text. None for https or loopback."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme != "http" or not host:
        return None
    if host in ("localhost", "::1") or host.startswith("127.") or host.endswith(".localhost") \
            or url.strip().startswith(LOCAL_INPROCESS_URL):
        return None
    return (f"{url} is plain http on another machine: the API token would travel in "
            "clear text; use https:// unless this network is yours")


def hosts_from_base(base: str, *, local: bool) -> dict[str, str]:
    """All four hosts from one base URL. The built-in server tells the bulk
    stream apart by a `/bulk` path prefix, so the local profile adds it."""
    base = base.rstrip("/")
    hosts = dict.fromkeys(HOSTS, base)
    if local:
        hosts["bulk"] = base + "/bulk"
    return hosts


@dataclass
class Settings:
    """Everything a command needs to know about where and as whom it talks."""

    profile: str
    token: str | None
    token_source: str | None
    hosts: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    is_local: bool = False
    webhook_secret: str | None = None
    webhook_secret_source: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def require_token(self) -> str:
        if not self.token:
            raise AuthError(
                f"no API token for profile '{self.profile}'",
                hint="run `mailtrap auth login`, set MAILTRAP_API_TOKEN, "
                "or use `--profile local` for the built-in server",
            )
        return self.token

    def require(self, key: str, flag: str) -> Any:
        value = self.values.get(key)
        if value in (None, ""):
            env = ENV.get(key)
            where = f", {env}" if env else ""
            raise UsageError(
                f"no {key.replace('_', ' ')} given",
                hint=f"pass {flag}{where}, or `mailtrap config set {key} VALUE`",
            )
        return value


def active_profile_name(flag: str | None, data: dict[str, Any]) -> tuple[str, str]:
    if flag:
        return flag, "flag --profile"
    env = os.environ.get(ENV["profile"])
    if env:
        return env, f"env {ENV['profile']}"
    default = data.get("default_profile")
    if isinstance(default, str) and default:
        return default, "config default_profile"
    return "default", "default"


def resolve(profile_flag: str | None = None, data: dict[str, Any] | None = None) -> Settings:
    """Settings for the active profile: flag > environment > profile > default."""
    data = load_file() if data is None else data
    name, source = active_profile_name(profile_flag, data)
    profiles = data.get("profiles", {})
    is_local = name == LOCAL_PROFILE
    stored = dict(profiles.get(name, {}))
    # Only the implicit "default" may be missing (a fresh install): a named
    # profile that does not exist is a typo, and with MAILTRAP_API_TOKEN set it
    # would otherwise talk to production's hosts with the wrong settings.
    if name not in profiles and not is_local and source != "default":
        known = ", ".join(sorted(set(profiles) | {LOCAL_PROFILE}))
        raise UsageError(f"no profile named '{name}' (from {source})",
                         hint=f"profiles: {known}; create it with `mailtrap config use "
                         f"{name} --create`")

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if is_local:
        # The built-in server seeds account 1 with project 1 and sandbox 1.
        for key, value in LOCAL_DEFAULTS.items():
            values[key] = value
            sources[key] = "built-in (local profile)"
    for key, value in stored.items():
        values[key] = value
        sources[key] = f"profile {name}"
    for key in ("account_id", "sandbox_id", "output", "base_url"):
        env_value = os.environ.get(ENV[key])
        if env_value:
            values[key] = env_value
            sources[key] = f"env {ENV[key]}"

    token = os.environ.get(ENV["token"]) or None
    token_source = f"env {ENV['token']}" if token else None
    if not token and stored.get("token"):
        token, token_source = str(stored["token"]), f"config file (profile {name})"
    if not token and is_local:
        token, token_source = LOCAL_TOKEN, "built-in (local profile accepts any token)"
    values.pop("token", None)
    secret = os.environ.get(ENV[WEBHOOK_SECRET_KEY]) or None
    secret_source = f"env {ENV[WEBHOOK_SECRET_KEY]}" if secret else None
    if not secret and stored.get(WEBHOOK_SECRET_KEY):
        secret = str(stored[WEBHOOK_SECRET_KEY])
        secret_source = f"config file (profile {name})"
    values.pop(WEBHOOK_SECRET_KEY, None)
    sources.pop(WEBHOOK_SECRET_KEY, None)

    env_base = os.environ.get(ENV["base_url"])
    if env_base:
        check_url(env_base, ENV["base_url"])
    base = env_base or stored.get("base_url")
    for key in ("base_url", *(f"{h}_url" for h in HOSTS)):
        if stored.get(key) and not (env_base and key != "base_url"):
            check_url(str(stored[key]), f"{key} of profile '{name}'", config_path())
    if is_local:
        hosts = hosts_from_base(base or LOCAL_INPROCESS_URL, local=True)
    else:
        hosts = dict(DEFAULT_HOSTS)
        if base:
            hosts = hosts_from_base(base, local=False)
    if not env_base:
        for host in HOSTS:
            override = stored.get(f"{host}_url")
            if override:
                hosts[host] = str(override).rstrip("/")
    return Settings(profile=name, token=token, token_source=token_source, hosts=hosts,
                    values=values, sources=sources, is_local=is_local,
                    webhook_secret=secret, webhook_secret_source=secret_source)


def save_webhook_secret(profile: str, secret: str) -> Path:
    """Store a webhook signing secret in `profile` (the file stays 0600)."""
    data = load_file()
    data.setdefault("profiles", {}).setdefault(profile, {})[WEBHOOK_SECRET_KEY] = secret
    return save_file(data)


def check_url(url: str, where: str, path: Path | None = None) -> None:
    """An http(s) URL with a host, else a usage error naming where it came from."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) \
            and " " not in parts.netloc
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        ok = False
    if not ok:
        inside = f" in config file {path}" if path else ""
        raise ConfigError(f"{where}{inside} must be an http(s) URL, got '{url}'",
                          hint="e.g. http://127.0.0.1:8025")


def check_key(key: str) -> None:
    if key == WEBHOOK_SECRET_KEY:
        raise UsageError("the webhook secret is not set through `config set` (it would land "
                         "in shell history)", hint="use MAILTRAP_WEBHOOK_SECRET, or "
                         "`mailtrap webhooks create --save-secret`")
    if key not in PROFILE_KEYS:
        raise UsageError(f"unknown config key '{key}'",
                         hint="keys: " + ", ".join(PROFILE_KEYS))
    if key == "token":
        raise UsageError("the token is not set through `config set` (it would land in "
                         "shell history)", hint="use `mailtrap auth login`")
