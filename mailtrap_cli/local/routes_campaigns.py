"""Email campaigns: /api/email_campaigns, in the official SDKs' shape (provisional).

API-NOTES.md: the draft spec and the SDKs disagree and the SDKs are newer, so
bodies are flat (`name, domain_id, from_local_part, template_attributes{subject,
body_html, body_text}, contact_list_ids`), answers are `{"data": ...}`, lists
use page tokens, and the actions are POST .../start|schedule|cancel|terminate|reset.

Lifecycle: draft -> (schedule) scheduled -> (cancel/reset) draft;
draft|scheduled -> (start) sending -> sent (on the next read, counting the
recipients of its lists); sending -> (terminate) terminated.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from mailtrap_cli.local.router import Request, Router, api_errors, not_found
from mailtrap_cli.local.store import Store, dumps, loads, now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS email_campaigns (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
"""
STRING_KEYS = ("name", "from_local_part", "from_display_name", "delivery_mode")
EDITABLE = ("draft", "scheduled")
STAT_COUNTS = ("delivery_count", "open_count", "click_count", "bounce_count",
               "unsubscription_count", "sent_count", "spam_count")
STAT_RATES = ("delivery_rate", "open_rate", "click_rate", "bounce_rate", "spam_rate",
              "unsubscription_rate")


def _zero_stats() -> dict[str, Any]:
    return {**dict.fromkeys(STAT_COUNTS, 0), **dict.fromkeys(STAT_RATES, 0.0)}


def _load(store: Store, campaign_id: int) -> dict[str, Any]:
    row = store.one("SELECT body FROM email_campaigns WHERE id = ? AND deleted = 0",
                    (campaign_id,))
    if row is None:
        raise not_found()
    return loads(row["body"])


def _save(store: Store, campaign: dict[str, Any]) -> None:
    campaign["updated_at"] = now_iso()
    with store.tx() as conn:
        conn.execute("UPDATE email_campaigns SET body = ? WHERE id = ?",
                     (dumps(campaign), campaign["id"]))


def _recipients(store: Store, list_ids: list[int]) -> int:
    if not list_ids:
        return 0
    try:
        marks = ", ".join("?" for _ in list_ids)
        row = store.one(f"SELECT COUNT(DISTINCT contact_pk) AS n FROM contact_memberships "  # noqa: S608
                        f"WHERE list_id IN ({marks})", list_ids)
    except Exception:  # noqa: BLE001 - no contacts tables: no recipients
        return 0
    return row["n"] if row else 0


def _progress(store: Store, campaign: dict[str, Any]) -> dict[str, Any]:
    """A sending campaign is sent by the time anyone looks again."""
    if campaign["current_state"] == "sending":
        count = campaign.get("recipient_total_count") or 0
        stats = _zero_stats()
        stats.update(sent_count=count, delivery_count=count,
                     delivery_rate=1.0 if count else 0.0)
        campaign["stats"] = stats
        campaign["current_state"] = "sent"
        campaign["current_state_metadata"] = {"reason": "finished", "errors": []}
        _save(store, campaign)
    return campaign


def _attributes(req: Request, current: dict[str, Any] | None) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise api_errors(422, {"base": ["expected a JSON object"]})
    errors: dict[str, list[str]] = {}
    for key in STRING_KEYS:
        if key in body and body[key] is not None and not isinstance(body[key], str):
            errors[key] = ["must be a string"]
    if "domain_id" in body and (not isinstance(body["domain_id"], int)
                                or isinstance(body["domain_id"], bool) or body["domain_id"] < 1):
        errors["domain_id"] = ["is invalid"]
    lists = body.get("contact_list_ids")
    if lists is not None and (not isinstance(lists, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in lists)):
        errors["contact_list_ids"] = ["is invalid"]
    template = body.get("template_attributes")
    if template is not None and not isinstance(template, dict):
        errors["template_attributes"] = ["is invalid"]
    if body.get("delivery_mode") not in (None, "immediate", "gradual", "scheduled"):
        errors["delivery_mode"] = ["is not included in the list"]
    if current is None:
        for key in ("name", "domain_id", "from_local_part"):
            if not body.get(key):
                errors.setdefault(key, ["can't be blank"])
        if not isinstance(template, dict) or not template.get("subject"):
            errors.setdefault("template_attributes.subject", ["can't be blank"])
    if errors:
        raise api_errors(422, errors)
    return body


