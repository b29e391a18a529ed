"""`mailtrap local`: serve, status, stop, env, reset (the built-in server)."""

from __future__ import annotations

from mailtrap_cli.commands.local import manage, serve
from mailtrap_cli.options import Typer

app = Typer(help="Run the built-in Mailtrap-compatible server.")
app.add_typer(serve.app)       # local serve
app.add_typer(manage.app)      # local status | stop | env | reset
