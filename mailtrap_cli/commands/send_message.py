"""`send email` and `send raw`."""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    """Add `email` and `raw` to the send group."""
