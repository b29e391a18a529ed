"""Options shared by suppressions and opt-outs: address and time filters."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api.errors import UsageError

EmailFilterOpt = Annotated[str | None, typer.Option(
    "--email", metavar="ADDRESS", help="Only this address (case-insensitive).")]
SinceOpt = Annotated[str | None, typer.Option(
    "--since", metavar="TIME", help="Created at or after: ISO 8601, or ago (2h, 7d).")]
UntilOpt = Annotated[str | None, typer.Option(
    "--until", metavar="TIME", help="Created at or before: ISO 8601, or ago (2h, 7d).")]


def iso_time(value: str | None, flag: str) -> str | None:
    """A --since/--until value as the API's ISO 8601 UTC time."""
    if value is None:
        return None
    from datetime import timezone

    from mailtrap_cli.waiting import parse_since

    try:
        when = parse_since(value)
    except ValueError as exc:
        raise UsageError(f"{flag} {exc}") from None
    if when is None:
        return None
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
