"""Reachability: one plain GET to a host's origin, for `mailtrap doctor`.

Any HTTP answer (even 404) means the host is reachable; only a failure to
connect or to get an answer is an error. No retries: a diagnosis should be
quick and say what happened the first time.
"""

from __future__ import annotations

import time
from typing import Any

from mailtrap_cli.api.errors import NetworkError


def ping(client: Any, host: str) -> dict[str, Any]:
    """GET the host's root: {url, status, date, elapsed_ms}; NetworkError when unreachable."""
    import requests

    from mailtrap_cli.api.client import _network_reason

    url = client.url(host, "/")
    if client.debug:
        client.debug(f"> GET {url}")
    started = time.monotonic()
    try:
        response = client.session.get(url, timeout=client.timeout, allow_redirects=False)
    except requests.exceptions.RequestException as exc:
        raise NetworkError(f"cannot reach {url}: {_network_reason(exc)}") from None
    elapsed = (time.monotonic() - started) * 1000
    response.close()
    if client.debug:
        client.debug(f"< {response.status_code} {response.reason} ({elapsed:.0f} ms)")
    return {"url": url, "status": response.status_code,
            "date": response.headers.get("Date"), "elapsed_ms": round(elapsed, 1)}
