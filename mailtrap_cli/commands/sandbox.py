"""`mailtrap sandbox`: projects, sandboxes, messages, attachments (and smtp-test)."""

from __future__ import annotations

from mailtrap_cli.commands import (
    sandbox_attachments,
    sandbox_messages,
    sandbox_projects,
    sandbox_sandboxes,
)
from mailtrap_cli.options import Typer

app = Typer(help="Testing sandbox: projects, sandboxes, messages, attachments.")
app.add_typer(sandbox_projects.app, name="projects")
app.add_typer(sandbox_sandboxes.app, name="sandboxes")
app.add_typer(sandbox_messages.app, name="messages")
app.add_typer(sandbox_attachments.app, name="attachments")
sandbox_sandboxes.register_extra(app)