def list_campaigns(app: Any, req: Request) -> dict[str, Any]:
    per_page = req.int_arg("per_page", 50) or 50
    token = req.int_arg("token", 1) or 1
    if not 1 <= per_page <= 100:
        raise api_errors(422, {"per_page": ["must be between 1 and 100"]})
    search = (req.arg("search") or "").casefold()
    rows = app.store.all("SELECT body FROM email_campaigns WHERE deleted = 0 ORDER BY id DESC")
    items = [loads(r["body"]) for r in rows]
    items = [c for c in items if search in (c.get("name") or "").casefold()]
    start = (token - 1) * per_page
    page = items[start:start + per_page]
    for campaign in page:
        campaign.get("template", {}).pop("body_html", None)
        campaign.get("template", {}).pop("body_text", None)
    more = start + per_page < len(items)
    return {"data": page, "pagination": {
        "token": token, "prev_token": token - 1 if token > 1 else None,
        "next_token": token + 1 if more else None}}


def create_campaign(app: Any, req: Request) -> Any:
    attrs = _attributes(req, None)
    stamp = now_iso()
    template = attrs.get("template_attributes") or {}
    campaign = {
        "id": 0, "domain_id": attrs["domain_id"], "domain_name": None,
        "name": attrs["name"], "from_local_part": attrs["from_local_part"],
        "from_display_name": attrs.get("from_display_name"),
        "reply_to": attrs.get("reply_to"), "current_state": "draft",
        "current_state_metadata": {}, "created_at": stamp, "updated_at": stamp,
        "last_started_at": None, "recipient_total_count": 0,
        "contact_list_ids": attrs.get("contact_list_ids") or [],
        "contact_segment_ids": attrs.get("contact_segment_ids") or [],
        "delivery_mode": attrs.get("delivery_mode") or "immediate",
        "delivery_options": attrs.get("delivery_options") or {"emails_per_hour": None},
        "template": {"id": 0, "subject": template.get("subject"),
                     "merge_tags": template.get("merge_tags") or [],
                     "body_html": template.get("body_html"),
                     "body_text": template.get("body_text")},
    }
    with app.store.tx() as conn:
        campaign_id = int(conn.execute("INSERT INTO email_campaigns (body) VALUES ('{}')"
                                       ).lastrowid)
        campaign["id"] = campaign_id
        campaign["template"]["id"] = campaign_id
        conn.execute("UPDATE email_campaigns SET body = ? WHERE id = ?",
                     (dumps(campaign), campaign_id))
    return {"data": campaign}


def get_campaign(app: Any, req: Request, campaign_id: int) -> dict[str, Any]:
    return {"data": _progress(app.store, _load(app.store, campaign_id))}


def update_campaign(app: Any, req: Request, campaign_id: int) -> dict[str, Any]:
    campaign = _progress(app.store, _load(app.store, campaign_id))
    attrs = _attributes(req, campaign)
    if campaign["current_state"] not in EDITABLE:
        raise api_errors(422, {"base": [f"cannot update a {campaign['current_state']} "
                                        "campaign"]})
    for key in (*STRING_KEYS, "domain_id", "reply_to", "contact_list_ids",
                "contact_segment_ids", "delivery_options"):
        if key in attrs:
            campaign[key] = attrs[key]
    for key, value in (attrs.get("template_attributes") or {}).items():
        if key in ("subject", "body_html", "body_text", "merge_tags"):
            campaign["template"][key] = value
    _save(app.store, campaign)
    return {"data": campaign}


def delete_campaign(app: Any, req: Request, campaign_id: int) -> Any:
    campaign = _progress(app.store, _load(app.store, campaign_id))
    if campaign["current_state"] == "sending":
        raise api_errors(422, {"base": ["cannot delete a sending campaign"]})
    with app.store.tx() as conn:
        conn.execute("UPDATE email_campaigns SET deleted = 1 WHERE id = ?", (campaign_id,))
    return {"data": campaign}


