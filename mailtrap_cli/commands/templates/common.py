"""What the templates commands share: the id-or-uuid argument, bodies from flags
or files, and the table view."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api import templates
from mailtrap_cli.api.errors import NotFoundError, UsageError
from mailtrap_cli.output import View

RefArg = Annotated[str, typer.Argument(metavar="ID|UUID", help="Template id or uuid.")]
TEMPLATE_VIEW = View(columns=[("id", "id"), ("uuid", "uuid"), ("name", "name"),
                              ("category", "category"), ("updated_at", "updated")])


def check_ref(ref: str) -> str:
    ref = ref.strip()
    if not (ref.isdigit() and int(ref) > 0) and not templates.is_uuid(ref):
        raise UsageError(f"'{ref}' is not a template id or uuid",
                         hint="`mailtrap templates list` shows both")
    return ref


def find_template(state: Any, ref: str) -> dict[str, Any]:
    """The template with this id, or with this uuid (looked up in the list)."""
    ref = check_ref(ref)
    client = state.client()
    if ref.isdigit():
        return templates.get_template(client, int(ref))
    for template in templates.list_templates(client):
        if str(template.get("uuid", "")).lower() == ref.lower():
            return template
    raise NotFoundError(f"no template with uuid {ref}",
                        hint="`mailtrap templates list` shows each template's uuid")


def body_from(state: Any, inline: str | None, path: str | None, flag: str) -> str | None:
    """A body from `--html TEXT` or `--html-file PATH|-` (not both)."""
    if inline is not None and path is not None:
        raise UsageError(f"{flag} and {flag}-file cannot be used together")
    if path is not None:
        return state.io.read_text(path, f"{flag}-file")
    return inline
