"""Build MIME messages and store them in the test server's sandbox directly."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from mailtrap_cli.local import mailstore

SANDBOX = 1


def make_message(*, subject: str = "Hello", sender: str = "App <app@example.com>",
                 to: str = "Bob <bob@example.com>", text: str | None = "Hi Bob",
                 html: str | None = None, cc: str | None = None,
                 attachments: list[tuple[str | None, bytes, str]] | None = None,
                 date: bool = True) -> EmailMessage:
    """A message with optional text/HTML bodies and (filename, bytes, type) attachments."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    if date:
        msg["Date"] = "Thu, 26 Nov 2026 10:00:00 +0000"
        msg["Message-ID"] = "<test@example.com>"
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for filename, data, ctype in attachments or []:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def store(server: Any, msg: EmailMessage | bytes, sandbox: int = SANDBOX, **kw: Any) -> int:
    raw = msg if isinstance(msg, bytes) else bytes(msg)
    return mailstore.store_message(server.app.store, sandbox, raw, **kw)


def add_sandbox(server: Any, sandbox_id: int) -> None:
    server.app.store.execute(
        "INSERT INTO sandboxes (id, project_id, name, username, password, email_username, "
        "created_at) VALUES (?, 1, ?, ?, 'pw', ?, '2026-01-01T00:00:00.000Z')",
        (sandbox_id, f"Sandbox {sandbox_id}", f"user{sandbox_id}", f"local-{sandbox_id}"))


def api_requests(server: Any, prefix: str, method: str = "GET") -> list[dict[str, Any]]:
    """What the server received under a path prefix (read from its log directly)."""
    return [e for e in list(server.app.log)
            if e["path"].startswith(prefix) and e["method"] == method]
