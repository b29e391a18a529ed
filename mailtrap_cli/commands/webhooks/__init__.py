"""`mailtrap webhooks`: manage webhooks, and check, receive and fake their deliveries."""

from __future__ import annotations

from mailtrap_cli.commands.webhooks import crud, listen, tools
from mailtrap_cli.options import Typer

app = Typer(help="Webhooks: list, get, create, update, delete, verify, listen, test.")
app.add_typer(crud.app)     # list, get, create, update, delete
app.add_typer(tools.app)    # verify, test
app.add_typer(listen.app)   # listen
