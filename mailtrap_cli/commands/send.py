"""`mailtrap send`: email (one message), raw (.eml / MIME), batch (many)."""

from __future__ import annotations

from mailtrap_cli.commands import send_batch, send_message
from mailtrap_cli.options import Typer

app = Typer(help="Send email: one message, raw MIME or a batch.")
send_message.register(app)
send_batch.register(app)