def get_stats(app: Any, req: Request, campaign_id: int) -> dict[str, Any]:
    campaign = _progress(app.store, _load(app.store, campaign_id))
    return {"data": campaign.get("stats") or _zero_stats()}


def _refuse(campaign: dict[str, Any], action: str) -> Any:
    return api_errors(422, {"base": [f"cannot {action} a campaign in the "
                                     f"{campaign['current_state']} state"]})


def start_campaign(app: Any, req: Request, campaign_id: int) -> dict[str, Any]:
    store = app.store
    campaign = _progress(store, _load(store, campaign_id))
    if campaign["current_state"] not in EDITABLE:
        raise _refuse(campaign, "start")
    if not campaign.get("contact_list_ids") and not campaign.get("contact_segment_ids"):
        raise api_errors(422, {"base": ["the campaign has no recipients: add contact lists"]})
    campaign["recipient_total_count"] = _recipients(store, campaign["contact_list_ids"])
    stamp = now_iso()
    campaign.update(current_state="sending", last_started_at=stamp,
                    last_started_at_date=stamp[:10],
                    current_state_metadata={"reason": "started", "errors": []})
    _save(store, campaign)
    return {"data": campaign}


def schedule_campaign(app: Any, req: Request, campaign_id: int) -> dict[str, Any]:
    campaign = _progress(app.store, _load(app.store, campaign_id))
    if campaign["current_state"] != "draft":
        raise _refuse(campaign, "schedule")
    body = req.json()
    text = body.get("datetime") if isinstance(body, dict) else None
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise api_errors(422, {"datetime": ["is invalid"]}) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = datetime.now(timezone.utc)
    if when <= now:
        raise api_errors(422, {"datetime": ["must be in the future"]})
    if when > now + timedelta(days=31):
        raise api_errors(422, {"datetime": ["must be at most 1 month ahead"]})
    stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    campaign.update(current_state="scheduled", delivery_mode="scheduled",
                    current_state_metadata={"scheduled_at": stamp, "errors": []})
    _save(app.store, campaign)
    return {"data": campaign}


def _to_draft(app: Any, campaign_id: int, action: str) -> dict[str, Any]:
    campaign = _progress(app.store, _load(app.store, campaign_id))
    if campaign["current_state"] != "scheduled":
        raise _refuse(campaign, action)
    campaign.update(current_state="draft", delivery_mode="immediate",
                    current_state_metadata={})
    _save(app.store, campaign)
    return {"data": campaign}


def cancel_campaign(app: Any, req: Request, campaign_id: int) -> dict[str, Any]:
    return _to_draft(app, campaign_id, "cancel")


def reset_campaign(app: Any, req: Request, campaign_id: int) -> dict[str, Any]:
    return _to_draft(app, campaign_id, "reset")


def terminate_campaign(app: Any, req: Request, campaign_id: int) -> dict[str, Any]:
    campaign = _load(app.store, campaign_id)   # not progressed: catch it while sending
    if campaign["current_state"] != "sending":
        raise _refuse(campaign, "terminate")
    campaign.update(current_state="terminated",
                    current_state_metadata={"reason": "terminated", "errors": []})
    _save(app.store, campaign)
    return {"data": campaign}


def register(router: Router) -> None:
    base = "/api/email_campaigns"
    item = base + "/{campaign_id:int}"
    router.add("GET", base, list_campaigns)
    router.add("POST", base, create_campaign)
    router.add("GET", item, get_campaign)
    router.add("PATCH", item, update_campaign)
    router.add("DELETE", item, delete_campaign)
    router.add("GET", item + "/stats", get_stats)
    router.add("POST", item + "/start", start_campaign)
    router.add("POST", item + "/schedule", schedule_campaign)
    router.add("POST", item + "/cancel", cancel_campaign)
    router.add("POST", item + "/reset", reset_campaign)
    router.add("POST", item + "/terminate", terminate_campaign)
