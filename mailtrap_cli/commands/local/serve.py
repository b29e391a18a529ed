"""`mailtrap local serve`: the built-in server in the foreground or --detach'ed."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.local.common import db_path, public
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer

app = Typer(leaf=True)   # its command joins the parent group


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(metavar="ADDRESS",
                                      help="Address to bind (loopback unless --allow-remote).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535,
                                      help="HTTP port (0 picks a free one).")] = 8025,
    db: Annotated[str | None, typer.Option(
        metavar="PATH", help="SQLite file, or :memory:. Default: the same file the "
        "`local` profile uses in-process.")] = None,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow binding a non-loopback address (any token is accepted!)."
    )] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each request.")] = False,
    smtp_port: Annotated[int, typer.Option(
        "--smtp-port", metavar="N", min=0, max=65535,
        help="SMTP port: log in with a sandbox's username/password (0 picks a free one)."
    )] = 2525,
    no_smtp: Annotated[bool, typer.Option("--no-smtp", help="Do not start the SMTP listener."
                                          )] = False,
    tls: Annotated[bool, typer.Option(
        "--tls", help="HTTPS on the API port, STARTTLS on SMTP and implicit TLS on "
        "--smtps-port, with a local CA made once next to the database "
        "(needs mailtrap-cli[tls]).")] = False,
    smtps_port: Annotated[int, typer.Option(
        "--smtps-port", metavar="N", min=0, max=65535,
        help="Implicit-TLS SMTP port with --tls (0 picks a free one).")] = 2465,
    max_message_size: Annotated[str | None, typer.Option(
        "--max-message-size", metavar="SIZE",
        help="Largest message every sandbox accepts, e.g. 25MB or 10485760 (kept in the "
        "database; new sandboxes get it too). Default: as stored (5MB when new).")] = None,
    detach: Annotated[bool, typer.Option(
        "--detach", "-d", help="Start in the background, wait until it answers, print "
        "where it listens; stop it with `mailtrap local stop`.")] = False,
    rate_limit: Annotated[str | None, typer.Option(
        "--rate-limit", metavar="SHAPE:N/SECONDS", help="Limit every API request per token, "
        "like the real API's 150/10s: SHAPE is fixed, sliding or bucket; add ',burst=N' "
        "(bucket) or ',no-retry-after'. Off by default.")] = None,
    family_limit: Annotated[list[str] | None, typer.Option(
        "--family-limit", metavar="FAMILY=SHAPE:N/SECONDS", help="Limit one API family per "
        "token (contacts, stats, suppressions, email_logs_list, email_logs_get), e.g. "
        "stats=fixed:10/60s. Repeatable.")] = None,
) -> None:
    """Serve the Mailtrap API on loopback, backed by SQLite; any token is accepted.

    Every host (api, send, bulk under /bulk, sandbox) is served from one port,
    at the current paths and at the account-scoped ones the official SDKs call.
    An SMTP listener (default port 2525) stores mail in the sandbox whose
    username/password logged in; sandboxes report it as their SMTP host/port.
    A pid file next to the database lets `local status|stop|env|reset` find it.

    \b
    Examples:
      mailtrap local serve --port 8025
      mailtrap local serve --detach --tls && eval "$(mailtrap local env)"
      MAILTRAP_BASE_URL=http://127.0.0.1:8025 mailtrap -p local sandbox messages list
      mailtrap local serve --max-message-size 25MB
      mailtrap local serve --rate-limit fixed:15/1s,no-retry-after --family-limit stats=10/60s
    """
    from mailtrap_cli.local import runstate
    from mailtrap_cli.local.http import make_server
    from mailtrap_cli.local.net import is_loopback

    state = get_state(ctx)
    out = state.out
    if not is_loopback(host) and not allow_remote:
        raise UsageError(f"refusing to bind {host}: the built-in server accepts any token",
                         hint="bind 127.0.0.1, or pass --allow-remote if you mean it")
    limit = _parse_size(max_message_size) if max_message_size is not None else None
    shapes = _limits(rate_limit, family_limit or [])
    path = db_path(db)
    _refuse_second_server(path)
    if detach:
        _detach(ctx, state, path)
        return
    from mailtrap_cli.local.transport import open_app

    tls_files = _tls_files(path) if tls else None
    context = tls_files.server_context() if tls_files is not None else None
    app_ = open_app(path, "--db")
    if limit is not None:
        from mailtrap_cli.local.mailstore import set_message_limit

        set_message_limit(app_.store, limit)
    app_.limits.rate_limit = shapes.pop("", None)
    app_.limits.families.update(shapes)
    try:
        httpd = make_server(app_, host, port, verbose=verbose, ssl_context=context)
    except OSError as exc:
        app_.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="another server may hold it: pick another --port (0 = any free)"
                         ) from None
    url = httpd.url
    listeners = []
    if not no_smtp:
        listeners = _start_smtp(ctx, out, app_, host, smtp_port, smtps_port, context,
                                allow_remote, httpd)
    smtp = next((x for x in listeners if not x.implicit), None)
    smtps = next((x for x in listeners if x.implicit), None)
    import os
    import signal

    info = {"pid": os.getpid(), "url": url, "host": host, "port": httpd.server_address[1],
            "smtp_host": host if smtp else None, "smtp_port": smtp.port if smtp else None,
            "smtps_port": smtps.port if smtps else None, "tls": bool(tls_files),
            "ca_file": str(tls_files.ca) if tls_files else None,
            "ca_bundle": str(tls_files.ca_bundle) if tls_files else None,
            "db": path, "account_id": 1, "started_at": app_.started_at}
    pid_file = runstate.write(path, info)

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # `kill`, `docker stop`: the same clean stop as Ctrl-C

    signal.signal(signal.SIGTERM, _terminate)
    try:
        # Inside the try: a Ctrl-C right after the banner is still a clean stop.
        out.info(f"mailtrap local server on {url} (db: {path})")
        if smtp is not None:
            starttls = ", STARTTLS" if tls_files else ""
            out.info(f"SMTP on {host}:{smtp.port}{starttls} (login: a sandbox's username and "
                     "password, see `mailtrap -p local sandbox sandboxes get --show-password`)")
        if smtps is not None:
            out.info(f"SMTPS (implicit TLS) on {host}:{smtps.port}")
        if tls_files is not None:
            out.info(f"TLS: trust the local CA {tls_files.ca} (or `eval \"$(mailtrap local "
                     "env)\"`, which sets REQUESTS_CA_BUNDLE, SSL_CERT_FILE, "
                     "NODE_EXTRA_CA_CERTS)")
        out.info(f"use it:  MAILTRAP_BASE_URL={url} mailtrap -p local ...  "
                 f"(pid file {pid_file})")
        out.info("press Ctrl-C to stop")
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        out.info("stopped")
    finally:
        runstate.remove(path, os.getpid())
        for listener in reversed(listeners):
            listener.stop()
        httpd.server_close()
        app_.close()


def _limits(rate_limit: str | None, family_limits: list[str]) -> dict[str, Any]:
    """--rate-limit and --family-limit -> {"": token shape, family: shape}; bad ones exit 2."""
    from mailtrap_cli.local.control import FAMILY_NAMES
    from mailtrap_cli.local.faults import Shape

    found: dict[str, Any] = {}
    given = [("", rate_limit, "--rate-limit")] if rate_limit else []
    for item in family_limits:
        name, sep, spec = item.partition("=")
        if not sep or name.strip() not in FAMILY_NAMES:
            raise UsageError(f"--family-limit {item}: expected FAMILY=SHAPE:N/SECONDS",
                             hint=f"FAMILY is one of {', '.join(FAMILY_NAMES)}")
        given.append((name.strip(), spec, "--family-limit"))
    for name, spec, flag in given:
        try:
            found[name] = Shape.parse(spec)
        except ValueError as exc:
            raise UsageError(f"{flag} {spec}: {exc}", hint="e.g. fixed:15/1s, "
                             "sliding:150/10s, bucket:15/1s,burst=3") from None
    return found


def _parse_size(text: str) -> int:
    from mailtrap_cli.local.mailstore import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise UsageError(f"--max-message-size: {exc}",
                         hint="a number of bytes, or with KB, MB or GB (25MB)") from None


def _tls_files(path: str) -> Any:
    from mailtrap_cli.local import tls

    try:
        return tls.ensure(tls.tls_folder(path))
    except tls.TlsUnavailable:
        raise UsageError("--tls needs the `cryptography` package",
                         hint="pip install 'mailtrap-cli[tls]'") from None
    except OSError as exc:
        raise UsageError(f"cannot write the TLS certificates next to {path}: "
                         f"{exc.strerror or exc}") from None


def _start_smtp(ctx: typer.Context, out: Any, app_: Any, host: str, smtp_port: int,
                smtps_port: int, context: Any, allow_remote: bool, httpd: Any) -> list[Any]:
    """The SMTP listener (STARTTLS with a context) and, with TLS, the SMTPS one. A
    default port that is taken is skipped with a warning; a chosen one is an error."""
    from mailtrap_cli.local.smtp import SmtpListener
    from mailtrap_cli.startup.typer_compat import ParameterSource

    started: list[Any] = []
    wanted = [("smtp_port", smtp_port, False, "--smtp-port", "SMTP")]
    if context is not None:
        wanted.append(("smtps_port", smtps_port, True, "--smtps-port", "SMTPS"))
    for param, number, implicit, flag, label in wanted:
        try:
            started.append(SmtpListener(app_, host, number, allow_remote=allow_remote,
                                        tls_context=context, implicit=implicit).start())
        except OSError as exc:
            reason = f"cannot listen for {label} on {host}:{number}: {exc.strerror or exc}"
            if ctx.get_parameter_source(param) == ParameterSource.DEFAULT:
                # Another server may hold the default port: serve HTTP anyway.
                out.warn(f"{reason}; serving without {label} (pass {flag} N)")
                continue
            for listener in started:
                listener.stop()
            httpd.server_close()
            app_.close()
            raise UsageError(reason, hint=f"pick another {flag}, or --no-smtp") from None
    return started


def _refuse_second_server(path: str) -> None:
    from mailtrap_cli.local import runstate

    if path == ":memory:":
        return      # each :memory: server has its own database
    info, status = runstate.running(path)
    if status == "running":
        raise UsageError(f"a server already runs on {path} (pid {info['pid']}, {info['url']})",
                         hint="stop it with `mailtrap local stop`, or use another --db")


def _child_args(ctx: typer.Context, path: str) -> list[str]:
    """`local serve` again, in the foreground, with this run's options."""
    import sys

    from mailtrap_cli.startup.typer_compat import ParameterSource

    args = [sys.executable, "-m", "mailtrap_cli", "local", "serve", "--db", path]
    params = ctx.params
    for name, flag in (("host", "--host"), ("port", "--port"), ("smtp_port", "--smtp-port"),
                       ("smtps_port", "--smtps-port"),
                       ("max_message_size", "--max-message-size"),
                       ("rate_limit", "--rate-limit")):
        if ctx.get_parameter_source(name) != ParameterSource.DEFAULT:
            args += [flag, str(params[name])]
    for item in params.get("family_limit") or []:
        args += ["--family-limit", item]
    for name, flag in (("allow_remote", "--allow-remote"), ("verbose", "--verbose"),
                       ("no_smtp", "--no-smtp"), ("tls", "--tls")):
        if params.get(name):
            args.append(flag)
    return args


