"""A request described before it is sent, so `--dry-run` shows exactly what would go out.

Area modules build a `Call` (method, host, path, query, JSON body); commands
either print it with `state.dry_run(...)` or `send` it through the Client.
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

    def send(self, client: Client) -> Any:
        kwargs: dict[str, Any] = {"params": self.params or None}
        if self.body is not None:
            kwargs["json"] = self.body
        return client.request(self.method, self.host, self.path, **kwargs)
