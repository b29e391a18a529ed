"""`mailtrap contacts`: contacts, events, import, export, sync; lists and fields."""

from __future__ import annotations

from mailtrap_cli.commands.contacts import contacts, exporting, fields, importing, lists, syncing
from mailtrap_cli.options import Typer

app = Typer(help="Contacts: get, create, update, delete, event, import, export, sync; "
                 "lists and fields.")
app.add_typer(contacts.app)        # get, create, update, delete, event
app.add_typer(importing.app)       # import
app.add_typer(exporting.app)       # export
app.add_typer(syncing.app)         # sync
app.add_typer(lists.app, name="lists")
app.add_typer(fields.app, name="fields")
