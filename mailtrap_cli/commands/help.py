"""`mailtrap help [COMMAND]...`: the same text as `mailtrap COMMAND... --help`."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer

app = Typer(leaf=True)


@app.command("help")
def help_(
    ctx: typer.Context,
    words: Annotated[list[str] | None, typer.Argument(
        metavar="[COMMAND]...", show_default=False,
        help="A command or group, as typed after `mailtrap`.")] = None,
) -> None:
    """Show the help of mailtrap or of any command (as COMMAND --help does).

    \b
    Examples:
      mailtrap help
      mailtrap help sandbox messages wait
    """
    root = ctx.find_root()
    command, current, path = root.command, root, ["mailtrap"]
    for word in words or []:
        sub = command.get_command(current, word) if hasattr(command, "get_command") else None
        if sub is None:
            where = " ".join(path)
            raise UsageError(f"`{where}` has no command '{word}'",
                             hint=f"`{where} --help` lists its commands")
        current = typer.Context(sub, info_name=word, parent=current)
        command, path = sub, [*path, word]
    get_state(ctx).out.text(command.get_help(current))
