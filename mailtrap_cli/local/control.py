"""`/_local/*`: the built-in server's own control endpoints, for tests and benchmarks.

- GET    /_local/health            liveness
- GET    /_local/requests          request log (?path=prefix&method=M&stream=S)
- DELETE /_local/requests          clear the log
- POST   /_local/faults            queue a fault: {status, count, retry_after, path,
                                   method, drop, after, body}
- DELETE /_local/faults            clear queued faults
- POST   /_local/config            {latency: seconds, rate_limit: SHAPE | null,
                                    family_limits: {NAME: SHAPE | null},
                                    max_message_size: bytes (every sandbox and new ones)}
  SHAPE is 'fixed:15/1s', 'sliding:150/10s', 'bucket:15/1s,burst=3', any of them
  with ',no-retry-after'; [count, seconds] (sliding); or {shape, count, window,
  burst, retry_after}. `rate_limit` counts every API request per token;
  `family_limits` one family of api/ratelimit.FAMILIES per token (contacts,
  stats, suppressions, email_logs_list, email_logs_get), so a test of a read
  loop can check its pacing: e.g. {"family_limits": {"stats": "fixed:3/2s"}},
  with MAILTRAP_RATE_LIMITS=stats=3/2s on the CLI's side. Every change starts
  the counts again.
- PATCH  /_local/sandboxes/{id}    {max_message_size: bytes, max_size: messages kept}:
                                   one sandbox's limits (a full one drops its oldest)
- POST   /_local/reset             empty the database (fresh seed), the log and the faults
"""

from __future__ import annotations

from typing import Any

from mailtrap_cli.api.ratelimit import FAMILIES
from mailtrap_cli.local.faults import Fault, Shape
from mailtrap_cli.local.router import HTTPError, Request, Router

FAMILY_NAMES = tuple(f.name for f in FAMILIES)


def health(app: Any, req: Request) -> dict[str, Any]:
    import os

    return {"ok": True, "started_at": app.started_at, "db": app.store.path,
            "pid": os.getpid()}


def requests_log(app: Any, req: Request) -> list[dict[str, Any]]:
    prefix = req.arg("path")
    method = req.arg("method")
    stream = req.arg("stream")
    return [e for e in list(app.log)
            if (not prefix or e["path"].startswith(prefix)
                or e.get("current_path", "").startswith(prefix))
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
    if "max_message_size" in body:
        from mailtrap_cli.local.mailstore import set_message_limit

        set_message_limit(app.store, _size(body["max_message_size"]))
    from mailtrap_cli.local.mailstore import default_message_limit

    with app.store.lock:
        limit = default_message_limit(app.store.conn)
    return {**limits.describe(), "max_message_size": limit}


MAX_SIZE_LIMIT = 1024 * 1024 * 1024


def _size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE_LIMIT:
        raise HTTPError(422, {"errors": {"max_message_size": [
            f"must be a whole number of bytes from 1 to {MAX_SIZE_LIMIT}"]}})
    return value


def set_sandbox_limits(app: Any, req: Request, sandbox_id: int) -> dict[str, Any]:
    """{max_message_size: bytes, max_size: messages kept (0 = no limit)}, either or both."""
    from mailtrap_cli.local.mailstore import get_sandbox, set_message_limit, set_sandbox_max_size

    body = req.json() or {}
    if not isinstance(body, dict) or not {"max_message_size", "max_size"} & set(body):
        raise HTTPError(422, {"errors": {"max_message_size": ["can't be blank"]}})
    if get_sandbox(app.store, sandbox_id) is None:
        raise HTTPError(404, {"error": "Not Found"})
    if "max_size" in body:
        count = body["max_size"]
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10**6:
            raise HTTPError(422, {"errors": {"max_size": [
                "must be a whole number of messages from 0 (no limit) to 1000000"]}})
        set_sandbox_max_size(app.store, count, sandbox_id)
    if "max_message_size" in body:
        set_message_limit(app.store, _size(body["max_message_size"]), sandbox_id)
    row = get_sandbox(app.store, sandbox_id) or {}
    return {"id": sandbox_id, "max_message_size": row.get("max_message_size"),
            "max_size": row.get("max_size")}


def reset(app: Any, req: Request) -> dict[str, Any]:
    app.reset()
    return {"ok": True, "db": app.store.path}


def register(router: Router) -> None:
    router.add("GET", "/_local/health", health)
    router.add("GET", "/_local/requests", requests_log)
    router.add("DELETE", "/_local/requests", clear_log)
    router.add("POST", "/_local/faults", add_fault)
    router.add("DELETE", "/_local/faults", clear_faults)
    router.add("POST", "/_local/config", set_config)
    router.add("PATCH", "/_local/sandboxes/{sandbox_id:int}", set_sandbox_limits)
    router.add("POST", "/_local/reset", reset)
