"""LocalApp: one request in, one response out; shared by the HTTP server and
the in-process transport."""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections import deque
from typing import Any

from mailtrap_cli.local import compat
from mailtrap_cli.local.faults import Faults, Limits
from mailtrap_cli.local.router import HTTPError, Request, Response, Router
from mailtrap_cli.local.store import Store, now_iso

CLOSE_FLUSH_SECONDS = 2.0
# Each module may define SCHEMA (SQL), seed(store) and register(router).
ROUTE_MODULES = [
    "mailtrap_cli.local.mailstore",
    "mailtrap_cli.local.control",
    "mailtrap_cli.local.routes_accounts",
    "mailtrap_cli.local.routes_domains",
    "mailtrap_cli.local.routes_suppressions",
    "mailtrap_cli.local.email_logs",
    "mailtrap_cli.local.routes_stats",
    "mailtrap_cli.local.routes_account_admin",
    "mailtrap_cli.local.routes_inbound",
]
# Area modules; a module not written yet is skipped.
_OPTIONAL_MODULES = [
    "mailtrap_cli.local.routes_sending",
    "mailtrap_cli.local.routes_templates",
    "mailtrap_cli.local.routes_webhooks",
    "mailtrap_cli.local.routes_sandbox_admin",
    "mailtrap_cli.local.routes_sandbox_messages",
    # contacts: lists, fields and jobs before /api/contacts/{UUID or email}
    "mailtrap_cli.local.routes_contact_lists",
    "mailtrap_cli.local.routes_contact_fields",
    "mailtrap_cli.local.routes_contact_jobs",
    "mailtrap_cli.local.routes_contacts",
    "mailtrap_cli.local.routes_campaigns",
]


