"""The account-scoped path family, served by the current routes.

The official SDKs (Python `mailtrap` 2.11, Node `mailtrap` 4.10) call
`/api/accounts/{account_id}/<rest>` with the older names: a sandbox is an
`inbox` (path `inboxes`, field `inbox_id`, body wrapper `inbox`, a project's
`inboxes`), a domain a `sending_domain` (path `sending_domains`, wrapper
`sending_domain`, field `sending_domain_id`). The current API drops the
account (the token implies it) and renames both.

This module is the whole translation, generic over the routes: a scoped
request is rewritten to the current form (path, query names, body keys)
and answered by whatever route serves `/api/<rest>`; its JSON answer gets
the old spelling of every renamed field next to the new one (`inbox_id` and
`sandbox_id`, `inboxes` and `sandboxes`, ...). So a route module registers
only the current path and both families answer. Any account id is accepted:
the built-in server has one account, and an app under test configured with
its production account id should still work.

Request bodies in either family may use either wrapper (`inbox` or
`sandbox`, `sending_domain` or `domain`).
"""

from __future__ import annotations

import json
import re
from typing import Any

SCOPED = re.compile(r"^/api/accounts/(?P<account>\d{1,18})(?P<rest>/.*)$")
# Path segments: the first segment after the account, and a project's sub-collection.
_SEGMENTS = (
    (re.compile(r"^/inboxes(?=/|$)"), "/sandboxes"),
    (re.compile(r"^/sending_domains(?=/|$)"), "/domains"),
    (re.compile(r"^/projects/(\d+)/inboxes(?=/|$)"), r"/projects/\1/sandboxes"),
)
# Field names: old -> current. Whole words only (`inbound_inbox_id` stays).
FIELDS = {
    "inbox_id": "sandbox_id",
    "inbox_ids": "sandbox_ids",
    "inboxes": "sandboxes",
    "sending_domain_id": "domain_id",
    "sending_domain_ids": "domain_ids",
}
# Body wrappers: old -> current.
WRAPPERS = {"inbox": "sandbox", "sending_domain": "domain"}
# Response fields holding the caller's own data: their keys are never renamed.
USER_DATA = frozenset({"template_variables", "custom_variables", "fields", "headers",
                       "payload", "variables"})
_OLD_NAMES = {new: old for old, new in FIELDS.items()}
_QUERY_WORD = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(
    sorted(map(re.escape, FIELDS), key=len, reverse=True)) + r")(?![A-Za-z0-9_])")


def split_scoped(path: str) -> tuple[str, str] | None:
    """(account id, current path) for an account-scoped path, else None."""
    found = SCOPED.match(path)
    if not found:
        return None
    rest = found.group("rest")
    for pattern, replacement in _SEGMENTS:
        rest = pattern.sub(replacement, rest, count=1)
    return found.group("account"), "/api" + rest


def current_query(query: dict[str, list[str]]) -> dict[str, list[str]]:
    """Query names with the old words renamed (`inbox_ids[]` -> `sandbox_ids[]`,
    `filters[sending_domain_id][value]` -> `filters[domain_id][value]`)."""
    out: dict[str, list[str]] = {}
    for name, values in query.items():
        renamed = _QUERY_WORD.sub(lambda m: FIELDS[m.group(1)], name)
        out.setdefault(renamed, []).extend(values)
    return out


def current_body(value: Any) -> Any:
    """A request body with an old wrapper (`inbox`, `sending_domain`) and old field
    names at the top or inside the wrapper renamed; a key already present under
    its current name wins. Deeper levels are the caller's data (a contact's
    fields, template variables) and stay as they are."""
    return _rename_keys(value, {**FIELDS, **WRAPPERS}, depth=2)


def _rename_keys(value: Any, names: dict[str, str], depth: int) -> Any:
    if not isinstance(value, dict) or depth <= 0:
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        new = names.get(key, key)
        if new != key and new in value:
            continue
        out[new] = _rename_keys(item, FIELDS, depth - 1)
    return out


def current_body_bytes(body: bytes) -> bytes:
    """current_body over raw JSON bytes; anything else is left for the route to judge."""
    if not body or not any(f'"{old}"'.encode() in body for old in (*FIELDS, *WRAPPERS)):
        return body
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body
    renamed = current_body(parsed)
    if renamed == parsed:
        return body
    return json.dumps(renamed, ensure_ascii=False).encode("utf-8")


def with_old_names(value: Any) -> Any:
    """A response with the old spelling of each renamed field added next to the new."""
    if isinstance(value, list):
        return [with_old_names(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {key: item if key in USER_DATA else with_old_names(item)
           for key, item in value.items()}
    for new, old in _OLD_NAMES.items():
        if new in out and old not in out:
            out[old] = out[new]
    return out


def response_with_old_names(body: bytes, content_type: str) -> bytes:
    if not body or "json" not in content_type:
        return body
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body
    return json.dumps(with_old_names(parsed), ensure_ascii=False).encode("utf-8")
