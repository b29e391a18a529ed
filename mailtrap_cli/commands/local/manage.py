"""`mailtrap local status|stop|env|reset`: a running server, found by its pid file."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.local.common import DbOpt, db_path, public
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer

app = Typer(leaf=True)   # its commands join the parent group


@app.command()
def status(ctx: typer.Context, db: DbOpt = None) -> None:
    """Say whether a server runs on the database, and where it listens.

    Exit 0 when it runs, 1 when not; a pid file left by a server that died
    is removed.

    \b
    Examples:
      mailtrap local status
      mailtrap local status -o json | jq -r .url
    """
    from mailtrap_cli.api.errors import MailtrapError
    from mailtrap_cli.local import runstate

    state = get_state(ctx)
    path = db_path(db)
    info, found = runstate.running(path)
    if found == "running":
        state.out.success(f"running (pid {info['pid']}) on {info['url']}")
        state.out.emit({"running": True, **public(info)})
        return
    if found == "stale":
        state.out.warn(f"removed a stale pid file (pid {info['pid'] if info else '?'} is gone)")
    elif found == "not-answering":
        raise MailtrapError(f"pid {info['pid']} is alive but does not answer as the server "
                            f"on {info['url']}", hint=f"see {runstate.pid_path(path)}")
    state.out.emit({"running": False, "db": path})
    raise MailtrapError(f"no server runs on {path}",
                        hint="start one: mailtrap local serve --detach")


@app.command()
def stop(ctx: typer.Context, db: DbOpt = None,
         timeout: Annotated[float, typer.Option(
             "--wait", min=0.1, metavar="SECONDS",
             help="How long to wait for it to stop.")] = 10.0) -> None:
    """Stop the server running on the database (started with `serve --detach`).

    Nothing running is not an error: a CI step's cleanup may run twice.

    \b
    Examples:
      mailtrap local stop
      mailtrap local stop --db ./ci.sqlite3
    """
    import os
    import signal

    from mailtrap_cli.api.errors import MailtrapError
    from mailtrap_cli.local import runstate

    state = get_state(ctx)
    path = db_path(db)
    info, found = runstate.running(path)
    if found == "not-answering":
        raise MailtrapError(f"pid {info['pid']} is alive but does not answer as the server "
                            f"on {info['url']}: not signalling it",
                            hint=f"if it is the server: kill {info['pid']}")
    if found != "running":
        if found == "stale":
            state.out.warn(f"removed a stale pid file (pid {info['pid'] if info else '?'} "
                           "is gone)")
        state.out.info(f"no server runs on {path}")
        state.out.emit({"stopped": False, "db": path})
        return
    pid = info["pid"]
    os.kill(pid, signal.SIGTERM)
    if not runstate.wait_gone(pid, timeout):
        raise MailtrapError(f"the server (pid {pid}) did not stop within {timeout:g} s",
                            hint=f"kill -9 {pid}")
    runstate.remove(path, pid)
    state.out.success(f"stopped the server (pid {pid})")
    state.out.emit({"stopped": True, "pid": pid, "db": path})


@app.command()
def env(
    ctx: typer.Context,
    shell: Annotated[str, typer.Option(
        "--shell", metavar="bash|fish|powershell|dotenv",
        help="Syntax: bash (also zsh, sh), fish, powershell, or dotenv (NAME=value lines "
        "for $GITHUB_ENV or docker --env-file).")] = "bash",
    sandbox: Annotated[int | None, typer.Option(
        "--sandbox", metavar="ID", help="Whose SMTP login to give (default: the first).")]
    = None,
    db: DbOpt = None,
) -> None:
    """Print the variables an app needs to use the running server.

    SMTP host, port, user and password (of a sandbox), the API base URLs and
    hosts, the account id, and with --tls the CA variables REQUESTS_CA_BUNDLE,
    SSL_CERT_FILE and NODE_EXTRA_CA_CERTS. No token: any token is accepted.

    \b
    Examples:
      eval "$(mailtrap local env)"
      mailtrap local env --shell dotenv >> "$GITHUB_ENV"
      mailtrap local env --shell fish | source
      mailtrap local env --shell powershell | Invoke-Expression
    """
    from mailtrap_cli.api.errors import MailtrapError
    from mailtrap_cli.local import envvars, runstate

    state = get_state(ctx)
    if shell not in envvars.SHELLS:
        raise UsageError(f"--shell: '{shell}' is not one of {', '.join(envvars.SHELLS)}")
    path = db_path(db)
    info, found = runstate.running(path)
    if found != "running":
        raise MailtrapError(f"no server runs on {path}",
                            hint="start one: mailtrap local serve --detach")
    box = _sandbox_for_env(info, sandbox)
    state.out.text(envvars.render(envvars.variables(info, box), shell))


def _sandbox_for_env(info: dict[str, Any], sandbox_id: int | None) -> dict[str, Any] | None:
    from mailtrap_cli.api.errors import MailtrapError, NotFoundError
    from mailtrap_cli.local import runstate

    suffix = f"/{sandbox_id}" if sandbox_id is not None else ""
    try:
        status_code, data = runstate.call(info, "GET", f"/api/sandboxes{suffix}", timeout=10)
    except runstate.Unreachable as exc:
        raise MailtrapError(str(exc)) from None
    if status_code == 404:
        raise NotFoundError(f"sandbox {sandbox_id} not found on {info['url']}",
                            hint="list them: mailtrap -p local sandbox sandboxes list")
    if status_code != 200:
        raise MailtrapError(f"the server on {info['url']} answered {status_code}")
    if isinstance(data, list):
        return data[0] if data else None
    return data


@app.command()
def reset(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    db: DbOpt = None,
) -> None:
    """Empty the built-in server's database: every message, sandbox, template, ...

    A fresh seed follows (project 1 with sandbox 1, the usual login), and ids
    start again at 1. Works on a running server (its request log and queued
    faults go too) or on the file alone.

    \b
    Examples:
      mailtrap local reset --yes
      mailtrap local reset --yes --db ./ci.sqlite3
    """
    from mailtrap_cli.local import runstate

    state = get_state(ctx)
    path = db_path(db)
    state.confirm(f"Delete everything in the built-in server's database {path}?", yes)
    info, found = runstate.running(path)
    if found == "running":
        from mailtrap_cli.api.errors import MailtrapError

        try:
            status_code, _ = runstate.call(info, "POST", "/_local/reset")
        except runstate.Unreachable as exc:
            raise MailtrapError(str(exc)) from None
        if status_code != 200:
            raise MailtrapError(f"the server on {info['url']} answered {status_code}")
    else:
        from mailtrap_cli.local.transport import app_for

        app_for(path).reset()
    state.out.success(f"emptied {path}")
    state.out.emit({"reset": True, "db": path, "server": found == "running"})
