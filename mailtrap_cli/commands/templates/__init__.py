"""`mailtrap templates`: email templates one by one, as files in git, and rendered locally."""

from __future__ import annotations

from mailtrap_cli.commands.templates import crud, files, render
from mailtrap_cli.options import Typer

app = Typer(help="Email templates: list, get, create, update, delete, pull, diff, push, "
            "render.")
app.add_typer(crud.app)      # list, get, create, update, delete
app.add_typer(files.app)     # pull, diff, push
app.add_typer(render.app)    # render
