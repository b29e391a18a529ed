"""Contacts, lists, fields, events, imports and exports: /api/contacts/... (contacts.openapi.yml).

Reads are plain functions returning the API's JSON untouched; every mutation is
a `Call`, so commands can show it with --dry-run or send it. A contact is named
by its UUID or its email address, percent-encoded as one path segment (`+`,
`%`, `/` and non-ASCII included: `a+b@x.io` -> `a%2Bb%40x.io`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client

BASE = "/api/contacts"
DATA_TYPES = ("text", "integer", "float", "boolean", "date")
STATUSES = ("subscribed", "unsubscribed")
MAX_IMPORT = 50_000      # contacts per import request
MAX_FIELDS = 40          # custom fields per account
# Import states: the last two are final.
IMPORT_STATES = ("created", "started", "finished", "failed")


def contact_path(identifier: str, tail: str = "") -> str:
    """/api/contacts/<UUID or email, percent-encoded as one segment>[/tail]."""
    segment = quote(str(identifier), safe="")
    return f"{BASE}/{segment}" + (f"/{tail}" if tail else "")


# -- contacts ----------------------------------------------------------------
def get_contact(client: Client, identifier: str) -> dict[str, Any]:
    """{"data": contact}"""
    return client.get("api", contact_path(identifier))


def _contact_body(email: str, fields: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    contact: dict[str, Any] = {"email": email}
    if fields:
        contact["fields"] = fields
    contact.update({k: v for k, v in extra.items() if v is not None})
    return {"contact": contact}


def create(email: str, *, fields: dict[str, Any] | None = None,
           list_ids: list[int] | None = None) -> Call:
    """Answers 201 {"data": contact}; 422 when the address exists or is invalid."""
    return Call("POST", BASE, _contact_body(email, fields, list_ids=list_ids or None))


def update(identifier: str, email: str, *, fields: dict[str, Any] | None = None,
           include: list[int] | None = None, exclude: list[int] | None = None,
           unsubscribed: bool | None = None) -> Call:
    """An upsert: answers {"action": "created"|"updated", "data": contact}."""
    return Call("PATCH", contact_path(identifier),
                _contact_body(email, fields, list_ids_included=include or None,
                              list_ids_excluded=exclude or None, unsubscribed=unsubscribed))


def delete(identifier: str) -> Call:
    return Call("DELETE", contact_path(identifier))


def create_event(identifier: str, name: str, params: dict[str, Any] | None = None) -> Call:
    """Answers 201 {contact_id, contact_email, name, params}."""
    return Call("POST", contact_path(identifier, "events"),
                {"name": name, "params": params or {}})


# -- lists -------------------------------------------------------------------
def list_lists(client: Client, search: str | None = None) -> list[dict[str, Any]]:
    """Every list (a full array); `search` is a name prefix (in the SDKs, not the spec)."""
    return client.get("api", f"{BASE}/lists", params={"search": search} if search else None)


def get_list(client: Client, list_id: int) -> dict[str, Any]:
    return client.get("api", f"{BASE}/lists/{int(list_id)}")


def create_list(name: str) -> Call:
    return Call("POST", f"{BASE}/lists", {"name": name})


def update_list(list_id: int, name: str) -> Call:
    return Call("PATCH", f"{BASE}/lists/{int(list_id)}", {"name": name})


def delete_list(list_id: int) -> Call:
    return Call("DELETE", f"{BASE}/lists/{int(list_id)}")


# -- fields ------------------------------------------------------------------
def list_fields(client: Client) -> list[dict[str, Any]]:
    """Every field definition: [{id, name, data_type, merge_tag}]."""
    return client.get("api", f"{BASE}/fields")


def get_field(client: Client, field_id: int) -> dict[str, Any]:
    return client.get("api", f"{BASE}/fields/{int(field_id)}")


def create_field(name: str, data_type: str, merge_tag: str | None = None) -> Call:
    body = {"name": name, "data_type": data_type}
    if merge_tag:
        body["merge_tag"] = merge_tag
    return Call("POST", f"{BASE}/fields", body)


def update_field(field_id: int, *, name: str | None = None,
                 merge_tag: str | None = None) -> Call:
    """The data type of a field cannot change."""
    body = {k: v for k, v in {"name": name, "merge_tag": merge_tag}.items() if v is not None}
    return Call("PATCH", f"{BASE}/fields/{int(field_id)}", body)


def delete_field(field_id: int) -> Call:
    return Call("DELETE", f"{BASE}/fields/{int(field_id)}")


# -- imports -----------------------------------------------------------------
def start_import(contacts: list[dict[str, Any]]) -> Call:
    """At most MAX_IMPORT contacts, each {email, fields, list_ids_included,
    list_ids_excluded}; answers 201 {id, status}. Processed asynchronously."""
    return Call("POST", f"{BASE}/imports", {"contacts": contacts})


def get_import(client: Client, import_id: int) -> dict[str, Any]:
    """{id, status, created_contacts_count, updated_contacts_count,
    contacts_over_limit_count} (the counts once finished)."""
    return client.get("api", f"{BASE}/imports/{int(import_id)}")


# -- exports -----------------------------------------------------------------
def export_filters(list_ids: list[int] | None = None,
                   status: str | None = None) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    if list_ids:
        filters.append({"name": "list_id", "operator": "equal", "value": list(list_ids)})
    if status:
        filters.append({"name": "subscription_status", "operator": "equal", "value": status})
    return filters


def start_export(filters: list[dict[str, Any]] | None = None) -> Call:
    """Answers 201 {id, status, url: null}; 422 while another export runs."""
    return Call("POST", f"{BASE}/exports", {"filters": filters or []})


def get_export(client: Client, export_id: int) -> dict[str, Any]:
    """{id, status, url}: `url` (a .csv.gz) once status is finished."""
    return client.get("api", f"{BASE}/exports/{int(export_id)}")


def download(client: Client, url: str) -> Any:
    """The streaming response for an export's `url`. It points at storage, not the
    API: the token is not sent there (a presigned URL refuses a second credential)."""
    return client.request("GET", "api", url, headers={"Authorization": None},  # type: ignore[dict-item]
                          raw=True, stream=True)


# -- helpers for commands ----------------------------------------------------
def resolve_list_ids(client: Client, values: list[str],
                     lists: list[dict[str, Any]] | None = None) -> list[int]:
    """`--list` values -> list ids: a number is an id, anything else a list name
    (any case). The lists are fetched only when a name needs it."""
    from mailtrap_cli.api.errors import UsageError

    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if text.isdigit():
            number = int(text)
        else:
            if lists is None:
                lists = list_lists(client)
            found = [x for x in lists if str(x.get("name", "")).casefold() == text.casefold()]
            if not found:
                names = ", ".join(repr(x.get("name")) for x in lists[:20]) or "none yet"
                raise UsageError(f"no contact list named {text!r} (lists: {names})",
                                 hint="use a list id, or create the list with "
                                      "`mailtrap contacts lists create`")
            number = int(found[0]["id"])
        if number not in ids:
            ids.append(number)
    return ids


def field_types(client: Client) -> dict[str, str]:
    """merge tag -> data type, from the account's field definitions."""
    return {f["merge_tag"]: f["data_type"] for f in list_fields(client)}
