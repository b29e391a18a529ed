"""Options shared by the inbound commands."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api.errors import UsageError

FolderOpt = Annotated[int, typer.Option("--folder", metavar="ID", min=1, help="Folder id.")]
InboxOpt = Annotated[int, typer.Option("--inbox", metavar="ID", min=1,
                                       help="Inbound inbox id.")]
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="Name (1-100 characters).")]


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise UsageError("the name cannot be empty")
    if len(name) > 100:
        raise UsageError(f"the name is {len(name)} characters; at most 100 are allowed")
    return name
