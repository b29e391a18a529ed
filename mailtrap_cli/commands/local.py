"""`mailtrap local serve`: the built-in Mailtrap-compatible server."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer

app = Typer(help="Run the built-in Mailtrap-compatible server.")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind (loopback unless --allow-remote).")]
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
) -> None:
    """Serve the Mailtrap API on loopback, backed by SQLite; any token is accepted.

    Every host (api, send, bulk under /bulk, sandbox) is served from one port.
    An SMTP listener (default port 2525) stores mail in the sandbox whose
    username/password logged in; sandboxes report it as their SMTP host/port.

    \b
    Examples:
      mailtrap local serve --port 8025
      MAILTRAP_BASE_URL=http://127.0.0.1:8025 mailtrap -p local sandbox messages list
      MAILTRAP_BASE_URL=http://127.0.0.1:8025 mailtrap -p local sandbox smtp-test
    """
    from mailtrap_cli.local.http import make_server
    from mailtrap_cli.local.net import is_loopback
    from mailtrap_cli.local.transport import default_db

    state = get_state(ctx)
    out = state.out
    if not is_loopback(host) and not allow_remote:
        raise UsageError(f"refusing to bind {host}: the built-in server accepts any token",
                         hint="bind 127.0.0.1, or pass --allow-remote if you mean it")
    from mailtrap_cli.local.transport import open_app

    path = db or str(default_db())
    app_ = open_app(path, "--db")
    try:
        httpd = make_server(app_, host, port, verbose=verbose)
    except OSError as exc:
        app_.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="another server may hold it: pick another --port (0 = any free)"
                         ) from None
    url = httpd.url
    smtp = None
    if not no_smtp:
        from mailtrap_cli.local.smtp import SmtpListener

        try:
            smtp = SmtpListener(app_, host, smtp_port, allow_remote=allow_remote).start()
        except OSError as exc:
            reason = f"cannot listen for SMTP on {host}:{smtp_port}: {exc.strerror or exc}"
            from mailtrap_cli.startup.typer_compat import ParameterSource

            if ctx.get_parameter_source("smtp_port") == ParameterSource.DEFAULT:
                # Another server may hold the default port: serve HTTP anyway.
                out.warn(f"{reason}; serving without SMTP (pass --smtp-port N)")
            else:
                httpd.server_close()
                app_.close()
                raise UsageError(reason, hint="pick another --smtp-port, or --no-smtp") from None
    import signal

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # `kill`, `docker stop`: the same clean stop as Ctrl-C

    signal.signal(signal.SIGTERM, _terminate)
    try:
        # Inside the try: a Ctrl-C right after the banner is still a clean stop.
        out.info(f"mailtrap local server on {url} (db: {path})")
        if smtp is not None:
            out.info(f"SMTP on {host}:{smtp.port} (login: a sandbox's username and password, "
                     "see `mailtrap -p local sandbox sandboxes get --show-password`)")
        out.info(f"use it:  MAILTRAP_BASE_URL={url} mailtrap -p local ...")
        out.info("press Ctrl-C to stop")
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        out.info("stopped")
    finally:
        if smtp is not None:
            smtp.stop()
        httpd.server_close()
        app_.close()
