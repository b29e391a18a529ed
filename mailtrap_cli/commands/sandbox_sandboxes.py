"""`mailtrap sandbox sandboxes`."""

from __future__ import annotations

from mailtrap_cli.options import Typer

app = Typer(help="Sandboxes: list, get, create, update, delete, clean, credentials.")


def register_extra(group: Typer) -> None:
    """Commands that sit directly under `sandbox` (e.g. `sandbox smtp-test`)."""
