"""`mailtrap doctor`: check config, token, hosts and clock; say what to fix.

Each check is data: {check, status, ok, detail, fix}, status one of ok, warn,
fail or skip. The exit code is that of the first failed check: 2 for a bad
config file, 4 for a missing or refused token, 7 for an unreachable host.
"""

from __future__ import annotations

import time
from typing import Any

import typer

from mailtrap_cli import config
from mailtrap_cli.api.errors import ExitCode, MailtrapError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer
from mailtrap_cli.output import View
from mailtrap_cli.profiles import LOGIN_HINT, account_ids, mask, probe_token

app = Typer(leaf=True)

MAX_SKEW = 60.0
MARKS = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}
# JSON: the checks as data; a table: a mark per status and an empty fix left blank.
CHECKS = View(columns=[("mark", ""), ("check", "CHECK"), ("detail", "DETAIL"), ("fix", "FIX")],
              row=lambda c: {**c, "mark": MARKS[c["status"]], "fix": c["fix"] or ""})


class Report:
    def __init__(self) -> None:
        self.checks: list[dict[str, Any]] = []
        self.codes: list[int] = []

    def add(self, check: str, status: str, detail: str, fix: str | None = None,
            code: int = ExitCode.ERROR) -> None:
        self.checks.append({"check": check, "status": status, "ok": status != "fail",
                            "detail": detail, "fix": fix})
        if status == "fail":
            self.codes.append(int(code))


def check_config(report: Report) -> dict[str, Any]:
    """The config file: present, parseable, private. Its data ({} when unusable)."""
    path = config.config_path()
    try:
        data = config.load_file(path)
    except MailtrapError as err:
        report.add("config file", "fail", err.message, err.hint or f"fix or remove {path}",
                   ExitCode.USAGE)
        return {}
    if not path.exists():
        report.add("config file", "ok", f"none at {path} (environment and defaults only)",
                   None)
        return data
    unknown = [key for key in data if key not in ("default_profile", "profiles")]
    unknown += [f"profiles.{name}.{key}" for name, table in data.get("profiles", {}).items()
                for key in table if key not in config.PROFILE_KEYS]
    mode = path.stat().st_mode & 0o777
    problems, fixes = [], []
    if mode & 0o077:
        problems.append(f"{path} is readable by others ({oct(mode)})")
        fixes.append(f"chmod 600 {path}")
    if unknown:
        problems.append(f"{path}: unknown key(s), ignored: " + ", ".join(unknown))
        fixes.append("keys: " + ", ".join(config.PROFILE_KEYS))
    if problems:
        report.add("config file", "warn", "; ".join(problems), "; ".join(fixes))
    else:
        report.add("config file", "ok", f"{path} is valid")
    return data


def check_profile(report: Report, state: Any, data: dict[str, Any]) -> config.Settings | None:
    try:
        settings = config.resolve(state.profile, data)
    except MailtrapError as err:
        report.add("profile", "fail", err.message, err.hint, err.exit_code)
        return None
    _, source = config.active_profile_name(state.profile, data)
    report.add("profile", "ok", f"'{settings.profile}' (from {source})")
    return settings


def check_token(report: Report, state: Any, settings: config.Settings) -> None:
    if not settings.token:
        report.add("token present", "fail", f"no API token for profile '{settings.profile}'",
                   LOGIN_HINT, ExitCode.AUTH)
        report.add("token accepted", "skip", "no token to check")
        return
    malformed = token_problem(settings.token)
    if malformed:
        report.add("token present", "fail", f"{mask(settings.token)} from "
                   f"{settings.token_source}: {malformed}", LOGIN_HINT, ExitCode.AUTH)
        report.add("token accepted", "skip", "no usable token to check")
        return
    report.add("token present", "ok", f"{mask(settings.token)} from {settings.token_source}")
    probe = probe_token(state, settings.token, settings.hosts, attempts=1,
                        timeout=_timeout(state))
    if probe.ok:
        report.add("token accepted", "ok", probe.detail)
        wanted = settings.get("account_id")
        if wanted is not None and str(wanted).isdigit() \
                and int(wanted) not in account_ids(probe.accounts):
            report.add("account", "warn",
                       f"account_id {wanted} is not among the token's accounts",
                       "`mailtrap config set account_id ID` with one of: "
                       + ", ".join(map(str, account_ids(probe.accounts))))
    elif probe.status in ("rejected", "forbidden"):
        report.add("token accepted", "fail", f"{probe.status}: {probe.detail}",
                   "log in again: `mailtrap auth login`", ExitCode.AUTH)
    elif probe.status == "unreachable":
        report.add("token accepted", "skip", "could not ask the API (see the api host check)")
    else:
        report.add("token accepted", "fail", probe.detail, "try again; run with --debug",
                   ExitCode.ERROR)


