"""A request described before it is sent, so `--dry-run` shows exactly what would go out.

Area modules build a `Call` for every mutation (method, host, path, query, JSON
body); commands hand it to `state.perform(call, ...)`, which prints it for a
dry run or sends it through the Client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailtrap_cli.api.client import Client


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any = None
    host: str = "api"
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # The body as a dry run shows it when it differs from what is sent (an
    # attachment's base64 as its size); None: `body` itself.
    preview: Any = None
    # What a 2xx body must be (a type, or a function saying what is wrong): see
    # Client.request. None: any JSON, or nothing.
    expect: Any = None

    def send(self, client: Client) -> Any:
        kwargs: dict[str, Any] = {"params": self.params or None, "expect": self.expect}
        if self.body is not None:
            kwargs["json"] = self.body
        if self.headers:
            kwargs["headers"] = dict(self.headers)
        return client.request(self.method, self.host, self.path, **kwargs)

    def shown_body(self) -> Any:
        return self.body if self.preview is None else self.preview


def account_path(account_id: int, *parts: Any) -> str:
    """`/api/accounts/{id}/...` for the areas still addressed by account
    (webhooks, contacts, domains, ...): account_path(7, "webhooks", 3)."""
    tail = "".join(f"/{part}" for part in parts)
    return f"/api/accounts/{int(account_id)}{tail}"
