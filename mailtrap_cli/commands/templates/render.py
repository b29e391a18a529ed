"""`mailtrap templates render ID|UUID|DIR`: a local preview with the renderer the
built-in server uses (mailtrap_cli.handlebars)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer

app = Typer(leaf=True)


def _source(state: Any, ref: str) -> dict[str, Any]:
    """The template's parts from a folder (pull's format) or from the API."""
    from mailtrap_cli.api.errors import UsageError

    path = Path(ref)
    if path.is_dir():
        from mailtrap_cli.template_files import TemplateFilesError, read_template

        try:
            local = read_template(path)
        except TemplateFilesError as exc:
            raise UsageError(str(exc)) from None
        return {**local.meta, **local.fields()}
    from mailtrap_cli.api.templates import is_uuid
    from mailtrap_cli.commands.templates.common import find_template

    if ref.strip().isdigit() or is_uuid(ref):
        return find_template(state, ref)
    raise UsageError(f"'{ref}' is neither a template folder nor a template id or uuid")


@app.command()
def render(ctx: typer.Context,
           ref: Annotated[str, typer.Argument(
               metavar="ID|UUID|DIR", help="Template id, uuid, or a folder written by pull.")],
           var: Annotated[list[str] | None, typer.Option(
               "--var", metavar="KEY=VALUE",
               help="A variable (repeatable); VALUE is parsed as JSON when it is JSON.")] = None,
           vars_file: Annotated[str | None, typer.Option(
               "--vars-file", metavar="PATH", help="Variables from a JSON object file (- for "
               "stdin); --var wins.")] = None,
           html_out: Annotated[Path | None, typer.Option(
               "--html-out", metavar="FILE", dir_okay=False,
               help="Write the rendered HTML body to FILE.")] = None,
           strict: Annotated[bool, typer.Option(
               "--strict", help="Exit 2 when the template uses variables not given.")] = False,
           ) -> None:
    """Render a template locally, as a send with these variables would.

    Prints the text body (the subject goes to stderr); --html-out writes the
    HTML body to a file. With -o json: {subject, text, html, missing}.
    Supports {{var}}, {{a.b}}, {{{raw}}}, {{#if}}/{{else}}, {{#unless}},
    {{#each}} (this, @index), {{#with}}; HTML is escaped in {{ }}, not in
    {{{ }}}. Variables used but not given are listed on stderr.

    \b
    Examples:
      mailtrap templates render 60927 --var name=Ann --var 'items=[1,2]'
      mailtrap templates render emails/welcome --vars-file vars.json --html-out /tmp/w.html
      mailtrap templates render emails/welcome --strict -o json | jq .subject
    """
    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.compose import template_variables
    from mailtrap_cli.handlebars import TemplateError
    from mailtrap_cli.handlebars import render as hb_render

    state = get_state(ctx)
    variables = template_variables(var, vars_file, io=state.io)
    template = _source(state, ref)
    try:
        subject = hb_render(template.get("subject") or "", variables)
        text = hb_render(template.get("body_text") or "", variables)
        html = hb_render(template.get("body_html") or "", variables, escape=True)
    except TemplateError as exc:
        raise UsageError(f"template {template.get('name') or ref} does not parse: {exc}"
                         ) from None
    missing = list(dict.fromkeys(subject.missing + text.missing + html.missing))
    if html_out is not None:
        try:
            html_out.write_text(html.text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write --html-out {html_out}: {exc.strerror or exc}"
                             ) from None
        state.out.info(f"wrote the HTML body to {html_out} ({len(html.text.encode())} bytes)")
    if missing:
        message = "variables used but not given: " + ", ".join(missing)
        if strict:
            raise UsageError(message, hint="give them with --var KEY=VALUE or --vars-file")
        state.out.warn(message)
    state.out.info(f"Subject: {subject.text}")
    shown = text.text if template.get("body_text") or html_out is not None else html.text
    state.out.document(shown, {"subject": subject.text, "text": text.text, "html": html.text,
                               "missing": missing})
