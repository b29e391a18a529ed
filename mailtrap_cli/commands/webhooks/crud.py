"""`mailtrap webhooks list|get|create|update|delete`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api import webhooks
from mailtrap_cli.commands.webhooks.common import WEBHOOK_VIEW, event_types, unwrap
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt, id_arg

app = Typer(leaf=True)   # list, get, create, update, delete join `webhooks`

MASK = "***"  # noqa: S105 - what is shown instead of a stored secret
WebhookArg = id_arg("WEBHOOK_ID", "Webhook id.")
FormatOpt = Annotated[str | None, typer.Option(
    "--format", metavar="json|jsonlines", help="Payload format (default json).")]
EventsOpt = Annotated[str | None, typer.Option(
    "--events", metavar="LIST",
    help="Event types, comma-separated: delivery, soft_bounce, bounce, suspension, "
    "unsubscribe, open, spam_complaint, click, reject (any spelling; 'all' for every one).")]
InboxOpt = Annotated[int | None, typer.Option(
    "--inbound-inbox", metavar="ID", min=1, help="Inbound inbox (inbound_receiving only).")]


@app.command("list")
def list_(ctx: typer.Context, limit: LimitOpt = None, all_: AllOpt = False) -> None:
    """List webhooks (id, url, type, stream, format, active, events).

    \b
    Examples:
      mailtrap webhooks list
      mailtrap webhooks list -o json | jq '.[] | select(.active) | .url'
    """
    state = get_state(ctx)
    items = unwrap(webhooks.list_webhooks(state.client())) or []
    state.out.emit(items[:limit] if limit is not None else items, WEBHOOK_VIEW)


@app.command()
def get(ctx: typer.Context, webhook_id: WebhookArg) -> None:
    """Show one webhook (never its signing secret).

    \b
    Examples:
      mailtrap webhooks get 7
    """
    state = get_state(ctx)
    state.out.emit(unwrap(webhooks.get_webhook(state.client(), webhook_id)), WEBHOOK_VIEW)


def _choice(value: str | None, allowed: tuple[str, ...], flag: str) -> str | None:
    from mailtrap_cli.api.errors import UsageError

    if value is not None and value not in allowed:
        raise UsageError(f"{flag} {value!r}: expected one of {', '.join(allowed)}")
    return value


@app.command()
def create(ctx: typer.Context,
           url: Annotated[str, typer.Option("--url", metavar="URL",
                                            help="Where Mailtrap POSTs the events.")],
           webhook_type: Annotated[str, typer.Option(
               "--type", metavar="TYPE",
               help="email_sending, campaigns, audit_log or inbound_receiving.")
           ] = "email_sending",
           stream: Annotated[str | None, typer.Option(
               "--stream", metavar="transactional|bulk",
               help="Sending stream (email_sending; default transactional).")] = None,
           events: EventsOpt = None, payload_format: FormatOpt = None,
           domain: Annotated[int | None, typer.Option(
               "--domain", metavar="ID", min=1,
               help="Only this sending domain (default: all).")] = None,
           inbound_inbox: InboxOpt = None,
           inactive: Annotated[bool, typer.Option(
               "--inactive", help="Create it switched off.")] = False,
           save_secret: Annotated[bool, typer.Option(
               "--save-secret", help="Store the signing secret in the profile (0600) for "
               "`webhooks verify|listen|test`, instead of printing it.")] = False,
           dry_run: DryRunOpt = False) -> None:
    """Create a webhook and show its signing secret (only this once).

    Without --save-secret the secret is printed with the webhook (keep it: the
    API never returns it again). With it, it is stored in the profile and
    masked in the output.

    \b
    Examples:
      mailtrap webhooks create --url https://app.example.com/hooks/mailtrap \\
          --events delivery,bounce,open --save-secret
      mailtrap webhooks create --url https://x.example.com/h --type audit_log
      mailtrap webhooks create --url http://127.0.0.1:8000/h --events all --format jsonlines
    """
    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.webhook_events import FORMATS, STREAMS, WEBHOOK_TYPES

    state = get_state(ctx)
    _choice(webhook_type, WEBHOOK_TYPES, "--type")
    _choice(stream, STREAMS, "--stream")
    _choice(payload_format, FORMATS, "--format")
    types = event_types(events)
    if webhook_type in ("email_sending", "campaigns") and not types:
        raise UsageError(f"{webhook_type} webhooks need --events",
                         hint="e.g. --events delivery,bounce (or --events all)")
    if webhook_type == "email_sending" and stream is None:
        stream = "transactional"
    if webhook_type == "inbound_receiving" and inbound_inbox is None:
        raise UsageError("inbound_receiving webhooks need --inbound-inbox ID")
    call = webhooks.create(url=url, webhook_type=webhook_type, sending_stream=stream,
                           event_types=types, payload_format=payload_format,
                           domain_id=domain, inbound_inbox_id=inbound_inbox,
                           active=False if inactive else None)
    result = state.perform(call, dry_run=dry_run, emit=False)
    if result is None:
        return
    data = unwrap(result) or {}
    secret = data.get("signing_secret")
    state.out.success(f"created webhook {data.get('id')} for {data.get('url')}")
    if save_secret and secret:
        from mailtrap_cli.config import save_webhook_secret

        path = save_webhook_secret(state.settings.profile, secret)
        data["signing_secret"] = MASK
        state.out.info(f"signing secret stored in profile '{state.settings.profile}' ({path})")
    elif secret:
        state.out.info("the signing_secret is shown only now: keep it (or create with "
                       "--save-secret next time)")
    state.out.emit(data, WEBHOOK_VIEW)


@app.command()
def update(ctx: typer.Context, webhook_id: WebhookArg,
           url: Annotated[str | None, typer.Option("--url", metavar="URL", help="New URL.")] = None,
           active: Annotated[bool | None, typer.Option(
               "--active/--inactive", help="Switch it on or off.", show_default=False)] = None,
           events: EventsOpt = None, payload_format: FormatOpt = None,
           inbound_inbox: InboxOpt = None, dry_run: DryRunOpt = False) -> None:
    """Change a webhook's URL, state, events or payload format.

    Type, stream and domain cannot change (create a new webhook instead).

    \b
    Examples:
      mailtrap webhooks update 7 --inactive
      mailtrap webhooks update 7 --events delivery,bounce,click --format jsonlines
    """
    from mailtrap_cli.api.errors import UsageError
    from mailtrap_cli.webhook_events import FORMATS

    state = get_state(ctx)
    _choice(payload_format, FORMATS, "--format")
    fields: dict[str, Any] = {"url": url, "active": active, "event_types": event_types(events),
                              "payload_format": payload_format,
                              "inbound_inbox_id": inbound_inbox}
    if all(v is None for v in fields.values()):
        raise UsageError("nothing to update",
                         hint="pass --url, --active/--inactive, --events, --format or "
                         "--inbound-inbox")
    result = state.perform(webhooks.update(webhook_id, **fields), dry_run=dry_run,
                           done=f"updated webhook {webhook_id}", emit=False)
    if result is not None:
        state.out.emit(unwrap(result), WEBHOOK_VIEW)


@app.command()
def delete(ctx: typer.Context, webhook_id: WebhookArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a webhook.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap webhooks delete 7 --yes
    """
    state = get_state(ctx)
    result = state.perform(webhooks.delete(webhook_id), dry_run=dry_run,
                           confirm=f"Delete webhook {webhook_id}?",
                           done=f"deleted webhook {webhook_id}", emit=False)
    if result is not None:
        state.out.emit(unwrap(result), WEBHOOK_VIEW)
