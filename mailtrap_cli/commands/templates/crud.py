"""`mailtrap templates list|get|create|update|delete`: email templates one at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mailtrap_cli.api import templates
from mailtrap_cli.commands.templates.common import (
    TEMPLATE_VIEW,
    RefArg,
    body_from,
    find_template,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt

app = Typer(leaf=True)   # list, get, create, update, delete join `templates`

NameOpt = Annotated[str | None, typer.Option("--name", metavar="NAME",
                                             help="Template name (max 255).")]
SubjectOpt = Annotated[str | None, typer.Option(
    "--subject", metavar="TEXT", help="Subject line; may use {{variables}} (max 255).")]
CategoryOpt = Annotated[str | None, typer.Option("--category", metavar="NAME",
                                                 help="Category (max 255).")]
HtmlOpt = Annotated[str | None, typer.Option("--html", metavar="HTML", help="HTML body as text.")]
HtmlFileOpt = Annotated[str | None, typer.Option(
    "--html-file", metavar="PATH", help="HTML body from a file (- for stdin).")]
TextOpt = Annotated[str | None, typer.Option("--text", metavar="TEXT",
                                             help="Plain-text body as text.")]
TextFileOpt = Annotated[str | None, typer.Option(
    "--text-file", metavar="PATH", help="Plain-text body from a file (- for stdin).")]


@app.command("list")
def list_(ctx: typer.Context,
          search: Annotated[str | None, typer.Option(
              "--search", metavar="TEXT",
              help="Only templates whose name contains this (any case).")] = None,
          limit: LimitOpt = None, all_: AllOpt = False) -> None:
    """List email templates (id, uuid, name, category, updated).

    The API answers every template at once (bodies included), so --all changes
    nothing; --limit keeps the first N. JSON holds the full objects.

    \b
    Examples:
      mailtrap templates list
      mailtrap templates list --search welcome
      mailtrap templates list -o json | jq -r '.[] | "\\(.uuid) \\(.name)"'
    """
    state = get_state(ctx)
    items = templates.list_templates(state.client())
    if search:
        needle = search.casefold()
        items = [t for t in items if needle in str(t.get("name") or "").casefold()]
    if limit is not None:
        items = items[:limit]
    state.out.emit(items, TEMPLATE_VIEW)


@app.command()
def get(ctx: typer.Context, ref: RefArg,
        save: Annotated[Path | None, typer.Option(
            "--save", metavar="DIR", file_okay=False,
            help="Also write template.json, body.html and body.txt into DIR.")] = None) -> None:
    """Show one template by id or uuid, bodies included.

    \b
    Examples:
      mailtrap templates get 60927
      mailtrap templates get 018dd5e3-f6d2-7c00-8f9b-e5c3f2d8a132 -o json | jq -r .body_html
      mailtrap templates get 60927 --save ./welcome
    """
    state = get_state(ctx)
    template = find_template(state, ref)
    if save is not None:
        from mailtrap_cli.api.errors import UsageError
        from mailtrap_cli.template_files import write_template

        try:
            write_template(save, template)
        except OSError as exc:
            raise UsageError(f"cannot write into --save {save}: {exc.strerror or exc}") from None
        state.out.info(f"saved template {template.get('id')} to {save}/ "
                       "(template.json, body.html, body.txt)")
    state.out.emit(template, TEMPLATE_VIEW)


def _fields(state: Any, name: str | None, subject: str | None, category: str | None,
            html: str | None, html_file: str | None, text: str | None,
            text_file: str | None) -> dict[str, Any]:
    fields = {"name": name, "subject": subject, "category": category,
              "body_html": body_from(state, html, html_file, "--html"),
              "body_text": body_from(state, text, text_file, "--text")}
    return {k: v for k, v in fields.items() if v is not None}


@app.command()
def create(ctx: typer.Context,
           name: Annotated[str, typer.Option("--name", metavar="NAME",
                                             help="Template name (max 255).")],
           subject: Annotated[str, typer.Option(
               "--subject", metavar="TEXT", help="Subject line; may use {{variables}} (max 255).")],
           category: Annotated[str, typer.Option("--category", metavar="NAME",
                                                 help="Category (max 255).")],
           html: HtmlOpt = None, html_file: HtmlFileOpt = None, text: TextOpt = None,
           text_file: TextFileOpt = None, dry_run: DryRunOpt = False) -> None:
    """Create a template; the answer holds its id and uuid.

    \b
    Examples:
      mailtrap templates create --name Welcome --subject 'Hi {{name}}' \\
          --category onboarding --html-file welcome.html --text-file welcome.txt
      mailtrap templates create --name Reset --subject 'Reset' --category auth \\
          --text 'Reset: {{url}}' -o json | jq -r .uuid
    """
    state = get_state(ctx)
    fields = _fields(state, name, subject, category, html, html_file, text, text_file)
    state.perform(templates.create(**fields), dry_run=dry_run,
                  done=lambda t: f"created template {t.get('id')} ({t.get('uuid')})",
                  view=TEMPLATE_VIEW)


@app.command()
def update(ctx: typer.Context, ref: RefArg, name: NameOpt = None, subject: SubjectOpt = None,
           category: CategoryOpt = None, html: HtmlOpt = None, html_file: HtmlFileOpt = None,
           text: TextOpt = None, text_file: TextFileOpt = None,
           dry_run: DryRunOpt = False) -> None:
    """Change a template's name, subject, category or bodies.

    Only what is given changes (name, subject and category are sent as they
    are, as the API requires them).

    \b
    Examples:
      mailtrap templates update 60927 --subject 'Welcome, {{name}}!'
      mailtrap templates update 60927 --html-file welcome.html
      cat new.txt | mailtrap templates update 60927 --text-file -
    """
    from mailtrap_cli.api.errors import UsageError

    state = get_state(ctx)
    changes = _fields(state, name, subject, category, html, html_file, text, text_file)
    if not changes:
        raise UsageError("nothing to update",
                         hint="pass --name, --subject, --category, --html(-file) or --text(-file)")
    current = find_template(state, ref)
    fields = {key: current.get(key) or "" for key in ("name", "subject", "category")}
    fields.update(changes)
    template_id = int(current["id"])
    state.perform(templates.update(template_id, **fields), dry_run=dry_run,
                  done=f"updated template {template_id}", view=TEMPLATE_VIEW)


@app.command()
def delete(ctx: typer.Context, ref: RefArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a template (sends that use its uuid fail afterwards).

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap templates delete 60927 --yes
    """
    state = get_state(ctx)
    template_id, label = (int(ref), f"template {ref}") if ref.isdigit() else (None, "")
    if template_id is None:
        found = find_template(state, ref)
        template_id, label = int(found["id"]), f"template {found['id']} ({found.get('name')})"
    state.perform(templates.delete(template_id), dry_run=dry_run,
                  confirm=f"Delete {label}?", done=f"deleted {label}", emit=False)
