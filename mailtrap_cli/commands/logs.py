"""`mailtrap logs list|get|tail`: email logs with readable filters.

Filters map onto the API's `filters[field][operator]=...` syntax (api/logs.py):
`--status delivered`, `--to`, `--from`, `--subject-contains`, `--category`,
`--event bounce`, `--stream`, `--since/--until`. `--all` follows `search_after`
page after page, streaming (constant memory with -o jsonl)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from mailtrap_cli.api import logs
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, LimitOpt, OwnTimeoutCommand, Typer
from mailtrap_cli.output import Part, View

app = Typer(help="Email logs: list, get, tail.")

COLUMNS = [("sent_at", "SENT"), ("status", "STATUS"), ("to", "TO"), ("subject", "SUBJECT"),
           ("category", "CATEGORY"), ("message_id", "MESSAGE ID")]
LOGS = View(columns=COLUMNS)
LIVE = View(columns=COLUMNS, live={"sent_at": 24, "status": 13, "to": 30, "subject": 30,
                                   "category": 14, "message_id": 36})
EVENTS = View(columns=[("created_at", "WHEN"), ("event_type", "EVENT"), ("detail", "DETAILS")],
              row=lambda e: {**e, "detail": ", ".join(
                  f"{k}={v}" for k, v in (e.get("details") or {}).items() if v is not None)})


def _timeline(entry: dict[str, Any]) -> Iterator[Part]:
    yield Part({k: v for k, v in entry.items() if k not in ("events", "raw_message_url")})
    yield Part(entry.get("events") or [], EVENTS, title="events")


ENTRY = View(table=_timeline, flat=lambda e: {k: v for k, v in e.items() if k != "events"})

StatusOpt = Annotated[list[str] | None, typer.Option(
    "--status", metavar="STATUS",
    help="delivered, not_delivered, enqueued or opted_out (repeatable).")]
ToOpt = Annotated[str | None, typer.Option(
    "--to", metavar="ADDRESS", help="Recipient: a full address matches exactly, "
    "anything else (a domain, a name) is a part of the address.")]
FromOpt = Annotated[str | None, typer.Option(
    "--from", metavar="ADDRESS", help="Sender, matched as --to.")]
SubjectOpt = Annotated[str | None, typer.Option(
    "--subject-contains", metavar="TEXT", help="Subject contains (case-insensitive).")]
CategoryOpt = Annotated[list[str] | None, typer.Option(
    "--category", metavar="NAME", help="Category (repeatable).")]
EventOpt = Annotated[list[str] | None, typer.Option(
    "--event", metavar="EVENT", help="Had this event: delivery, open, click, bounce, "
    "soft_bounce, spam, unsubscribe, reject, suspension (repeatable).")]
StreamOpt = Annotated[str | None, typer.Option(
    "--stream", metavar="STREAM", help="transactional or bulk.")]
SinceOpt = Annotated[str | None, typer.Option(
    "--since", metavar="TIME", help="Sent at or after: ISO 8601, or ago (30m, 2h, 7d).")]
UntilOpt = Annotated[str | None, typer.Option(
    "--until", metavar="TIME", help="Sent at or before: ISO 8601, or ago.")]
DomainOpt = Annotated[int | None, typer.Option("--domain", metavar="ID", help="Domain id.")]


def _iso(value: str | None, flag: str) -> str | None:
    from mailtrap_cli.commands.suppressions.common import iso_time

    return iso_time(value, flag)


def _filters(status: list[str] | None, to: str | None, sender: str | None,
             subject: str | None, category: list[str] | None, events: list[str] | None,
             stream: str | None, since: str | None, until: str | None,
             domain: int | None) -> dict[str, Any]:
    try:
        return logs.build_filters(status=status, to=to, sender=sender,
                                  subject_contains=subject, category=category,
                                  since=_iso(since, "--since"), until=_iso(until, "--until"),
                                  events=events, stream=stream, domain_id=domain)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@app.command("list")
def list_(ctx: typer.Context, status: StatusOpt = None, to: ToOpt = None,
          from_: FromOpt = None, subject_contains: SubjectOpt = None,
          category: CategoryOpt = None, event: EventOpt = None, stream: StreamOpt = None,
          since: SinceOpt = None, until: UntilOpt = None, domain: DomainOpt = None,
          limit: LimitOpt = None, all_: AllOpt = False) -> None:
    """List sent messages, newest first (one page of 50 unless --limit or --all).

    \b
    Examples:
      mailtrap logs list --status not_delivered --since 1d
      mailtrap logs list --to ann@example.com --event bounce
      mailtrap logs list --category welcome --all -o jsonl > welcome.jsonl
    """
    state = get_state(ctx)
    filters = _filters(status, to, from_, subject_contains, category, event, stream, since,
                       until, domain)
    state.out.emit(logs.iter_logs(state.client(), filters, limit=limit, all_pages=all_), LOGS)


@app.command()
def get(ctx: typer.Context,
        message_id: Annotated[str, typer.Argument(metavar="MESSAGE_ID",
                                                  help="The message's id (a UUID).")],
        raw: Annotated[bool, typer.Option(
            "--raw", help="Download the message as sent (.eml) instead.")] = False,
        save: Annotated[Path | None, typer.Option(
            "--save", metavar="PATH", dir_okay=False,
            help="With --raw: write the .eml here instead of stdout.")] = None,
        force: Annotated[bool, typer.Option(
            "--force", help="With --save: overwrite an existing file.")] = False) -> None:
    """Show one message with its event timeline, or with --raw its .eml.

    \b
    Examples:
      mailtrap logs get a1b2c3d4-e5f6-7890-abcd-ef1234567890
      mailtrap logs get a1b2c3d4-… --raw --save message.eml
    """
    state = get_state(ctx)
    client = state.client()
    entry = logs.get(client, message_id)
    if not raw:
        if save is not None:
            raise UsageError("--save goes with --raw")
        state.out.emit(entry, ENTRY)
        return
    url = entry.get("raw_message_url")
    if not url:
        raise UsageError(f"message {message_id} has no raw message to download",
                         hint="the API keeps raw messages for a limited time")
    chunks = logs.download(client, url)
    if save is None:
        for chunk in chunks:
            state.out.raw(chunk)
        return
    from mailtrap_cli.filenames import write_new

    try:
        size = write_new(save, chunks, overwrite=force)
    except FileExistsError:
        raise UsageError(f"{save} already exists", hint="pass --force to overwrite") from None
    except OSError as exc:
        raise UsageError(f"cannot write {save}: {exc.strerror or exc}") from None
    state.out.success(f"saved {save} ({size} bytes)")


def follow(client: Any, filters: dict[str, Any], *, backlog: int, interval: float,
           until: float | None, most: int | None, sleep: Any = time.sleep
           ) -> Iterator[dict[str, Any]]:
    """The newest `backlog` entries (oldest first), then each new one as it is logged,
    until `until` (time.monotonic) or `most` entries; polls every `interval` s."""
    seen: set[str] = set()
    given = 0
    first = True
    while True:
        fresh: list[dict[str, Any]] = []
        if first:
            # One read: the newest page is all "already logged"; its first `backlog`
            # entries are shown.
            known = list(logs.iter_logs(client, filters, limit=max(backlog, 50)))
            seen.update(e.get("message_id") for e in known)
            fresh = known[:backlog]
        else:
            for entry in logs.iter_logs(client, filters, limit=1000):
                if entry.get("message_id") in seen:
                    break
                fresh.append(entry)
            seen.update(e.get("message_id") for e in fresh)
        first = False
        for entry in reversed(fresh):
            if most is not None and given >= most:
                return
            yield entry
            given += 1
        if most is not None and given >= most:
            return
        if until is not None and time.monotonic() + interval > until:
            return
        sleep(interval)


@app.command(cls=OwnTimeoutCommand)
def tail(ctx: typer.Context, status: StatusOpt = None, to: ToOpt = None,
         from_: FromOpt = None, subject_contains: SubjectOpt = None,
         category: CategoryOpt = None, event: EventOpt = None, stream: StreamOpt = None,
         domain: DomainOpt = None,
         lines: Annotated[int, typer.Option(
             "--lines", "-n", metavar="N", min=0,
             help="Show the newest N entries first.")] = 10,
         interval: Annotated[float, typer.Option(
             "--interval", metavar="SECONDS", min=1, help="Seconds between polls.")] = 5,
         timeout: Annotated[float | None, typer.Option(
             "--timeout", metavar="SECONDS", min=0,
             help="Stop after this long (default: until Ctrl-C).")] = None,
         max_: Annotated[int | None, typer.Option(
             "--max", metavar="N", min=1, help="Stop after N entries.")] = None) -> None:
    """Follow the email logs like `tail -f`: new entries print as they are logged.

    Polls every --interval seconds (the list allows 60 requests a minute).

    \b
    Examples:
      mailtrap logs tail --category deploy-check
      mailtrap logs tail --status not_delivered -o jsonl | jq -r .to
    """
    state = get_state(ctx)
    filters = _filters(status, to, from_, subject_contains, category, event, stream, None,
                       None, domain)
    until = time.monotonic() + timeout if timeout is not None else None
    state.out.info("following the email logs (Ctrl-C to stop)")
    state.out.emit(follow(state.client(), filters, backlog=lines, interval=interval,
                          until=until, most=max_), LIVE)
