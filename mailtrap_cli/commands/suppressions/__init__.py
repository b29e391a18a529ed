"""`mailtrap suppressions`: list, create, delete, and `opt-outs` (tracking opt-outs)."""

from __future__ import annotations

from mailtrap_cli.commands.suppressions import opt_outs, suppressed
from mailtrap_cli.options import Typer

app = Typer(help="Suppressed addresses and tracking opt-outs.")
app.add_typer(suppressed.app)                          # list create delete
app.add_typer(opt_outs.app, name="opt-outs")
