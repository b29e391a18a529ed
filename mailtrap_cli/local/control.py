"""`/_local/*`: the built-in server's own control endpoints, for tests and benchmarks.

- GET    /_local/health            liveness
- GET    /_local/requests          request log (?path=prefix&method=M&stream=S)
- DELETE /_local/requests          clear the log
- POST   /_local/faults            queue a fault: {status, count, retry_after, path,
                                   method, drop, after, body}
- DELETE /_local/faults            clear queued faults
- POST   /_local/config            {latency: seconds, rate_limit: SHAPE | null,
                                    family_limits: {NAME: SHAPE | null}}
  SHAPE is 'fixed:15/1s', 'sliding:150/10s', 'bucket:15/1s,burst=3', any of them
  with ',no-retry-after'; [count, seconds] (sliding); or {shape, count, window,
  burst, retry_after}. `rate_limit` counts every API request per token;
  `family_limits` one family of api/ratelimit.FAMILIES per token (contacts,
  stats, suppressions, email_logs_list, email_logs_get), so a test of a read
  loop can check its pacing: e.g. {"family_limits": {"stats": "fixed:3/2s"}},
  with MAILTRAP_RATE_LIMITS=stats=3/2s on the CLI's side. Every change starts
  the counts again.
"""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.ratelimit import FAMILIES
from mailtrap_cli.local.faults import Fault, Shape
from mailtrap_cli.local.router import HTTPError, Request, Router

FAMILY_NAMES = tuple(f.name for f in FAMILIES)


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
    limits = app.limits
    try:
        if "latency" in body:
            limits.latency = float(body["latency"] or 0)
        if "rate_limit" in body:
            limits.rate_limit = Shape.parse(body["rate_limit"])
        for name, spec in (body.get("family_limits") or {}).items():
            if name not in FAMILY_NAMES:
                raise ValueError(f"no family '{name}' (one of {', '.join(FAMILY_NAMES)})")
            shape = Shape.parse(spec)
            if shape is None:
                limits.families.pop(name, None)
            else:
                limits.families[name] = shape
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise HTTPError(400, {"errors": [f"bad config: {exc}"]}) from None
    return limits.describe()


def register(router: Router) -> None:
    router.add("GET", "/_local/health", health)
    router.add("GET", "/_local/requests", requests_log)
    router.add("DELETE", "/_local/requests", clear_log)
    router.add("POST", "/_local/faults", add_fault)
    router.add("DELETE", "/_local/faults", clear_faults)
    router.add("POST", "/_local/config", set_config)
