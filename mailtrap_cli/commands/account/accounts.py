"""`mailtrap account accounts`: the accounts the token reaches; --use stores one."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api import account
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer
from mailtrap_cli.output import View

app = Typer(leaf=True)   # its command joins the parent group

LEVELS = {1000: "owner", 100: "admin", 50: "viewer+", 10: "viewer", 1: "indeterminate"}


def level_names(levels: list[int] | None) -> str:
    return ", ".join(LEVELS.get(level, str(level)) for level in levels or [])


ACCOUNTS = View(columns=[("id", "ID"), ("name", "NAME"), ("access", "ACCESS")],
                row=lambda a: {**a, "access": level_names(a.get("access_levels"))})


@app.command("accounts")
def accounts_(ctx: typer.Context, use: Annotated[int | None, typer.Option(
        "--use", metavar="ID", help="Store this account id in the profile (account_id).")
        ] = None) -> None:
    """List the accounts the token can reach, with your access level in each.

    \b
    Examples:
      mailtrap account accounts
      mailtrap account accounts --use 12345     # later commands default to it
    """
    from mailtrap_cli import config
    from mailtrap_cli.profiles import profile_table, target_profile

    state = get_state(ctx)
    found = account.list_accounts(state.client())
    if use is not None:
        if use not in [a.get("id") for a in found]:
            raise UsageError(f"account {use} is not one of this token's accounts",
                             hint="pick an ID from `mailtrap account accounts`")
        data = config.load_file()
        name = target_profile(state, data)
        profile_table(data, name)["account_id"] = use
        path = config.save_file(data)
        state.out.success(f"account_id = {use} in profile '{name}' ({path})")
    state.out.emit(found, ACCOUNTS)
