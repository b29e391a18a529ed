"""`mailtrap sandbox projects`."""

from __future__ import annotations

from mailtrap_cli.options import Typer

app = Typer(help="Sandbox projects: list, get, create, update, delete.")
