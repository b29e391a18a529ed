"""What the webhooks commands share: the view, event-type lists, the `data`
wrapper, and where the signing secret comes from."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.output import View


def _row(hook: Any) -> Any:
    """A table row: the event types as one comma-separated cell."""
    if not isinstance(hook, dict):
        return hook
    row = dict(hook)
    if isinstance(row.get("event_types"), list):
        row["event_types"] = ", ".join(map(str, row["event_types"]))
    return row


WEBHOOK_VIEW = View(columns=[("id", "id"), ("url", "url"), ("webhook_type", "type"),
                             ("sending_stream", "stream"), ("payload_format", "format"),
                             ("active", "active"), ("event_types", "events")], row=_row)
SecretOpt = Annotated[str | None, typer.Option(
    "--secret", metavar="SECRET",
    help="Signing secret (visible to other users in `ps`: prefer MAILTRAP_WEBHOOK_SECRET or "
    "`webhooks create --save-secret`).")]


def unwrap(answer: Any) -> Any:
    """The webhook API wraps everything in {"data": ...}."""
    return answer.get("data") if isinstance(answer, dict) and "data" in answer else answer


def event_types(text: str | None) -> list[str] | None:
    """`delivery,soft bounce,spam` -> the settings' names; `all` -> every type."""
    if text is None:
        return None
    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.webhook_events import EVENT_TYPES, normalize_event

    names = [normalize_event(part) for part in text.split(",") if part.strip()]
    if names == ["all"]:
        return list(EVENT_TYPES)
    wrong = [n for n in names if n not in EVENT_TYPES]
    if wrong or not names:
        raise UsageError(f"unknown event type: {', '.join(wrong) or '(none)'}",
                         hint="event types: " + ", ".join(EVENT_TYPES))
    return list(dict.fromkeys(names))


def secret_of(state: Any, flag: str | None, *, required: bool = True) -> str | None:
    """--secret, else MAILTRAP_WEBHOOK_SECRET, else the profile's webhook_secret."""
    if flag:
        return flag
    settings = state.settings
    if settings.webhook_secret:
        return settings.webhook_secret
    if required:
        from mailtrap_cli.api.errors import UsageError

        raise UsageError("no webhook signing secret",
                         hint="set MAILTRAP_WEBHOOK_SECRET, pass --secret, or store it with "
                         "`mailtrap webhooks create --save-secret`")
    return None
