"""`mailtrap sandbox sandboxes`: list, get, create, update, delete, clean, mark-read,
reset-credentials, email-username; and `register_extra` for `sandbox smtp-test`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.sandbox_common import (
    SANDBOX_COLUMNS,
    ShowPasswordOpt,
    check_name,
    emit_masked,
    limited,
    run,
)
from mailtrap_cli.context import get_state, resolve_id
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, ProjectOpt, Typer, YesOpt

app = Typer(help="Sandboxes: list, get, create, update, delete, clean, credentials.")

DEFAULT_FROM = "a SANDBOX_ID argument"
SandboxArg = Annotated[int | None, typer.Argument(
    metavar="[SANDBOX_ID]", min=1, show_default=False,
    help="Sandbox id (default: the profile's sandbox_id / MAILTRAP_SANDBOX_ID).")]
RequiredSandboxArg = Annotated[int, typer.Argument(metavar="SANDBOX_ID", min=1,
                                                   help="Sandbox id.")]
EMAIL_USERNAME_ACTIONS = ("enable", "disable", "reset")


def _sandbox_id(state: Any, value: int | None) -> int:
    return resolve_id(state, "sandbox_id", value, DEFAULT_FROM)


def _emit_result(state: Any, result: Any, message: str, show_password: bool) -> None:
    if result is not None:
        state.out.success(message)
        emit_masked(state, result, show_password)


@app.command("list")
def list_(ctx: typer.Context, project: ProjectOpt = None, limit: LimitOpt = None,
          all_: AllOpt = False, show_password: ShowPasswordOpt = False) -> None:
    """List sandboxes (all projects, or one with --project).

    The API answers every sandbox at once, so --all changes nothing; --limit
    keeps the first N.
    """
    from mailtrap_cli.api import sandboxes

    state = get_state(ctx)
    items = sandboxes.list_sandboxes(state.client())
    if project is not None:
        items = [s for s in items if s.get("project_id") == project]
    emit_masked(state, limited(items, limit), show_password, columns=SANDBOX_COLUMNS)


@app.command()
def get(ctx: typer.Context, sandbox_id: SandboxArg = None,
        show_password: ShowPasswordOpt = False) -> None:
    """Show a sandbox with its SMTP credentials (host `domain`, `smtp_ports`, username).

    The password is masked unless --show-password.

    \b
    Examples:
      mailtrap sandbox sandboxes get 123
      mailtrap sandbox sandboxes get --show-password -o json | jq -r .password
    """
    from mailtrap_cli.api import sandboxes

    state = get_state(ctx)
    sid = _sandbox_id(state, sandbox_id)
    emit_masked(state, sandboxes.get_sandbox(state.client(), sid), show_password)


@app.command()
def create(ctx: typer.Context,
           name: Annotated[str, typer.Argument(metavar="NAME",
                                               help="Sandbox name (1-100 characters).")],
           project: ProjectOpt = None, dry_run: DryRunOpt = False,
           show_password: ShowPasswordOpt = False) -> None:
    """Create a sandbox in a project (--project, else the profile's project_id).

    \b
    Examples:
      mailtrap sandbox sandboxes create "QA" --project 42
      mailtrap sandbox sandboxes create "CI run" --project 42 -o json | jq .id
    """
    from mailtrap_cli.api import sandboxes

    state = get_state(ctx)
    project_id = resolve_id(state, "project_id", project, "--project")
    result = run(state, sandboxes.create(project_id, check_name(name, "sandbox")), dry_run)
    if result is not None:
        _emit_result(state, result, f"created sandbox {result.get('id')}", show_password)


@app.command()
def update(ctx: typer.Context, sandbox_id: SandboxArg = None,
           name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
           email_username: Annotated[str | None, typer.Option(
               "--email-username", metavar="USERNAME",
               help="New local part of the sandbox's email address.")] = None,
           dry_run: DryRunOpt = False, show_password: ShowPasswordOpt = False) -> None:
    """Rename a sandbox or change its email username."""
    from mailtrap_cli.api import sandboxes

    state = get_state(ctx)
    if name is None and email_username is None:
        raise UsageError("nothing to update", hint="pass --name and/or --email-username")
    sid = _sandbox_id(state, sandbox_id)
    call = sandboxes.update(sid, name=check_name(name, "sandbox") if name is not None else None,
                            email_username=email_username)
    _emit_result(state, run(state, call, dry_run), f"updated sandbox {sid}", show_password)


@app.command()
def delete(ctx: typer.Context, sandbox_id: RequiredSandboxArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a sandbox and all its messages (asks; --yes off a terminal)."""
    from mailtrap_cli.api import sandboxes

    state = get_state(ctx)
    if not dry_run:
        state.confirm(f"Delete sandbox {sandbox_id} and all its messages?", yes)
    _emit_result(state, run(state, sandboxes.delete(sandbox_id), dry_run),
                 f"deleted sandbox {sandbox_id}", False)


@app.command()
def clean(ctx: typer.Context, sandbox_id: SandboxArg = None, yes: YesOpt = False,
          dry_run: DryRunOpt = False) -> None:
    """Delete every message in a sandbox (asks; --yes off a terminal).

    \b
    Examples:
      mailtrap sandbox sandboxes clean 123 --yes
      mailtrap -p ci sandbox sandboxes clean --yes     # the profile's sandbox
    """
    from mailtrap_cli.api import sandboxes

    state = get_state(ctx)
    sid = _sandbox_id(state, sandbox_id)
    if not dry_run:
        state.confirm(f"Delete every message in sandbox {sid}?", yes)
    _emit_result(state, run(state, sandboxes.action(sid, "clean"), dry_run),
                 f"cleaned sandbox {sid}", False)


@app.command("mark-read")
def mark_read(ctx: typer.Context, sandbox_id: SandboxArg = None,
              dry_run: DryRunOpt = False) -> None:
    """Mark every message in a sandbox as read."""
    from mailtrap_cli.api import sandboxes

    state = get_state(ctx)
    sid = _sandbox_id(state, sandbox_id)
    _emit_result(state, run(state, sandboxes.action(sid, "all_read"), dry_run),
                 f"marked all messages in sandbox {sid} read", False)


@app.command("reset-credentials")
def reset_credentials(ctx: typer.Context, sandbox_id: SandboxArg = None, yes: YesOpt = False,
                      dry_run: DryRunOpt = False, show_password: ShowPasswordOpt = False
                      ) -> None:
    """New SMTP username and password for a sandbox; the old ones stop working.

    Asks on a terminal; elsewhere --yes is required.

    \b
    Examples:
      mailtrap sandbox sandboxes reset-credentials 123 --yes --show-password -o json
    """
    from mailtrap_cli.api import sandboxes

    state = get_state(ctx)
    sid = _sandbox_id(state, sandbox_id)
    if not dry_run:
        state.confirm(f"Reset the SMTP credentials of sandbox {sid}? Apps using the old "
                      "ones will be refused", yes)
    _emit_result(state, run(state, sandboxes.action(sid, "reset_credentials"), dry_run),
                 f"new SMTP credentials for sandbox {sid}", show_password)


@app.command("email-username")
def email_username(
    ctx: typer.Context,
    action: Annotated[str, typer.Argument(metavar="enable|disable|reset",
                                          help="Turn the email address on or off, or give "
                                          "it a new random username.")],
    sandbox_id: SandboxArg = None, dry_run: DryRunOpt = False,
) -> None:
    """Turn a sandbox's email address on or off, or reset its username.

    The API only toggles, so enable/disable read the sandbox first and change
    nothing when it is already in the asked state.

    \b
    Examples:
      mailtrap sandbox sandboxes email-username enable 123
      mailtrap sandbox sandboxes email-username reset 123 -o json | jq -r .email_username
    """
    from mailtrap_cli.api import sandboxes

    state = get_state(ctx)
    if action not in EMAIL_USERNAME_ACTIONS:
        raise UsageError(f"unknown action '{action}'",
                         hint="use one of " + ", ".join(EMAIL_USERNAME_ACTIONS))
    sid = _sandbox_id(state, sandbox_id)
    if action == "reset":
        _emit_result(state, run(state, sandboxes.action(sid, "reset_email_username"), dry_run),
                     f"new email username for sandbox {sid}", False)
        return
    call = sandboxes.action(sid, "toggle_email_username")
    if dry_run:
        run(state, call, dry_run)
        state.out.info(f"(sent only if the email address is not already {action}d)")
        return
    want = action == "enable"
    current = sandboxes.get_sandbox(state.client(), sid)
    if bool(current.get("email_username_enabled")) == want:
        state.out.info(f"email address of sandbox {sid} is already {action}d")
        emit_masked(state, current, False)
        return
    _emit_result(state, run(state, call, False),
                 f"email address of sandbox {sid} {action}d", False)


def register_extra(group: Typer) -> None:
    """Commands that sit directly under `sandbox` (e.g. `sandbox smtp-test`)."""
    from mailtrap_cli.commands.sandbox_smtp_test import smtp_test
    from mailtrap_cli.options import OwnTimeoutCommand

    group.command("smtp-test", cls=OwnTimeoutCommand)(smtp_test)
