"""`send batch`."""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    """Add `batch` to the send group."""
