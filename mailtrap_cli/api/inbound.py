"""Inbound email: folders, inboxes, messages (inbound.openapi.yml) and the
SDK-only threads, replies, forwards and forward rules (API-NOTES.md).

Message and thread lists page with `last_id` in the body (null at the end)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client
from mailtrap_cli.api.pagination import paginate

BASE = "/api/inbound"


def folder_path(folder_id: int | None = None) -> str:
    return f"{BASE}/folders" if folder_id is None else f"{BASE}/folders/{int(folder_id)}"


def inbox_path(folder_id: int, inbox_id: int | None = None) -> str:
    base = f"{folder_path(folder_id)}/inboxes"
    return base if inbox_id is None else f"{base}/{int(inbox_id)}"


def box(inbox_id: int, *parts: Any) -> str:
    return "/".join([f"{BASE}/inboxes/{int(inbox_id)}", *(str(p) for p in parts)])


# folders
def list_folders(client: Client) -> list[dict[str, Any]]:
    return client.get("api", folder_path())


def get_folder(client: Client, folder_id: int) -> dict[str, Any]:
    return client.get("api", folder_path(folder_id))


def create_folder(name: str) -> Call:
    return Call("POST", folder_path(), {"name": name})


def update_folder(folder_id: int, name: str) -> Call:
    return Call("PATCH", folder_path(folder_id), {"name": name})


def delete_folder(folder_id: int) -> Call:
    return Call("DELETE", folder_path(folder_id))


# inboxes
def list_inboxes(client: Client, folder_id: int) -> list[dict[str, Any]]:
    return client.get("api", inbox_path(folder_id))


def get_inbox(client: Client, folder_id: int, inbox_id: int) -> dict[str, Any]:
    return client.get("api", inbox_path(folder_id, inbox_id))


def create_inbox(folder_id: int, name: str) -> Call:
    return Call("POST", inbox_path(folder_id), {"name": name})


def update_inbox(folder_id: int, inbox_id: int, name: str) -> Call:
    return Call("PATCH", inbox_path(folder_id, inbox_id), {"name": name})


def delete_inbox(folder_id: int, inbox_id: int) -> Call:
    return Call("DELETE", inbox_path(folder_id, inbox_id))


# messages
def iter_messages(client: Client, inbox_id: int, *, limit: int | None = None,
                  all_pages: bool = False) -> Iterator[Any]:
    return paginate(client, "api", box(inbox_id, "messages"), scheme="body_last_id",
                    limit=limit, all_pages=all_pages)


def get_message(client: Client, inbox_id: int, message_id: str) -> dict[str, Any]:
    return client.get("api", box(inbox_id, "messages", message_id))


def delete_message(inbox_id: int, message_id: str) -> Call:
    return Call("DELETE", box(inbox_id, "messages", message_id))


def reply(inbox_id: int, message_id: str, body: dict[str, Any], *, everyone: bool = False
          ) -> Call:
    action = "reply_all" if everyone else "reply"
    return Call("POST", box(inbox_id, "messages", message_id, action), body)


def forward(inbox_id: int, message_id: str, body: dict[str, Any]) -> Call:
    return Call("POST", box(inbox_id, "messages", message_id, "forward"), body)


def download(client: Client, url: str) -> Iterator[bytes]:
    """Bytes at a signed download URL (raw .eml or an attachment)."""
    from mailtrap_cli.api.logs import download as signed_download

    return signed_download(client, url)


# threads
def iter_threads(client: Client, inbox_id: int, *, limit: int | None = None,
                 all_pages: bool = False) -> Iterator[Any]:
    return paginate(client, "api", box(inbox_id, "threads"), scheme="body_last_id",
                    limit=limit, all_pages=all_pages)


def get_thread(client: Client, inbox_id: int, thread_id: str) -> dict[str, Any]:
    return client.get("api", box(inbox_id, "threads", thread_id))


def delete_thread(inbox_id: int, thread_id: str) -> Call:
    return Call("DELETE", box(inbox_id, "threads", thread_id))


# forward rules
def list_rules(client: Client, inbox_id: int) -> list[dict[str, Any]]:
    body = client.get("api", box(inbox_id, "forward_rules"))
    return body["data"] if isinstance(body, dict) and isinstance(body.get("data"), list) \
        else body


def get_rule(client: Client, inbox_id: int, rule_id: int) -> Any:
    return client.get("api", box(inbox_id, "forward_rules", int(rule_id)))


def create_rule(inbox_id: int, email: str, active: bool = True) -> Call:
    return Call("POST", box(inbox_id, "forward_rules"), {"email": email, "active": active})


def update_rule(inbox_id: int, rule_id: int, changes: dict[str, Any]) -> Call:
    return Call("PATCH", box(inbox_id, "forward_rules", int(rule_id)), changes)


def delete_rule(inbox_id: int, rule_id: int) -> Call:
    return Call("DELETE", box(inbox_id, "forward_rules", int(rule_id)))
