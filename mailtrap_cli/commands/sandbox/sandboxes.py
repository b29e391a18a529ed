"""`mailtrap sandbox sandboxes`: list, get, create, update, delete, clean, mark-read,
reset-credentials, email-username."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api import sandboxes
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.sandbox.common import (
    RequiredSandboxArg,
    SandboxArg,
    ShowPasswordOpt,
    check_name,
    limited,
    sandbox_view,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, ProjectOpt, Typer, YesOpt

app = Typer(help="Sandboxes: list, get, create, update, delete, clean, credentials.")

DEFAULT_FROM = "a SANDBOX_ID argument"
EMAIL_USERNAME_ACTIONS = ("enable", "disable", "reset")


def _sandbox_id(state: Any, value: int | None) -> int:
    return state.resolve_id("sandbox_id", value, DEFAULT_FROM)


@app.command("list")
def list_(ctx: typer.Context, project: ProjectOpt = None, limit: LimitOpt = None,
          all_: AllOpt = False, show_password: ShowPasswordOpt = False) -> None:
    """List sandboxes (all projects, or one with --project).

    The API answers every sandbox at once, so --all changes nothing; --limit
    keeps the first N.

    \b
    Examples:
      mailtrap sandbox sandboxes list
      mailtrap sandbox sandboxes list --project 42 -o json | jq '.[].id'
    """
    state = get_state(ctx)
    items = sandboxes.list_sandboxes(state.client())
    if project is not None:
        items = [s for s in items if s.get("project_id") == project]
    state.out.emit(limited(items, limit), sandbox_view(show_password))


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
    state = get_state(ctx)
    sid = _sandbox_id(state, sandbox_id)
    state.out.emit(sandboxes.get_sandbox(state.client(), sid), sandbox_view(show_password))


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
    state = get_state(ctx)
    project_id = state.resolve_id("project_id", project, "--project")
    state.perform(sandboxes.create(project_id, check_name(name, "sandbox")), dry_run=dry_run,
                  done=lambda result: f"created sandbox {result.get('id')}",
                  view=sandbox_view(show_password))


@app.command()
def update(ctx: typer.Context, sandbox_id: SandboxArg = None,
           name: Annotated[str | None, typer.Option("--name", metavar="NAME",
                                                    help="New name.")] = None,
           email_username: Annotated[str | None, typer.Option(
               "--email-username", metavar="USERNAME",
               help="New local part of the sandbox's email address.")] = None,
           dry_run: DryRunOpt = False, show_password: ShowPasswordOpt = False) -> None:
    """Rename a sandbox or change its email username.

    \b
    Examples:
      mailtrap sandbox sandboxes update 123 --name "QA (old)"
      mailtrap sandbox sandboxes update --email-username qa-team
    """
    state = get_state(ctx)
    if name is None and email_username is None:
        raise UsageError("nothing to update", hint="pass --name and/or --email-username")
    sid = _sandbox_id(state, sandbox_id)
    call = sandboxes.update(sid, name=check_name(name, "sandbox") if name is not None else None,
                            email_username=email_username)
    state.perform(call, dry_run=dry_run, done=f"updated sandbox {sid}",
                  view=sandbox_view(show_password))


@app.command()
def delete(ctx: typer.Context, sandbox_id: RequiredSandboxArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a sandbox and all its messages (asks; --yes off a terminal).

    \b
    Examples:
      mailtrap sandbox sandboxes delete 123 --yes
    """
    get_state(ctx).perform(sandboxes.delete(sandbox_id), dry_run=dry_run,
                           confirm=f"Delete sandbox {sandbox_id} and all its messages?",
                           done=f"deleted sandbox {sandbox_id}", view=sandbox_view(False))


@app.command()
def clean(ctx: typer.Context, sandbox_id: SandboxArg = None, yes: YesOpt = False,
          dry_run: DryRunOpt = False) -> None:
    """Delete every message in a sandbox (asks; --yes off a terminal).

    \b
    Examples:
      mailtrap sandbox sandboxes clean 123 --yes
      mailtrap -p ci sandbox sandboxes clean --yes     # the profile's sandbox
    """
    state = get_state(ctx)
    sid = _sandbox_id(state, sandbox_id)
    state.perform(sandboxes.action(sid, "clean"), dry_run=dry_run,
                  confirm=f"Delete every message in sandbox {sid}?",
                  done=f"cleaned sandbox {sid}", view=sandbox_view(False))


@app.command("mark-read")
def mark_read(ctx: typer.Context, sandbox_id: SandboxArg = None,
              dry_run: DryRunOpt = False) -> None:
    """Mark every message in a sandbox as read.

    \b
    Examples:
      mailtrap sandbox sandboxes mark-read 123
    """
    state = get_state(ctx)
    sid = _sandbox_id(state, sandbox_id)
    state.perform(sandboxes.action(sid, "all_read"), dry_run=dry_run,
                  done=f"marked all messages in sandbox {sid} read", view=sandbox_view(False))


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
    state = get_state(ctx)
    sid = _sandbox_id(state, sandbox_id)
    state.perform(sandboxes.action(sid, "reset_credentials"), dry_run=dry_run,
                  confirm=f"Reset the SMTP credentials of sandbox {sid}? Apps using the old "
                  "ones will be refused", done=f"new SMTP credentials for sandbox {sid}",
                  view=sandbox_view(show_password))


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
    state = get_state(ctx)
    if action not in EMAIL_USERNAME_ACTIONS:
        raise UsageError(f"unknown action '{action}'",
                         hint="use one of " + ", ".join(EMAIL_USERNAME_ACTIONS))
    sid = _sandbox_id(state, sandbox_id)
    view = sandbox_view(False)
    if action == "reset":
        state.perform(sandboxes.action(sid, "reset_email_username"), dry_run=dry_run,
                      done=f"new email username for sandbox {sid}", view=view)
        return
    call = sandboxes.action(sid, "toggle_email_username")
    if dry_run:
        state.perform(call, dry_run=True)
        state.out.info(f"(sent only if the email address is not already {action}d)")
        return
    current = sandboxes.get_sandbox(state.client(), sid)
    if bool(current.get("email_username_enabled")) == (action == "enable"):
        state.out.info(f"email address of sandbox {sid} is already {action}d")
        state.out.emit(current, view)
        return
    state.perform(call, done=f"email address of sandbox {sid} {action}d", view=view)
