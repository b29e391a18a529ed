"""`mailtrap inbound threads`: list, get, delete (conversations in an inbox)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api import inbound
from mailtrap_cli.commands.inbound.common import InboxOpt
from mailtrap_cli.commands.inbound.messages import MESSAGES
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt
from mailtrap_cli.output import Part, View

app = Typer(help="Conversations of an inbound inbox: list, get, delete.")

ThreadArg = Annotated[str, typer.Argument(metavar="THREAD_ID", help="Thread id.")]
THREADS = View(columns=[("id", "ID"), ("subject", "SUBJECT"), ("messages_count", "MESSAGES"),
                        ("last_message_at", "LAST"), ("people", "PARTICIPANTS")],
               row=lambda t: {**t, "people": ", ".join(t.get("participants") or [])})


def _parts(thread: dict[str, Any]) -> Any:
    yield Part({k: v for k, v in thread.items() if k not in ("messages", "message_ids")})
    yield Part(thread.get("messages") or [], MESSAGES, title="messages")


THREAD = View(table=_parts, flat=lambda t: {k: v for k, v in t.items() if k != "messages"})


@app.command("list")
def list_(ctx: typer.Context, inbox: InboxOpt, limit: LimitOpt = None,
          all_: AllOpt = False) -> None:
    """List conversations, the most recently active first.

    \b
    Examples:
      mailtrap inbound threads list --inbox 7
    """
    state = get_state(ctx)
    state.out.emit(inbound.iter_threads(state.client(), inbox, limit=limit, all_pages=all_),
                   THREADS)


@app.command()
def get(ctx: typer.Context, thread_id: ThreadArg, inbox: InboxOpt) -> None:
    """Show a conversation with its messages in order.

    \b
    Examples:
      mailtrap inbound threads get t1700000000000123 --inbox 7
    """
    state = get_state(ctx)
    state.out.emit(inbound.get_thread(state.client(), inbox, thread_id), THREAD)


@app.command()
def delete(ctx: typer.Context, thread_id: ThreadArg, inbox: InboxOpt, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a conversation and all its messages.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap inbound threads delete t1700000000000123 --inbox 7 --yes
    """
    get_state(ctx).perform(inbound.delete_thread(inbox, thread_id), dry_run=dry_run,
                           confirm=f"Delete thread {thread_id} and its messages?",
                           done=f"deleted thread {thread_id}")
