"""`mailtrap campaigns`: email campaigns (provisional API, see api/campaigns.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

import typer

from mailtrap_cli.api import campaigns as api
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.context import get_state
from mailtrap_cli.options import AllOpt, DryRunOpt, LimitOpt, Typer, YesOpt, id_arg
from mailtrap_cli.output import View

app = Typer(help="Email campaigns: list, get, create, update, delete, stats, start, "
                 "schedule, cancel.")

CampaignArg = id_arg("CAMPAIGN_ID", "Campaign id.")
CAMPAIGN_COLUMNS = [("id", "id"), ("name", "name"), ("current_state", "state"),
                    ("template.subject", "subject"), ("recipient_total_count", "recipients"),
                    ("contact_list_ids", "lists"), ("updated_at", "updated")]
CAMPAIGN_VIEW = View(columns=CAMPAIGN_COLUMNS, key=("id", "name", "current_state"))


def stats_rows(stats: Any) -> Any:
    """The stats as a table a person reads: one row per metric, count and rate."""
    if not isinstance(stats, dict):
        return stats
    rows = []
    for metric in ("sent", "delivery", "open", "click", "bounce", "spam", "unsubscription",
                   "reject"):
        count = stats.get(f"{metric}_count")
        rate = stats.get(f"{metric}_rate")
        if count is None and rate is None:
            continue
        rows.append({"metric": metric, "count": count if count is not None else "",
                     "rate": f"{rate * 100:.1f}%" if isinstance(rate, (int, float)) else ""})
    return rows


STATS_VIEW = View(columns=[("metric", "metric"), ("count", "count"), ("rate", "rate")],
                  flat=stats_rows)

NameOpt = Annotated[str | None, typer.Option("--name", metavar="NAME", help="Campaign name.")]
DomainOpt = Annotated[int | None, typer.Option(
    "--domain-id", min=1, metavar="ID", help="The verified sending domain's id.")]
FromOpt = Annotated[str | None, typer.Option(
    "--from", metavar="LOCAL|ADDRESS", help="Sender: the part before @ (news), or a whole "
    "address on the sending domain.")]
FromNameOpt = Annotated[str | None, typer.Option("--from-name", metavar="NAME",
                                                 help="Sender display name.")]
SubjectOpt = Annotated[str | None, typer.Option("--subject", metavar="TEXT",
                                                help="Subject line.")]
HtmlOpt = Annotated[str | None, typer.Option("--html", metavar="HTML", help="HTML body.")]
HtmlFileOpt = Annotated[str | None, typer.Option("--html-file", metavar="PATH",
                                                 help="HTML body from a file (- for stdin).")]
TextOpt = Annotated[str | None, typer.Option("--text", metavar="TEXT", help="Text body.")]
TextFileOpt = Annotated[str | None, typer.Option("--text-file", metavar="PATH",
                                                 help="Text body from a file (- for stdin).")]
TemplateOpt = Annotated[int | None, typer.Option(
    "--template", min=1, metavar="TEMPLATE_ID",
    help="Take subject and bodies from an email template (flags given win).")]
ListOpt = Annotated[list[str] | None, typer.Option(
    "--list", metavar="ID|NAME", help="A contact list to send to (repeatable).")]


def _read(state: Any, path: str | None, flag: str) -> str | None:
    if path is None:
        return None
    return state.io.read_text(path, flag)


def _attributes(state: Any, client: Any, *, name: str | None, domain_id: int | None,
                sender: str | None, from_name: str | None, subject: str | None,
                html: str | None, html_file: str | None, text: str | None,
                text_file: str | None, template: int | None,
                lists: list[str] | None) -> dict[str, Any]:
    if html is not None and html_file is not None:
        raise UsageError("pass --html or --html-file, not both")
    if text is not None and text_file is not None:
        raise UsageError("pass --text or --text-file, not both")
    html = html if html is not None else _read(state, html_file, "--html-file")
    text = text if text is not None else _read(state, text_file, "--text-file")
    if template is not None:
        found = api.get_template(client, template)
        subject = subject if subject is not None else found.get("subject")
        html = html if html is not None else (found.get("body_html") or None)
        text = text if text is not None else (found.get("body_text") or None)
    local = None
    if sender is not None:
        local = sender.strip().partition("@")[0] if "@" in sender else sender.strip()
        if not local or any(c.isspace() for c in local):
            raise UsageError(f"--from: {sender!r} is not a sender address or local part")
    list_ids = None
    if lists:
        from mailtrap_cli.api.contacts import resolve_list_ids

        list_ids = resolve_list_ids(client, lists)
    return api.body(name=name, domain_id=domain_id, from_local_part=local,
                    from_display_name=from_name, subject=subject, body_html=html,
                    body_text=text, contact_list_ids=list_ids)


@app.command("list")
def list_(ctx: typer.Context, search: Annotated[str | None, typer.Option(
        "--search", metavar="TEXT", help="Only campaigns whose name contains TEXT.")] = None,
          limit: LimitOpt = None, all_: AllOpt = False) -> None:
    """List campaigns, newest first.

    \b
    Examples:
      mailtrap campaigns list
      mailtrap campaigns list --search spring --all -o jsonl
    """
    state = get_state(ctx)
    items = api.iter_campaigns(state.client(), search=search, limit=limit, all_pages=all_)
    state.out.emit(items, CAMPAIGN_VIEW)


@app.command()
def get(ctx: typer.Context, campaign_id: CampaignArg) -> None:
    """Show one campaign (state, template, lists, schedule).

    \b
    Examples:
      mailtrap campaigns get 4567
      mailtrap campaigns get 4567 -o json | jq .current_state
    """
    state = get_state(ctx)
    state.out.emit(api.get_campaign(state.client(), campaign_id), CAMPAIGN_VIEW)


@app.command()
def create(ctx: typer.Context,
           name: Annotated[str, typer.Option("--name", metavar="NAME", help="Campaign name.")],
           domain_id: Annotated[int, typer.Option(
               "--domain-id", min=1, metavar="ID", help="The verified sending domain's id.")],
           sender: Annotated[str, typer.Option(
               "--from", metavar="LOCAL|ADDRESS", help="Sender: the part before @ (news), or "
               "a whole address on the sending domain.")],
           from_name: FromNameOpt = None, subject: SubjectOpt = None, html: HtmlOpt = None,
           html_file: HtmlFileOpt = None, text: TextOpt = None, text_file: TextFileOpt = None,
           template: TemplateOpt = None, list_: ListOpt = None,
           dry_run: DryRunOpt = False) -> None:
    """Create a campaign (a draft) from flags or an email template.

    \b
    Examples:
      mailtrap campaigns create --name "Spring sale" --domain-id 3 --from news \\
          --subject "30% off" --html-file spring.html --list Newsletter
      mailtrap campaigns create --name Digest --domain-id 3 --from news --template 12
    """
    state = get_state(ctx)
    client = state.client()
    attrs = _attributes(state, client, name=name, domain_id=domain_id, sender=sender,
                        from_name=from_name, subject=subject, html=html, html_file=html_file,
                        text=text, text_file=text_file, template=template, lists=list_)
    if not attrs.get("template_attributes", {}).get("subject"):
        raise UsageError("a campaign needs a subject: --subject, or --template with one")
    _perform(state, api.create(attrs), dry_run, lambda c: f"created campaign {c.get('id')}")


def _perform(state: Any, call: Any, dry_run: bool, done: Any, *,
             confirm: str | None = None, yes: bool | None = None) -> None:
    result = state.perform(call, dry_run=dry_run, emit=False, confirm=confirm, yes=yes,
                           done=lambda r: done(api.unwrap(r) or {}))
    if result is not None:
        state.out.emit(api.unwrap(result), CAMPAIGN_VIEW)


@app.command()
def update(ctx: typer.Context, campaign_id: CampaignArg, name: NameOpt = None,
           domain_id: DomainOpt = None, sender: FromOpt = None, from_name: FromNameOpt = None,
           subject: SubjectOpt = None, html: HtmlOpt = None, html_file: HtmlFileOpt = None,
           text: TextOpt = None, text_file: TextFileOpt = None, template: TemplateOpt = None,
           list_: ListOpt = None, dry_run: DryRunOpt = False) -> None:
    """Change a draft or scheduled campaign.

    Only what is given changes.

    \b
    Examples:
      mailtrap campaigns update 4567 --subject "Last day: 30% off"
      mailtrap campaigns update 4567 --list Newsletter --list VIP
    """
    state = get_state(ctx)
    client = state.client()
    attrs = _attributes(state, client, name=name, domain_id=domain_id, sender=sender,
                        from_name=from_name, subject=subject, html=html, html_file=html_file,
                        text=text, text_file=text_file, template=template, lists=list_)
    if not attrs:
        raise UsageError("nothing to change: pass at least one option")
    _perform(state, api.update(campaign_id, attrs), dry_run,
             lambda c: f"updated campaign {campaign_id}")


@app.command()
def delete(ctx: typer.Context, campaign_id: CampaignArg, yes: YesOpt = False,
           dry_run: DryRunOpt = False) -> None:
    """Delete a campaign (not while it is sending).

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap campaigns delete 4567 --yes
    """
    _perform(get_state(ctx), api.delete(campaign_id), dry_run,
             lambda c: f"deleted campaign {campaign_id}",
             confirm=f"Delete campaign {campaign_id}?", yes=yes)


@app.command()
def stats(ctx: typer.Context, campaign_id: CampaignArg,
          start_date: Annotated[str | None, typer.Option(
              "--start-date", metavar="YYYY-MM-DD", help="Count from this day.")] = None,
          end_date: Annotated[str | None, typer.Option(
              "--end-date", metavar="YYYY-MM-DD", help="Count up to this day.")] = None) -> None:
    """Show a campaign's counts and rates.

    A table of metrics with counts and rates in percent; JSON keeps the API's
    fields (rates from 0 to 1).

    \b
    Examples:
      mailtrap campaigns stats 4567
      mailtrap campaigns stats 4567 -o json | jq .open_rate
    """
    for flag, value in (("--start-date", start_date), ("--end-date", end_date)):
        if value is not None:
            try:
                datetime.strptime(value, "%Y-%m-%d")
            except ValueError:
                raise UsageError(f"{flag}: {value!r} is not a date like 2026-05-01") from None
    state = get_state(ctx)
    state.out.emit(api.get_stats(state.client(), campaign_id, start_date=start_date,
                                 end_date=end_date), STATS_VIEW)


@app.command()
def start(ctx: typer.Context, campaign_id: CampaignArg, yes: YesOpt = False,
          dry_run: DryRunOpt = False) -> None:
    """Start sending a campaign to its lists now.

    Asks on a terminal; elsewhere --yes is required (exit 3 without it).

    \b
    Examples:
      mailtrap campaigns start 4567 --yes
    """
    _perform(get_state(ctx), api.action(campaign_id, "start"), dry_run,
             lambda c: f"started campaign {campaign_id} "
                       f"({c.get('recipient_total_count', 0)} recipients)",
             confirm=f"Start sending campaign {campaign_id} now?", yes=yes)


def _when(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at: {text!r} is not a time like 2026-06-01T09:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()      # the machine's local time
    moment = moment.astimezone(timezone.utc)
    if moment <= datetime.now(timezone.utc):
        raise UsageError(f"--at: {text} is in the past")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@app.command()
def schedule(ctx: typer.Context, campaign_id: CampaignArg,
             at: Annotated[str, typer.Option(
                 "--at", metavar="TIME", help="ISO 8601 time, in the future and at most a "
                 "month ahead (no zone: this machine's).")],
             dry_run: DryRunOpt = False) -> None:
    """Schedule a draft campaign to start at a given time.

    \b
    Examples:
      mailtrap campaigns schedule 4567 --at 2026-06-01T09:00:00Z
      mailtrap campaigns schedule 4567 --at "2026-06-01 09:00"
    """
    when = _when(at)
    _perform(get_state(ctx), api.schedule(campaign_id, when), dry_run,
             lambda c: f"scheduled campaign {campaign_id} for {when}")


@app.command()
def cancel(ctx: typer.Context, campaign_id: CampaignArg, dry_run: DryRunOpt = False) -> None:
    """Cancel a scheduled campaign (back to draft).

    \b
    Examples:
      mailtrap campaigns cancel 4567
    """
    _perform(get_state(ctx), api.action(campaign_id, "cancel"), dry_run,
             lambda c: f"cancelled campaign {campaign_id}: it is a draft again")


@app.command()
def terminate(ctx: typer.Context, campaign_id: CampaignArg, yes: YesOpt = False,
              dry_run: DryRunOpt = False) -> None:
    """Stop a campaign that is sending.

    \b
    Examples:
      mailtrap campaigns terminate 4567 --yes
    """
    _perform(get_state(ctx), api.action(campaign_id, "terminate"), dry_run,
             lambda c: f"terminated campaign {campaign_id}",
             confirm=f"Stop sending campaign {campaign_id}?", yes=yes)
