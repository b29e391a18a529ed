"""`/_local/*`: the built-in server's own control endpoints, for tests and benchmarks.

- GET    /_local/health            liveness
- GET    /_local/requests          request log (?path=prefix&method=M&stream=S)
- DELETE /_local/requests          clear the log
- POST   /_local/faults            queue a fault: {status, count, retry_after, path,
                                   method, drop, after, body}
- DELETE /_local/faults            clear queued faults
- POST   /_local/config            {latency: seconds, rate_limit: [count, seconds] | null}
"""

from __future__ import annotations

from typing import Any

from mailtrap_cli.local.faults import Fault
from mailtrap_cli.local.router import HTTPError, Request, Router


def health(app: Any, req: Request) -> dict[str, Any]:
    return {"ok": True, "started_at": app.started_at, "db": app.store.path}


def requests_log(app: Any, req: Request) -> list[dict[str, Any]]:
    prefix = req.arg("path")
    method = req.arg("method")
    stream = req.arg("stream")
    return [e for e in list(app.log)
            if (not prefix or e["path"].startswith(prefix))
            and (not method or e["method"] == method.upper())
            and (not stream or e["stream"] == stream)]


def clear_log(app: Any, req: Request) -> Any:
    app.log.clear()
    return None, 204


def add_fault(app: Any, req: Request) -> Any:
    body = req.json() or {}
    try:
        fault = Fault(**body)
    except TypeError as exc:
        raise HTTPError(400, {"errors": [str(exc)]}) from None
    app.faults.add(fault)
    return {"queued": app.faults.pending()}, 201


def clear_faults(app: Any, req: Request) -> Any:
    app.faults.clear()
    return None, 204


def set_config(app: Any, req: Request) -> dict[str, Any]:
    body = req.json() or {}
    if "latency" in body:
        app.limits.latency = float(body["latency"] or 0)
    if "rate_limit" in body:
        value = body["rate_limit"]
        app.limits.rate_limit = (int(value[0]), float(value[1])) if value else None
        app.limits._hits.clear()
    return {"latency": app.limits.latency, "rate_limit": app.limits.rate_limit}


def register(router: Router) -> None:
    router.add("GET", "/_local/health", health)
    router.add("GET", "/_local/requests", requests_log)
    router.add("DELETE", "/_local/requests", clear_log)
    router.add("POST", "/_local/faults", add_fault)
    router.add("DELETE", "/_local/faults", clear_faults)
    router.add("POST", "/_local/config", set_config)
