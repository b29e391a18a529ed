"""Account administration: accounts, accesses, permissions, API tokens, billing,
sub-accounts (account-management.openapi.yml). Current, unscoped paths."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.accounts import list_accounts
from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client

__all__ = ["list_accounts"]


def list_accesses(client: Client, *, project_ids: list[str] | None = None,
                  sandbox_ids: list[str] | None = None,
                  domain_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Users, invites and tokens with their resources (optionally of given resources)."""
    params = {"project_ids[]": project_ids or None, "sandbox_ids[]": sandbox_ids or None,
              "domain_ids[]": domain_ids or None}
    return client.get("api", "/api/account_accesses", params=params)


def remove_access(access_id: int) -> Call:
    return Call("DELETE", f"/api/account_accesses/{int(access_id)}")


def set_permissions(access_id: int, permissions: list[dict[str, Any]]) -> Call:
    """Create, update (same resource_type + resource_id) or `_destroy` permissions."""
    return Call("PUT", f"/api/account_accesses/{int(access_id)}/permissions/bulk",
                {"permissions": permissions})


def resources(client: Client) -> list[dict[str, Any]]:
    """The resource tree the token administers (account > projects > sandboxes ...)."""
    return client.get("api", "/api/permissions/resources")


def list_tokens(client: Client) -> list[dict[str, Any]]:
    return client.get("api", "/api/api_tokens")


def get_token(client: Client, token_id: int) -> dict[str, Any]:
    return client.get("api", f"/api/api_tokens/{int(token_id)}")


def create_token(name: str, resources: list[dict[str, Any]] | None = None) -> Call:
    """The answer carries the token value: the only time the API shows it."""
    body: dict[str, Any] = {"name": name}
    if resources:
        body["resources"] = resources
    return Call("POST", "/api/api_tokens", body)


def delete_token(token_id: int) -> Call:
    return Call("DELETE", f"/api/api_tokens/{int(token_id)}")


def reset_token(token_id: int) -> Call:
    """A new value (shown once); the old one stops working after a grace period."""
    return Call("POST", f"/api/api_tokens/{int(token_id)}/reset")


def billing_usage(client: Client) -> dict[str, Any]:
    return client.get("api", "/api/billing/usage")


def list_sub_accounts(client: Client, organization_id: int) -> list[dict[str, Any]]:
    return client.get("api", f"/api/organizations/{int(organization_id)}/sub_accounts")


def create_sub_account(organization_id: int, name: str) -> Call:
    return Call("POST", f"/api/organizations/{int(organization_id)}/sub_accounts",
                {"account": {"name": name}})
