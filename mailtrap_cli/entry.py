"""Kept so a `mailtrap` script installed before the move to startup/ still starts;
pyproject.toml points new installs at mailtrap_cli.startup.entry:main."""

from mailtrap_cli.startup.entry import main

__all__ = ["main"]
