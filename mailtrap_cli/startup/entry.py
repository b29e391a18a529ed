"""The `mailtrap` script: answers a bare `mailtrap --version` and TAB completion of
subcommand names before importing typer (about half of every start), and hands
everything else to app.main."""

from __future__ import annotations

import os
import sys


def main() -> None:
    try:
        _fast_paths()
    except BrokenPipeError:  # `mailtrap --version | true`: quiet, as app.main does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


def _fast_paths() -> None:
    if sys.argv[1:] == ["--version"]:
        from mailtrap_cli import __version__

        print(f"mailtrap-cli {__version__}", flush=True)
        sys.exit(0)
    if "_MAILTRAP_COMPLETE" in os.environ:
        from mailtrap_cli.startup.fast_complete import answer

        result = answer(os.environ)
        if result is not None:
            text, code = result
            sys.stdout.write(text)
            sys.stdout.flush()
            sys.exit(code)
    from mailtrap_cli.app import main as app_main

    app_main()
