"""Accounts: the cheap call that validates a token."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.client import Client


def list_accounts(client: Client) -> list[dict[str, Any]]:
    return client.get("api", "/api/accounts", expect=list)
