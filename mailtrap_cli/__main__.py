"""`python -m mailtrap_cli` runs the same entry point as the `mailtrap` script."""

from mailtrap_cli.startup.entry import main

main()
