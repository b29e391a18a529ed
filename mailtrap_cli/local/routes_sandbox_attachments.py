"""Attachments of sandbox messages on the built-in server (sandbox.openapi.yml, Attachments).

- GET  /api/sandboxes/{sandbox_id}/messages/{message_id}/attachments   ?attachment_type=
- GET  .../attachments/{attachment_id}
- GET  .../attachments/{attachment_id}/download                        the bytes

Attachments are parts of the stored raw message. They get their ids the first
time anyone looks (a row per part index), so ids are stable and global like
upstream's; deleting a message deletes its rows.
"""

from __future__ import annotations

import re
from typing import Any

from mailtrap_cli.local import message_parts as parts
from mailtrap_cli.local.router import Request, Response, Router, not_found

SCHEMA = """
CREATE TABLE IF NOT EXISTS message_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    part_index INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (message_id, part_index)
);
"""


def download_path(sandbox_id: int, message_id: int, attachment_id: int) -> str:
    return (f"/api/sandboxes/{sandbox_id}/messages/{message_id}/attachments/"
            f"{attachment_id}/download")


def attachment_rows(app: Any, row: dict[str, Any], msg: Any = None
                    ) -> list[tuple[dict[str, Any], Any]]:
    """[(id row, MIME part)] for a message, assigning ids on first sight."""
    msg = msg if msg is not None else parts.parse(bytes(row["raw"]))
    found = parts.attachment_parts(msg)
    if not found:
        return []
    ids = app.store.all("SELECT * FROM message_attachments WHERE message_id = ? "
                        "ORDER BY part_index", (row["id"],))
    if len(ids) < len(found):
        with app.store.tx() as conn:
            for index in range(len(found)):
                conn.execute("INSERT OR IGNORE INTO message_attachments "
                             "(message_id, part_index, created_at) VALUES (?, ?, ?)",
                             (row["id"], index, row["created_at"]))
        ids = app.store.all("SELECT * FROM message_attachments WHERE message_id = ? "
                            "ORDER BY part_index", (row["id"],))
    return [(ident, found[ident["part_index"]]) for ident in ids
            if ident["part_index"] < len(found)]


def attachment_object(row: dict[str, Any], ident: dict[str, Any], part: Any) -> dict[str, Any]:
    size = len(parts.part_bytes(part))
    content_id = part.get("Content-ID")
    encoding = part.get("Content-Transfer-Encoding")
    return {
        "id": ident["id"],
        "message_id": row["id"],
        "filename": part.get_filename() or "",
        "attachment_type": parts.attachment_type(part),
        "content_type": part.get_content_type(),
        "content_id": str(content_id).strip().strip("<>") if content_id else None,
        "transfer_encoding": str(encoding).strip().lower() if encoding else None,
        "attachment_size": size,
        # An attachment arrives with its message (rows made by older versions
        # carry the time of the first listing instead).
        "created_at": row["created_at"],
        "updated_at": row["created_at"],
        "attachment_human_size": parts.human_size(size),
        "download_path": download_path(row["sandbox_id"], row["id"], ident["id"]),
    }


def link_inline_images(app: Any, row: dict[str, Any], msg: Any, html: str) -> str:
    """`cid:` references in the HTML point at the attachment downloads."""
    if "cid:" not in html:
        return html
    by_cid = {}
    for ident, part in attachment_rows(app, row, msg):
        cid = part.get("Content-ID")
        if cid:
            by_cid[str(cid).strip().strip("<>")] = download_path(row["sandbox_id"], row["id"],
                                                                 ident["id"])

    def swap(match: re.Match[str]) -> str:
        return by_cid.get(match.group(1), match.group(0))

    return re.sub(r"cid:([^\"'\s>)]+)", swap, html)


def _message(app: Any, sandbox_id: int, message_id: int) -> dict[str, Any]:
    from mailtrap_cli.local.routes_sandbox_messages import load_message

    return load_message(app, sandbox_id, message_id)


def _find(app: Any, sandbox_id: int, message_id: int, attachment_id: int
          ) -> tuple[dict[str, Any], dict[str, Any], Any]:
    row = _message(app, sandbox_id, message_id)
    for ident, part in attachment_rows(app, row):
        if ident["id"] == attachment_id:
            return row, ident, part
    raise not_found()


def list_attachments(app: Any, req: Request, sandbox_id: int, message_id: int
                     ) -> list[dict[str, Any]]:
    row = _message(app, sandbox_id, message_id)
    wanted = req.arg("attachment_type")
    items = [attachment_object(row, ident, part) for ident, part in attachment_rows(app, row)]
    return [a for a in items if not wanted or a["attachment_type"] == wanted]


def show_attachment(app: Any, req: Request, sandbox_id: int, message_id: int,
                    attachment_id: int) -> dict[str, Any]:
    return attachment_object(*_find(app, sandbox_id, message_id, attachment_id))


def download_attachment(app: Any, req: Request, sandbox_id: int, message_id: int,
                        attachment_id: int) -> Response:
    _, _, part = _find(app, sandbox_id, message_id, attachment_id)
    return Response(200, parts.part_bytes(part), {"Content-Type": part.get_content_type()})


def register(router: Router) -> None:
    base = "/api/sandboxes/{sandbox_id:int}/messages/{message_id:int}/attachments"
    router.add("GET", base, list_attachments)
    router.add("GET", base + "/{attachment_id:int}", show_attachment)
    router.add("GET", base + "/{attachment_id:int}/download", download_attachment)
