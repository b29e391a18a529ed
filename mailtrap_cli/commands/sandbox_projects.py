"""`mailtrap sandbox projects`: list, get, create, update, delete."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.commands.sandbox_common import (
    ShowPasswordOpt,
    as_rows,
    check_name,
    emit_masked,
    limited,
    mask,
    run,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt

app = Typer(help="Sandbox projects: list, get, create, update, delete.")

ProjectArg = Annotated[int, typer.Argument(metavar="PROJECT_ID", min=1, help="Project id.")]
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="Project name (2-100 characters).")]


@app.command("list")
def list_(ctx: typer.Context, limit: LimitOpt = None, all_: AllOpt = False,
          show_password: ShowPasswordOpt = False) -> None:
    """List projects with their sandboxes.

    The API answers every project at once, so --all changes nothing; --limit
    keeps the first N. JSON holds the full objects (sandboxes included).
    """
    from mailtrap_cli.api import projects

    state = get_state(ctx)
    items = limited(projects.list_projects(state.client()), limit)
    if state.out.mode in ("table", "tsv"):
        state.out.emit(list(as_rows(items)))
        return
    emit_masked(state, items, show_password)


@app.command()
def get(ctx: typer.Context, project_id: ProjectArg,
        show_password: ShowPasswordOpt = False) -> None:
    """Show one project and its sandboxes."""
    from mailtrap_cli.api import projects

    state = get_state(ctx)
    emit_masked(state, projects.get_project(state.client(), project_id), show_password)


@app.command()
def create(ctx: typer.Context, name: NameArg, dry_run: DryRunOpt = False) -> None:
    """Create a project.

    \b
    Examples:
      mailtrap sandbox projects create "Staging"
      mailtrap sandbox projects create "CI" -o json | jq .id
    """
    from mailtrap_cli.api import projects

    state = get_state(ctx)
    result = run(state, projects.create(check_name(name, "project", 2)), dry_run)
    if result is not None:
        state.out.success(f"created project {result.get('id')}")
        emit_masked(state, result, False)


@app.command()
def update(ctx: typer.Context, project_id: ProjectArg,
           name: Annotated[str, typer.Option("--name", help="New name (2-100 characters).")],
           dry_run: DryRunOpt = False, show_password: ShowPasswordOpt = False) -> None:
    """Rename a project."""
    from mailtrap_cli.api import projects

    state = get_state(ctx)
    result = run(state, projects.update(project_id, check_name(name, "project", 2)), dry_run)
    if result is not None:
        state.out.success(f"updated project {project_id}")
        emit_masked(state, result, show_password)


@app.command()
def delete(ctx: typer.Context, project_id: ProjectArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a project, its sandboxes and all their messages.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).
    """
    from mailtrap_cli.api import projects

    state = get_state(ctx)
    call = projects.delete(project_id)
    if not dry_run:
        state.confirm(f"Delete project {project_id} with its sandboxes and messages?", yes)
    result = run(state, call, dry_run)
    if result is not None:
        mask(result, False)
        state.out.success(f"deleted project {project_id}")
        state.out.emit(result)
