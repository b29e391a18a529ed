"""`mailtrap account`: accounts, access, permissions, tokens, billing, sub-accounts."""

from __future__ import annotations

from mailtrap_cli.commands.account import (
                 access,
                 accounts,
                 billing,
                 permissions,
                 sub_accounts,
                 tokens,
)
from mailtrap_cli.options import Typer

app = Typer(help="Accounts, access, permissions, API tokens, billing.")
app.add_typer(accounts.app)                          # account accounts
app.add_typer(billing.app)                           # account billing
app.add_typer(access.app, name="access")
app.add_typer(permissions.app, name="permissions")
app.add_typer(tokens.app, name="tokens")
app.add_typer(sub_accounts.app, name="sub-accounts")
