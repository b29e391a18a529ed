"""`mailtrap account tokens`: list, get, create, delete, reset.

A new token's value is in the API's answer once (create, reset). It is printed
once with a warning, or with --save-as stored as a profile (0600) and not
printed at all; --debug never shows it (the client redacts `token` fields)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api import account
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.commands.account.access import resources_text
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer, YesOpt, id_arg
from mailtrap_cli.output import View

app = Typer(help="API tokens: list, get, create, delete, reset.")

TokenArg = id_arg("TOKEN_ID", "API token id.")
SaveAsOpt = Annotated[str | None, typer.Option(
    "--save-as", metavar="PROFILE",
    help="Store the new token as this profile (0600) instead of printing it.")]
HOST_KEYS = ("base_url", "api_url", "send_url", "bulk_url", "sandbox_url")

TOKENS = View(columns=[("id", "ID"), ("name", "NAME"), ("last4", "ENDS WITH"),
                       ("created_by", "CREATED BY"), ("expires_at", "EXPIRES"),
                       ("levels", "RESOURCES")],
              row=lambda t: {**t, "last4": f"…{t.get('last_4_digits') or ''}",
                             "levels": resources_text(t)})
NEW_TOKEN = View(columns=[("id", "ID"), ("name", "NAME"), ("token", "TOKEN"),
                          ("expires_at", "EXPIRES")])


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List the account's API tokens (their last four characters, never the value).

    \b
    Examples:
      mailtrap account tokens list
    """
    state = get_state(ctx)
    state.out.emit(account.list_tokens(state.client()), TOKENS)


@app.command()
def get(ctx: typer.Context, token_id: TokenArg) -> None:
    """Show one API token (without its value).

    \b
    Examples:
      mailtrap account tokens get 12345
    """
    state = get_state(ctx)
    state.out.emit(account.get_token(state.client(), token_id), TOKENS)


def _check_profile(name: str) -> None:
    from mailtrap_cli import config

    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"--save-as {name!r}: a profile name is letters, digits, - and _")
    existing = config.load_file().get("profiles", {}).get(name) or {}
    if existing.get("token"):
        raise UsageError(f"profile '{name}' already holds a token",
                         hint="choose another name, or `mailtrap -p NAME auth logout` first")


def _deliver(state: Any, result: dict[str, Any], save_as: str | None, what: str) -> None:
    """Store the new value as a profile, or show it this once."""
    value = result.get("token") if isinstance(result, dict) else None
    if save_as and value:
        from mailtrap_cli import config
        from mailtrap_cli.profiles import profile_table, target_profile

        data = config.load_file()
        current = data.get("profiles", {}).get(target_profile(state, data)) or {}
        table = profile_table(data, save_as)
        table["token"] = value
        for key in HOST_KEYS:
            if key in current and key not in table:
                table[key] = current[key]
        if state.settings.get("account_id") and "account_id" not in table:
            table["account_id"] = state.settings.get("account_id")
        path = config.save_file(data)
        state.out.success(f"{what}; its value is stored in profile '{save_as}' ({path}) "
                          f"and not shown: use it with `mailtrap -p {save_as} ...`")
        state.out.emit({k: v for k, v in result.items() if k != "token"}, TOKENS)
        return
    state.out.success(what)
    if value:
        state.out.warn("this is the only time the token's value is shown: store it now "
                       "(or rerun with --save-as PROFILE next time)")
    state.out.emit(result, NEW_TOKEN)


@app.command()
def create(ctx: typer.Context,
           name: Annotated[str, typer.Argument(metavar="NAME", help="A name for the token.")],
           grant: Annotated[list[str] | None, typer.Option(
               "--grant", metavar="TYPE:ID=LEVEL",
               help="A resource the token reaches (account, project, sandbox, domain) with "
                    "admin or viewer; repeatable (default: admin on the account).")] = None,
           save_as: SaveAsOpt = None, dry_run: DryRunOpt = False) -> None:
    """Create an API token; its value is shown once, or stored with --save-as.

    \b
    Examples:
      mailtrap account tokens create "CI deploys" --grant sandbox:123=viewer
      mailtrap account tokens create "staging" --save-as staging   # never printed
    """
    from mailtrap_cli.commands.account.permissions import parse_changes

    resources = []
    for item in parse_changes(grant or [], []):
        if item["resource_type"] not in ("account", "project", "sandbox", "domain"):
            raise UsageError(f"--grant {item['resource_type']}: a token reaches an account, "
                             "project, sandbox or domain")
        rid = item["resource_id"]
        resources.append({"resource_type": item["resource_type"],
                          "resource_id": int(rid) if rid.isdigit() else rid,
                          "access_level": 100 if item["access_level"] == "admin" else 10})
    if not name.strip():
        raise UsageError("the token needs a name")
    if save_as:
        _check_profile(save_as)
    state = get_state(ctx)
    result = state.perform(account.create_token(name.strip(), resources), dry_run=dry_run,
                           emit=False)
    if result is not None:
        _deliver(state, result, save_as, f"created API token {result.get('id')}")


@app.command()
def reset(ctx: typer.Context, token_id: TokenArg, save_as: SaveAsOpt = None,
          yes: YesOpt = False, dry_run: DryRunOpt = False) -> None:
    """Replace a token's value; the old one stops working after a grace period.

    The new value is shown once, or stored with --save-as. Asks on a terminal;
    elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap account tokens reset 12345 --yes --save-as ci
    """
    if save_as:
        _check_profile(save_as)
    state = get_state(ctx)
    result = state.perform(account.reset_token(token_id), dry_run=dry_run, emit=False,
                           confirm=f"Reset API token {token_id}? Programs using it must "
                                   "get the new value")
    if result is not None:
        _deliver(state, result, save_as,
                 f"reset API token {token_id}: the new token is {result.get('id')}")


@app.command()
def delete(ctx: typer.Context, token_id: TokenArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete an API token: programs using it stop working at once.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap account tokens delete 12345 --yes
    """
    get_state(ctx).perform(account.delete_token(token_id), dry_run=dry_run,
                           confirm=f"Delete API token {token_id}?",
                           done=f"deleted API token {token_id}")
