"""Shared by `mailtrap local` commands: the --db option and the one spelling of a path."""

from __future__ import annotations

from typing import Annotated, Any

import typer

DbOpt = Annotated[str | None, typer.Option(
    metavar="PATH", help="The server's database (default: the `local` profile's file).")]


def db_path(db: str | None) -> str:
    import os

    from mailtrap_cli.local.transport import default_db

    path = db or str(default_db())
    # One spelling per file, so every command finds the same pid file from any folder.
    return path if path == ":memory:" else os.path.abspath(os.path.expanduser(path))


def public(info: dict[str, Any]) -> dict[str, Any]:
    """What commands show of a pid file."""
    keys = ("pid", "url", "smtp_host", "smtp_port", "smtps_port", "tls", "ca_file",
            "ca_bundle", "db", "started_at")
    return {key: info.get(key) for key in keys}
