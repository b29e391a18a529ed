"""`mailtrap sandbox messages`."""

from __future__ import annotations

from mailtrap_cli.options import Typer

app = Typer(help="Sandbox messages: list, get, bodies, reports, wait.")
