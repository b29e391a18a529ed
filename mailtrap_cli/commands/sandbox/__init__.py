"""`mailtrap sandbox`: projects, sandboxes, messages, attachments, smtp-test."""

from __future__ import annotations

from mailtrap_cli.commands.sandbox import (
    attachments,
    messages,
    projects,
    sandboxes,
    smtp_test,
    wait,
)
from mailtrap_cli.options import Typer

app = Typer(help="Testing sandbox: projects, sandboxes, messages, attachments.")
app.add_typer(smtp_test.app)                     # sandbox smtp-test
app.add_typer(projects.app, name="projects")
app.add_typer(sandboxes.app, name="sandboxes")
app.add_typer(messages.app, name="messages")
messages.app.add_typer(wait.app)                 # sandbox messages wait
app.add_typer(attachments.app, name="attachments")
