"""`mailtrap send`: email (one message), raw (.eml / MIME), batch (many)."""

from __future__ import annotations

from mailtrap_cli.commands.send import batch, email, raw
from mailtrap_cli.options import Typer

app = Typer(help="Send email: one message, raw MIME or a batch.")
app.add_typer(email.app)                         # send email
app.add_typer(raw.app)                           # send raw
app.add_typer(batch.app)                         # send batch
