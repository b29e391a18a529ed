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
    port: Annotated[int, typer.Option(help="HTTP port (0 picks a free one).")] = 8025,
    db: Annotated[str | None, typer.Option(
        metavar="PATH", help="SQLite file, or :memory:. Default: the same file the "
        "`local` profile uses in-process.")] = None,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow binding a non-loopback address (any token is accepted!)."
    )] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each request.")] = False,
) -> None:
    """Serve the Mailtrap API on loopback, backed by SQLite; any token is accepted.

    Every host (api, send, bulk under /bulk, sandbox) is served from one port.

    \b
    Examples:
      mailtrap local serve --port 8025
      MAILTRAP_BASE_URL=http://127.0.0.1:8025 mailtrap -p local sandbox messages list
    """
    from mailtrap_cli.local.http import is_loopback, make_server
    from mailtrap_cli.local.transport import default_db

    state = get_state(ctx)
    out = state.out
    if not is_loopback(host) and not allow_remote:
        raise UsageError(f"refusing to bind {host}: the built-in server accepts any token",
                         hint="bind 127.0.0.1, or pass --allow-remote if you mean it")
    from mailtrap_cli.local.app import LocalApp

    path = db or str(default_db())
    app_ = LocalApp(path)
    try:
        httpd = make_server(app_, host, port, verbose=verbose)
    except OSError as exc:
        app_.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound_host, bound_port = httpd.server_address[:2]
    url = f"http://{bound_host}:{bound_port}"
    out.info(f"mailtrap local server on {url} (db: {path})")
    out.info(f"use it:  MAILTRAP_BASE_URL={url} mailtrap -p local ...")
    out.info("press Ctrl-C to stop")
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        out.info("stopped")
    finally:
        httpd.server_close()
        app_.close()
