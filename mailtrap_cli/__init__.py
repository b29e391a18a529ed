"""mailtrap-cli: the whole Mailtrap API from the command line."""

__version__ = "0.1.0"
