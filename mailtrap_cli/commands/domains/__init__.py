"""`mailtrap domains`: list, get, create, update, delete, instructions, check, company-info."""

from __future__ import annotations

from mailtrap_cli.commands.domains import check, company_info, crud
from mailtrap_cli.options import Typer

app = Typer(help="Sending domains: DNS checks, company info.")
app.add_typer(crud.app)                               # list get create update delete instructions
app.add_typer(check.app)                              # domains check
app.add_typer(company_info.app, name="company-info")
