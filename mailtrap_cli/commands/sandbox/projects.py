"""`mailtrap sandbox projects`: list, get, create, update, delete."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api import projects
from mailtrap_cli.commands.sandbox.common import (
    ShowPasswordOpt,
    check_name,
    limited,
    project_view,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt, id_arg

app = Typer(help="Sandbox projects: list, get, create, update, delete.")

ProjectArg = id_arg("PROJECT_ID", "Project id.")
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="Project name (2-100 characters).")]


@app.command("list")
def list_(ctx: typer.Context, limit: LimitOpt = None, all_: AllOpt = False,
          show_password: ShowPasswordOpt = False) -> None:
    """List projects with their sandboxes.

    The API answers every project at once, so --all changes nothing; --limit
    keeps the first N. JSON holds the full objects (sandboxes included).

    \b
    Examples:
      mailtrap sandbox projects list
      mailtrap sandbox projects list -o json | jq '.[].sandboxes[].id'
    """
    state = get_state(ctx)
    items = limited(projects.list_projects(state.client()), limit)
    state.out.emit(items, project_view(show_password, rows=True))


@app.command()
def get(ctx: typer.Context, project_id: ProjectArg,
        show_password: ShowPasswordOpt = False) -> None:
    """Show one project and its sandboxes.

    \b
    Examples:
      mailtrap sandbox projects get 42
    """
    state = get_state(ctx)
    state.out.emit(projects.get_project(state.client(), project_id), project_view(show_password))


@app.command()
def create(ctx: typer.Context, name: NameArg, dry_run: DryRunOpt = False) -> None:
    """Create a project.

    \b
    Examples:
      mailtrap sandbox projects create "Staging"
      mailtrap sandbox projects create "CI" -o json | jq .id
    """
    get_state(ctx).perform(projects.create(check_name(name, "project", 2)), dry_run=dry_run,
                           done=lambda result: f"created project {result.get('id')}",
                           view=project_view(False))


@app.command()
def update(ctx: typer.Context, project_id: ProjectArg,
           name: Annotated[str, typer.Option("--name", metavar="NAME",
                                                 help="New name (2-100 characters).")],
           dry_run: DryRunOpt = False, show_password: ShowPasswordOpt = False) -> None:
    """Rename a project.

    \b
    Examples:
      mailtrap sandbox projects update 42 --name "Staging (old)"
    """
    get_state(ctx).perform(projects.update(project_id, check_name(name, "project", 2)),
                           dry_run=dry_run, done=f"updated project {project_id}",
                           view=project_view(show_password))


@app.command()
def delete(ctx: typer.Context, project_id: ProjectArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a project, its sandboxes and all their messages.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap sandbox projects delete 42 --yes
    """
    get_state(ctx).perform(
        projects.delete(project_id), dry_run=dry_run,
        confirm=f"Delete project {project_id} with its sandboxes and messages?",
        done=f"deleted project {project_id}", view=project_view(False))