def token_problem(token: str) -> str | None:
    """Why a token cannot go into a header (Client refuses it), else None."""
    from mailtrap_cli.api.client import Client

    try:
        Client(token, {}).close()
    except MailtrapError as err:
        return err.message
    return None


def _timeout(state: Any) -> float:
    return state.timeout or 10.0


def check_hosts(report: Report, state: Any, settings: config.Settings) -> list[tuple[str, float]]:
    """One GET per host, in parallel. Returns (Date header, local time) pairs."""
    from concurrent.futures import ThreadPoolExecutor

    from mailtrap_cli.api.health import ping
    from mailtrap_cli.profiles import make_client

    # Reachability needs no token; a malformed one is reported by check_token.
    token = None if token_problem(settings.token or "") else settings.token

    def one(host: str) -> tuple[str, Any]:
        client = make_client(state, token, settings.hosts, attempts=1,
                             timeout=_timeout(state))
        try:
            result = ping(client, host)
            result["local_time"] = time.time()
            return host, result
        except MailtrapError as err:
            return host, err
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=len(config.HOSTS)) as pool:
        results = list(pool.map(one, config.HOSTS))
    dates = []
    for host, result in results:
        if isinstance(result, MailtrapError):
            report.add(f"{host} host", "fail", result.message,
                       "check the network, a proxy, or the host settings "
                       f"(`mailtrap config get {host}_url`)", ExitCode.NETWORK)
            continue
        report.add(f"{host} host", "ok",
                   f"{result['url']} answered HTTP {result['status']} "
                   f"in {result['elapsed_ms']:.0f} ms")
        if result["date"]:
            dates.append((result["date"], result["local_time"]))
    return dates


def check_clock(report: Report, dates: list[tuple[str, float]], in_process: bool) -> None:
    from email.utils import parsedate_to_datetime

    if not dates:
        detail = ("the in-process server sends no Date header" if in_process
                  else "no server answered with a Date header")
        report.add("clock", "skip", detail)
        return
    header, local = dates[0]
    try:
        remote = parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        report.add("clock", "skip", f"unreadable Date header {header!r}")
        return
    skew = local - remote
    # The Date header has whole seconds: up to a second of skew is rounding.
    if abs(skew) > MAX_SKEW:
        way = "ahead of" if skew > 0 else "behind"
        report.add("clock", "warn", f"local clock is {abs(skew):.0f} s {way} the server",
                   "sync the clock (NTP); webhook timestamps and logs will look wrong")
    else:
        report.add("clock", "ok", f"within {max(1.0, abs(skew)):.0f} s of the server")


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Check the config file, the token, each host and the clock; say what to fix.

    Prints one row per check (a table on a terminal, JSON when piped). Exit 0
    when nothing failed (warnings allowed), else the code of the first failure:
    2 config, 4 token, 7 network.

    \b
    Examples:
      mailtrap doctor
      mailtrap -p local doctor
      mailtrap doctor -o json | jq '.[] | select(.ok | not)'
    """
    state = get_state(ctx)
    report = Report()
    data = check_config(report)
    settings = check_profile(report, state, data)
    if settings is not None:
        # The resolved settings (and token) used for every check, also for redaction.
        state.use_settings(settings)
        check_token(report, state, settings)
        dates = check_hosts(report, state, settings)
        in_process = any(url.startswith(config.LOCAL_INPROCESS_URL)
                         for url in settings.hosts.values())
        check_clock(report, dates, in_process)
    out = state.out
    out.emit(report.checks, CHECKS)
    failed = [c for c in report.checks if c["status"] == "fail"]
    if not failed:
        warned = sum(c["status"] == "warn" for c in report.checks)
        out.success("all checks passed" + (f" ({warned} warning(s))" if warned else ""))
        return
    first = failed[0]
    err = MailtrapError(f"{len(failed)} check(s) failed; first: {first['check']}: "
                        f"{first['detail']}", hint=first["fix"])
    err.exit_code = report.codes[0]
    raise err

