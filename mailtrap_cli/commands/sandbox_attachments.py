"""`mailtrap sandbox attachments`."""

from __future__ import annotations

from mailtrap_cli.options import Typer

app = Typer(help="Attachments of sandbox messages: list, get, download.")