def _detach(ctx: typer.Context, state: Any, path: str) -> None:
    """Start the server as a background process; return once it answers."""
    import os
    import subprocess
    import time

    from mailtrap_cli.local import runstate

    if path == ":memory:":
        raise UsageError("--detach needs a database file: nothing could reach a detached "
                         ":memory: server's mail after it stops",
                         hint="drop --db :memory: (the default file), or pass --db PATH")
    if ctx.params.get("tls"):
        _tls_files(path)        # a missing `cryptography` is reported here, not in a log
    log = runstate.log_path(path)
    log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # may log requests
    with os.fdopen(fd, "ab") as sink:
        # Its own session (POSIX) or DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP (Windows).
        detached: dict[str, Any] = ({"creationflags": 0x00000008 | 0x00000200}
                                    if os.name == "nt" else {"start_new_session": True})
        child = subprocess.Popen(_child_args(ctx, path), stdin=subprocess.DEVNULL,
                                 stdout=sink, stderr=subprocess.STDOUT, **detached)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            reason = _last_error(log) or f"it exited with status {child.returncode}"
            raise UsageError(f"the server did not start: {reason}", hint=f"see {log}")
        info = runstate.read(path)
        if info is not None and info.get("pid") == child.pid and runstate.health(info):
            out = state.out
            out.success(f"mailtrap local server running in the background (pid {child.pid}) "
                        f"on {info['url']}")
            if info.get("ca_file"):
                out.info(f"TLS: trust the local CA {info['ca_file']}")
            out.info("point an app at it: eval \"$(mailtrap local env)\"; stop it: "
                     "mailtrap local stop")
            out.emit(public(info))
            return
        time.sleep(0.05)
    child.terminate()
    raise UsageError("the server did not answer within 30 s", hint=f"see {log}")


def _last_error(log: Any) -> str | None:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines[-50:]):
        if line.startswith("error: "):
            return line[len("error: "):]
    return None
