"""Sending domains and company info: /api/domains (body wrapper `domain`)."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.client import Client


def list_domains(client: Client) -> list[dict[str, Any]]:
    """Every sending domain (the API answers {data: [...]}; the list is returned)."""
    body = client.get("api", "/api/domains")
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return body["data"]
    return body if isinstance(body, list) else []


def get_domain(client: Client, domain_id: int) -> dict[str, Any]:
    return client.get("api", f"/api/domains/{int(domain_id)}")


def create(domain_name: str) -> Call:
    return Call("POST", "/api/domains", {"domain": {"domain_name": domain_name}})


def update(domain_id: int, settings: dict[str, Any]) -> Call:
    """open_tracking_enabled, click_tracking_enabled, auto_unsubscribe_link_enabled."""
    return Call("PATCH", f"/api/domains/{int(domain_id)}", {"domain": settings})


def delete(domain_id: int) -> Call:
    return Call("DELETE", f"/api/domains/{int(domain_id)}")


def send_instructions(domain_id: int, email: str) -> Call:
    return Call("POST", f"/api/domains/{int(domain_id)}/send_setup_instructions",
                {"email": email})


def get_company_info(client: Client, domain_id: int) -> dict[str, Any]:
    return client.get("api", f"/api/domains/{int(domain_id)}/company_info")


def set_company_info(domain_id: int, info: dict[str, Any], *, create: bool) -> Call:
    """POST creates (name, address, city, country, zip_code, website_url required);
    PATCH changes only the fields given."""
    return Call("POST" if create else "PATCH", f"/api/domains/{int(domain_id)}/company_info",
                {"company_info": info})


def failing_records(domain: dict[str, Any]) -> list[dict[str, Any]]:
    """The DNS records of a domain that do not pass yet."""
    return [r for r in domain.get("dns_records") or [] if r.get("status") != "pass"]
