"""SMTP listener of the built-in server: mail sent to it lands in a sandbox.

Clients log in (AUTH PLAIN or LOGIN) with a sandbox's `username` / `password`,
as with sandbox.smtp.mailtrap.io; each accepted message is stored in that
sandbox as raw MIME. Wrong credentials get 535; MAIL before AUTH gets 530.
No TLS is offered: the listener binds loopback only (like the HTTP server),
so plain-text AUTH never leaves the machine.

The listener runs aiosmtpd's asyncio loop on its own thread, next to the HTTP
server, and writes to the same LocalApp store.
"""

from __future__ import annotations

import hmac
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from mailtrap_cli.local.mailstore import get_sandbox, store_message
from mailtrap_cli.local.net import is_loopback

DEFAULT_PORT = 2525
# The largest sandbox plan; each sandbox's own max_message_size is checked per message.
DATA_SIZE_LIMIT = 25 * 1024 * 1024
SERVER_NAME = "mailtrap-local"



def _check_free(host: str, port: int) -> None:
    """OSError now when the port is taken (aiosmtpd would only fail after its
    ready timeout)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def sandbox_limit(row: dict[str, Any]) -> int:
    return int(row.get("max_message_size") or 0) or DATA_SIZE_LIMIT


def _declared_size(mail_options: list[str]) -> int | None:
    for option in mail_options:
        key, _, value = option.partition("=")
        if key.upper() == "SIZE" and value.isdigit():
            return int(value)
    return None


class SandboxHandler:
    """aiosmtpd hooks: require AUTH, then store each DATA in the logged-in sandbox."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def advertised_size(self) -> int:
        """SIZE for EHLO (before AUTH the sandbox is unknown): the largest sandbox limit."""
        row = self.store.one("SELECT MAX(max_message_size) AS n FROM sandboxes")
        return int(row["n"] or 0) if row and row["n"] else DATA_SIZE_LIMIT

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        row = self.store.one("SELECT id, password FROM sandboxes WHERE username = ?", (login,))
        if row is None or not hmac.compare_digest(row["password"].encode(), password.encode()):
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=int(row["id"]))

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          mail_options: list[str]) -> str:
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        declared = _declared_size(mail_options)
        sandbox = get_sandbox(self.store, session.auth_data)
        if declared is not None and sandbox is not None and declared > sandbox_limit(sandbox):
            return (f"552 5.3.4 Message size {declared} exceeds the sandbox limit of "
                    f"{sandbox_limit(sandbox)} bytes")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        sandbox_id = session.auth_data
        sandbox = get_sandbox(self.store, sandbox_id)
        if sandbox is None:
            return "550 5.1.1 Sandbox no longer exists"
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        limit = sandbox_limit(sandbox)
        if len(raw) > limit:
            return f"552 5.3.4 Message size exceeds the sandbox limit of {limit} bytes"
        message_id = store_message(self.store, sandbox_id, raw, smtp_from=envelope.mail_from,
                                   smtp_to=list(envelope.rcpt_tos))
        return f"250 2.0.0 Ok: queued as {message_id}"


class _Controller(Controller):
    def factory(self) -> SMTP:
        kwargs = dict(self.SMTP_kwargs)
        kwargs["data_size_limit"] = self.handler.advertised_size()
        return SMTP(self.handler, **kwargs)

    def _trigger_server(self) -> None:
        # Port 0 picks a free port: learn which before the readiness probe uses it.
        if not self.port and self.server is not None and self.server.sockets:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpListener:
    """Start/stop the SMTP listener for a LocalApp; sets app.smtp_host / app.smtp_port,
    which the sandbox API reports as the sandbox's `domain` / `smtp_ports`."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *,
                 allow_remote: bool = False, tls_context: Any = None,
                 implicit: bool = False) -> None:
        """tls_context (ssl.SSLContext): offer STARTTLS, or with implicit=True speak
        TLS from the first byte (SMTPS). An implicit listener does not set the port
        sandboxes report."""
        if not is_loopback(host) and not allow_remote:
            raise ValueError(f"refusing to bind SMTP on {host}: loopback only")
        self.app = app
        self.implicit = bool(implicit and tls_context is not None)
        handler = SandboxHandler(app.store)
        extra: dict[str, Any] = {}
        if self.implicit:
            extra["ssl_context"] = tls_context
        elif tls_context is not None:
            extra["tls_context"] = tls_context
        self.controller = _Controller(
            handler, hostname=host, port=port, server_hostname=SERVER_NAME,
            ident="mailtrap-cli local SMTP", data_size_limit=DATA_SIZE_LIMIT,
            authenticator=handler.authenticate, auth_require_tls=False,
            ready_timeout=10.0, **extra)
        self.host = host
        self.port = port

    def start(self) -> SmtpListener:
        """Bind and serve; OSError when the port is taken."""
        import logging

        # aiosmtpd warns on every login about its own deprecated login_data and
        # about AUTH without TLS (intended here: loopback only); keep stderr clean.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        if self.port:
            _check_free(self.host, self.port)
        self.controller.start()
        self.port = int(self.controller.port)
        if self.implicit:
            self.app.smtps_port = self.port
            return self
        self.app.smtp_host = self.host
        self.app.smtp_port = self.port
        return self

    def stop(self) -> None:
        if self.implicit:
            if getattr(self.app, "smtps_port", None) == self.port:
                self.app.smtps_port = None
        elif getattr(self.app, "smtp_port", None) == self.port:
            self.app.smtp_host = None
            self.app.smtp_port = None
        self.controller.stop()

    def __enter__(self) -> SmtpListener:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