class LocalApp:
    def __init__(self, db: str = ":memory:") -> None:
        self.store = Store(db)
        self.router = Router()
        self.faults = Faults()
        self.limits = Limits()
        self.log: deque[dict[str, Any]] = deque(maxlen=100_000)
        # Called with (request, response) after each API request: the test suite
        # checks requests and answers against the OpenAPI specs this way.
        self.observers: list[Any] = []
        # Handler failures (answered 500); the test suite fails a test that caused one.
        self.crashes: list[str] = []
        self._log_lock = threading.Lock()
        # Set when the server stops: injected latency ends at once and no new
        # request reaches a handler (the database is about to close).
        self.closing = threading.Event()
        self.started_at = now_iso()
        modules = [importlib.import_module(name) for name in ROUTE_MODULES]
        for name in _OPTIONAL_MODULES:
            try:
                modules.append(importlib.import_module(name))
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
        self._modules = modules
        self._create_and_seed()
        for module in modules:
            if hasattr(module, "register"):
                module.register(self.router)

    def _create_and_seed(self) -> None:
        for module in self._modules:
            schema = getattr(module, "SCHEMA", None)
            if schema:
                self.store.script(schema)
        # One write transaction for every seed: processes opening a new database
        # file at once (the server and in-process CLI runs) seed it only once.
        with self.store.tx():
            for module in self._modules:
                if hasattr(module, "seed"):
                    module.seed(self.store)

    def reset(self) -> None:
        """Empty the database as if new (ids start again at 1), then seed it;
        the request log and queued faults go too (`mailtrap local reset`)."""
        with self.store.tx() as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")]
            conn.execute("PRAGMA defer_foreign_keys = ON")
            for table in tables:
                conn.execute(f'DELETE FROM "{table}"')  # noqa: S608 - names from sqlite_master
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
                            ).fetchone():
                conn.execute("DELETE FROM sqlite_sequence")
            with self.store.tx():
                for module in self._modules:
                    if hasattr(module, "seed"):
                        module.seed(self.store)
        with self._log_lock:
            self.log.clear()
        self.faults.clear()

    def close(self) -> None:
        # Webhook events still queued get a moment to go out (routes_webhooks).
        dispatcher = getattr(self, "webhook_dispatcher", None)
        if dispatcher is not None:
            dispatcher.flush(CLOSE_FLUSH_SECONDS)
            dispatcher.close()
        self.closed = True
        self.store.close()

    def record(self, req: Request, status: int, note: str | None = None) -> None:
        entry = {"method": req.method, "path": req.path, "stream": req.stream,
                 "query": {k: v[-1] for k, v in req.query.items()}, "status": status,
                 "at": time.time()}
        current = self._current_path(req.path)
        if current is not None:     # /_local/requests?path= finds it by either spelling
            entry["current_path"] = current
        if note:
            entry["note"] = note
        with self._log_lock:
            self.log.append(entry)

    def handle(self, req: Request) -> Response:
        control = req.path.startswith("/_local/")
        if not control:
            if self.limits.latency and self.closing.wait(self.limits.latency):
                return Response(drop=True)
            fault = self.faults.take(req.method, req.path, self._current_path(req.path))
            if fault is not None and not fault.after:
                self.record(req, fault.status or 0, "fault")
                if fault.drop:
                    return Response(drop=True)
                return self._fault_response(fault)
            auth = self._check_auth(req)
            if auth is not None:
                self.record(req, auth.status)
                return auth
            limited = self.limits.check_rate(req.token or "", req.method, req.path)
            if limited is not None:
                self.record(req, 429, "rate limit")
                return Response.of({"errors": "Rate limit exceeded"}, 429, limited[1])
        else:
            fault = None
        response = self._dispatch(req)
        if not control:
            self.record(req, response.status)
            for observer in self.observers:
                observer(req, response)
            if fault is not None:  # an "after" fault: the work is done, the answer is lost
                if fault.drop:
                    return Response(drop=True)
                return self._fault_response(fault)
        return response

    def _current_path(self, path: str) -> str | None:
        """The current path an account-scoped one is served by, else None."""
        if not path.startswith("/api/accounts/"):
            return None
        scoped = compat.split_scoped(path)
        if scoped is None or self.router.serves(path):
            return None
        return scoped[1]

    def _dispatch(self, req: Request) -> Response:
        """Answer from the routes; an account-scoped path no route serves as it is
        is answered by the current route (compat.py), with both field spellings."""
        import dataclasses

        current = self._current_path(req.path)
        if current is not None:
            inner = dataclasses.replace(req, path=current, query=compat.current_query(req.query),
                                        body=compat.current_body_bytes(req.body), _json=None,
                                        params={})
            response = self._route(inner)
            response.body = compat.response_with_old_names(
                response.body, response.headers.get("Content-Type", ""))
            return response
        if req.body and req.method in ("POST", "PUT", "PATCH") \
                and not req.path.startswith(("/api/send", "/api/batch")):
            body = compat.current_body_bytes(req.body)   # either wrapper is accepted
            if body is not req.body:
                req = dataclasses.replace(req, body=body, _json=None)
        return self._route(req)

    def _route(self, req: Request) -> Response:
        try:
            # HEAD is answered as GET; the HTTP server and the transport drop the body.
            method = "GET" if req.method == "HEAD" else req.method
            handler, params = self.router.match(method, req.path)
            req.params = params
            result = handler(self, req, **params)
            if isinstance(result, Response):
                return result
            if isinstance(result, tuple):
                return Response.of(result[0], result[1])
            return Response.of(result)
        except HTTPError as err:
            return Response.of(err.body, err.status, err.headers)
        except Exception:  # noqa: BLE001 - a handler bug answers 500, as upstream would
            if getattr(self, "closed", False):
                # A request still in flight when the server stopped (a test that
                # gave up on a slow answer): not a handler bug, nothing to print.
                return Response.of({"errors": "Service Unavailable"}, 503)
            import traceback

            detail = traceback.format_exc()
            self.crashes.append(f"{req.method} {req.path}\n{detail}")
            sys.stderr.write(f"mailtrap local: {req.method} {req.path} failed:\n{detail}")
            return Response.of({"errors": "Internal Server Error"}, 500)

    @staticmethod
    def _fault_response(fault: Any) -> Response:
        status = fault.status or 500
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        headers.update(fault.headers or {})
        body = fault.body
        if body is None:
            body = {"errors": "Rate limit exceeded"} if status == 429 else {
                "errors": "Internal Server Error" if status == 500 else "Service Unavailable"}
        if isinstance(body, str) and fault.content_type:
            headers["Content-Type"] = fault.content_type
        response = Response.of(body, status, headers)
        response.trickle = fault.trickle
        response.trickle_headers = fault.trickle_headers
        return response

    @staticmethod
    def _check_auth(req: Request) -> Response | None:
        """Any token is accepted, except the test hooks `invalid…` (401) and
        `forbidden…` (403); a missing token is a 401 as upstream."""
        token = req.token
        if not token or token.startswith("invalid"):
            return Response.of({"error": "Incorrect API token"}, 401)
        if token.startswith("forbidden"):
            return Response.of({"errors": "Account access forbidden"}, 403)
        return None
