"""The `mailtrap` script: answers a bare `mailtrap --version` before importing typer
(about half of every start), and hands everything else to app.main."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from mailtrap_cli import __version__

        print(f"mailtrap-cli {__version__}")
        return
    from mailtrap_cli.app import main as app_main

    app_main()
