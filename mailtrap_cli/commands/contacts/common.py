"""What the contacts commands share: arguments, typed --field values, --list
names, views, and the progress shown while imports and exports run."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Annotated, Any

import typer

from mailtrap_cli.api import contacts as api
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.output import View

ContactArg = Annotated[str, typer.Argument(
    metavar="UUID|EMAIL", help="The contact: its id, or its email address (any case).")]
ListsOpt = Annotated[list[str] | None, typer.Option(
    "--list", metavar="ID|NAME", help="A contact list, by id or name (repeatable).")]
FieldsOpt = Annotated[list[str] | None, typer.Option(
    "--field", metavar="TAG=VALUE",
    help="A field by merge tag, typed from its definition: number, true/false, "
         "YYYY-MM-DD (repeatable; TAG= clears it).")]
IntervalOpt = Annotated[float, typer.Option(
    "--interval", min=0.01, metavar="SECONDS",
    help="First pause between polls (grows x1.5 up to 5x).")]
WaitTimeoutOpt = Annotated[float, typer.Option(
    "--timeout", min=0, metavar="SECONDS", help="Give up waiting after SECONDS with exit 9 "
    "(the job goes on).")]


def data_of(body: Any) -> Any:
    """A contact out of the API's `{"data": contact}`."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and len(body) <= 2:
        return body["data"]
    return body


def when(ms: Any) -> Any:
    if not isinstance(ms, (int, float)) or isinstance(ms, bool):
        return ms
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M")


def contact_row(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    fields = item.get("fields") or {}
    return {"id": item.get("id"), "email": item.get("email"), "status": item.get("status"),
            "lists": " ".join(str(i) for i in item.get("list_ids") or []),
            "fields": " ".join(f"{k}={v}" for k, v in fields.items()),
            "created": when(item.get("created_at")), "updated": when(item.get("updated_at"))}


CONTACT_VIEW = View(row=contact_row)
LIST_VIEW = View(columns=[("id", "id"), ("name", "name")])
FIELD_VIEW = View(columns=[("id", "id"), ("name", "name"), ("data_type", "type"),
                           ("merge_tag", "merge tag")])


def typed_fields(client: Any, pairs: list[str] | None) -> dict[str, Any] | None:
    """--field flags typed from the account's field definitions (one GET)."""
    if not pairs:
        return None
    from mailtrap_cli.contacts_import.values import typed_fields as convert

    try:
        return convert(pairs, api.field_types(client))
    except ValueError as exc:
        raise UsageError(f"--field: {exc}") from None


def stdin_of(state: Any, path: str) -> Any:
    """The binary stdin for FILE `-` (claimed: stdin is read once a run), else None."""
    if path != "-":
        return None
    state.io.claim_stdin("FILE")
    return getattr(state.io.stdin, "buffer", state.io.stdin)


def list_ids(client: Any, values: list[str] | None) -> list[int]:
    return api.resolve_list_ids(client, values or [])


class Reporter:
    """Progress on stderr: a live bar on a terminal; elsewhere a plain line every
    few seconds (CI logs); nothing with -q."""

    EVERY = 5.0

    def __init__(self, out: Any, title: str) -> None:
        self.out = out
        self.title = title
        self.bar = out.progress()
        self.task: Any = None
        self.last = time.monotonic()   # a short run prints no progress line
        if self.bar is not None:
            self.bar.start()

    def __call__(self, progress: Any) -> None:
        label = f"{self.title}: {progress.phase}" + (f" ({progress.note})"
                                                     if progress.note else "")
        if self.bar is not None:
            if self.task is None:
                self.task = self.bar.add_task(label, total=progress.total)
            self.bar.update(self.task, description=label, completed=progress.done,
                             total=progress.total)
            return
        now = time.monotonic()
        if self.out.quiet or now - self.last < self.EVERY:
            return
        self.last = now
        of = f" of {progress.total:,}" if progress.total else ""
        self.out.info(f"{label}: {progress.done:,}{of} contacts")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
