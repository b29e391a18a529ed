"""`mailtrap inbound`: folders, inboxes, messages, threads, rules (forward rules)."""

from __future__ import annotations

from mailtrap_cli.commands.inbound import folders, inboxes, messages, rules, threads
from mailtrap_cli.options import Typer

app = Typer(help="Inbound email: folders, inboxes, messages, threads, rules.")
app.add_typer(folders.app, name="folders")
app.add_typer(inboxes.app, name="inboxes")
app.add_typer(messages.app, name="messages")
app.add_typer(threads.app, name="threads")
app.add_typer(rules.app, name="rules")
