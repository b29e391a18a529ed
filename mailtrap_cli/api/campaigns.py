"""Email campaigns: /api/email_campaigns (provisional).

The draft spec (email-campaigns.draft.openapi.yml) and the official SDKs
disagree; as API-NOTES.md says, this module follows the SDKs (newer): a flat
body with `name, domain_id, from_local_part, template_attributes{subject,
body_html, body_text}, contact_list_ids`, answers wrapped in `{"data": ...}`,
page-token pagination, and the actions start/schedule/cancel/terminate/reset.
Everything that depends on that shape lives here, so a change of API is a
change of this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client
from mailtrap_cli.api.pagination import paginate

BASE = "/api/email_campaigns"
ACTIONS = ("start", "cancel", "terminate", "reset")     # POST, no body
STATES = ("draft", "scheduled", "sending", "sent", "terminated")
MAX_PER_PAGE = 100
RATE_KEYS = ("delivery_rate", "open_rate", "click_rate", "bounce_rate", "spam_rate",
             "unsubscription_rate")


def path(campaign_id: int, action: str | None = None) -> str:
    base = f"{BASE}/{int(campaign_id)}"
    return f"{base}/{action}" if action else base


def unwrap(body: Any) -> Any:
    """The campaign (or stats) out of an answer: `{"data": x}` -> x."""
    if isinstance(body, dict) and "data" in body and len(body) <= 2:
        return body["data"]
    return body


def iter_campaigns(client: Client, *, search: str | None = None, limit: int | None = None,
                   all_pages: bool = False, per_page: int = MAX_PER_PAGE) -> Iterator[Any]:
    """Newest first; `search` is a case-insensitive part of the name."""
    params = {"search": search} if search else {}
    return paginate(client, "api", BASE, scheme="token", params=params, limit=limit,
                    all_pages=all_pages, per_page=per_page)


def get_campaign(client: Client, campaign_id: int) -> dict[str, Any]:
    return unwrap(client.get("api", path(campaign_id)))


def get_stats(client: Client, campaign_id: int, *, start_date: str | None = None,
              end_date: str | None = None) -> dict[str, Any]:
    params = {"start_date": start_date, "end_date": end_date}
    return unwrap(client.get("api", path(campaign_id, "stats"), params=params))


def get_template(client: Client, template_id: int) -> dict[str, Any]:
    """An email template, to take a campaign's subject and bodies from."""
    return client.get("api", f"/api/email_templates/{int(template_id)}")


def body(*, name: str | None = None, domain_id: int | None = None,
         from_local_part: str | None = None, from_display_name: str | None = None,
         subject: str | None = None, body_html: str | None = None,
         body_text: str | None = None, contact_list_ids: list[int] | None = None,
         reply_to: dict[str, Any] | None = None, delivery_mode: str | None = None,
         emails_per_hour: int | None = None) -> dict[str, Any]:
    """The request body from what is given (None: left out, so an update changes
    only what was asked)."""
    out: dict[str, Any] = {k: v for k, v in {
        "name": name, "domain_id": domain_id, "from_local_part": from_local_part,
        "from_display_name": from_display_name, "reply_to": reply_to,
        "delivery_mode": delivery_mode, "contact_list_ids": contact_list_ids,
    }.items() if v is not None}
    template = {k: v for k, v in {"subject": subject, "body_html": body_html,
                                  "body_text": body_text}.items() if v is not None}
    if template:
        out["template_attributes"] = template
    if emails_per_hour is not None:
        out["delivery_options"] = {"emails_per_hour": emails_per_hour}
    return out


def create(attributes: dict[str, Any]) -> Call:
    """Created as a draft."""
    return Call("POST", BASE, attributes)


def update(campaign_id: int, attributes: dict[str, Any]) -> Call:
    return Call("PATCH", path(campaign_id), attributes)


def delete(campaign_id: int) -> Call:
    return Call("DELETE", path(campaign_id))


def action(campaign_id: int, name: str) -> Call:
    """start (send now), cancel or reset (a scheduled one back to draft), terminate
    (stop a sending one)."""
    if name not in ACTIONS:
        raise ValueError(f"unknown campaign action {name!r}")
    return Call("POST", path(campaign_id, name))


def schedule(campaign_id: int, when: str) -> Call:
    """Start at `when` (ISO 8601, in the future, at most a month ahead)."""
    return Call("POST", path(campaign_id, "schedule"), {"datetime": when})
