"""One worker's connection: its own Client (a requests.Session is not shared
between threads) that makes a single attempt per call, so the runner decides
about 429 for every worker at once, with the answer's Retry-After in hand."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api import sending
from mailtrap_cli.api.client import Client, RetryPolicy, retry_after_seconds
from mailtrap_cli.api.errors import RateLimitedError


class BatchSender:
    def __init__(self, make_client: Any, *, stream: str = "transactional",
                 sandbox_id: int | None = None) -> None:
        self.client: Client = make_client(retry=RetryPolicy(attempts=1))
        self.stream = stream
        self.sandbox_id = sandbox_id
        self._retry_after: str | None = None
        self.client.session.hooks["response"].append(self._remember)

    def _remember(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self._retry_after = response.headers.get("Retry-After")

    def send(self, payload: dict[str, Any]) -> Any:
        self._retry_after = None
        try:
            return sending.batch(self.client, payload, stream=self.stream,
                                 sandbox_id=self.sandbox_id)
        except RateLimitedError as exc:
            exc.retry_after = retry_after_seconds(self._retry_after)  # type: ignore[attr-defined]
            raise

    def close(self) -> None:
        self.client.close()
