"""Flags of `send email` / `send raw` -> the API payload, and the checks that
must fail before anything is sent (exit 2). No typer here: plain values in,
a dict or a UsageError out.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.api.sending import STREAMS
from mailtrap_cli.io import IO
from mailtrap_cli.message import (
    MAX_MESSAGE_BYTES,
    UnsendableJSON,
    decode_attachment,
    loads_json,
    parse_address,
)


def address(value: str, flag: str) -> dict[str, str]:
    try:
        return parse_address(value)
    except ValueError as exc:
        hint = None
        if flag in ("--to", "--cc", "--bcc") and "@" in value and ("," in value or ";" in value):
            hint = f"one address per {flag}: repeat the flag for each recipient"
        raise UsageError(f"{flag} {value!r}: {exc}", hint=hint) from None


def addresses(values: list[str] | None, flag: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for value in values or []:
        found.append(address(value, flag))
    return found


def sender(state: Any, value: str | None, *, given: str = "pass --from 'App <app@example.com>'"
           ) -> dict[str, str]:
    """--from, else the profile's `from`; `given` says how else the command takes one."""
    if value:
        return address(value, "--from")
    default = state.settings.get("from")
    if not default:
        raise UsageError("no sender given",
                         hint=f"{given} or set a default with "
                         "`mailtrap config set from 'App <app@example.com>'`")
    return address(str(default), "the profile's `from`")


def read_text(path: str, flag: str, io: IO | None = None) -> str:
    """A file's UTF-8 text, or stdin's for `-` (through the run's IO: stdin is read once)."""
    return (io or IO()).read_text(path, flag)


def body(inline: str | None, path: str | None, flag: str, io: IO | None = None) -> str | None:
    if inline is not None and path is not None:
        raise UsageError(f"give either --{flag} or --{flag}-file, not both")
    if path is not None:
        return read_text(path, f"--{flag}-file", io)
    return inline


def attachment(path: str, flag: str, *, content_id: str | None = None) -> dict[str, Any]:
    import mimetypes

    data = read_attachment(path, flag)
    if not data:
        raise UsageError(f"{flag} {path}: the file is empty",
                         hint="the API refuses an attachment without content")
    item: dict[str, Any] = {
        "content": base64.b64encode(data).decode("ascii"),
        "filename": Path(path).name,
        "type": mimetypes.guess_type(path)[0] or "application/octet-stream",
        "disposition": "attachment",
    }
    if content_id is not None:
        item["disposition"] = "inline"
        item["content_id"] = content_id
    return item


def read_attachment(path: str, flag: str, limit: int = MAX_MESSAGE_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` of them: checked before reading,
    so `--attach /dev/zero` or a FIFO is refused at once instead of read forever."""
    import stat

    try:
        # stat first: opening a FIFO would wait for a writer.
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise UsageError(f"{flag} {path}: not a regular file",
                             hint="attach a file (not a device, pipe or folder)")
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise UsageError(f"{flag} {path}: not a regular file",
                                 hint="attach a file (not a device, pipe or folder)")
            if info.st_size > limit:
                raise UsageError(f"{flag} {path}: {info.st_size} bytes; a message may hold "
                                 f"at most {limit} bytes")
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise UsageError(f"{flag} {path}: not a regular file (a folder)") from None
    except OSError as exc:
        raise UsageError(f"cannot read {flag} {path}: {exc.strerror or exc}") from None
    if len(data) > limit:   # it grew while we read
        raise UsageError(f"{flag} {path}: more than {limit} bytes")
    return data


def inline_attachment(spec: str) -> dict[str, Any]:
    """--inline PATH[:cid]; the content id defaults to the file name."""
    path, cid = spec, None
    if not Path(spec).exists() and ":" in spec:
        head, _, tail = spec.rpartition(":")
        if head and tail:
            path, cid = head, tail
    return attachment(path, "--inline", content_id=cid or Path(path).name)


def pairs(values: list[str] | None, flag: str, sep: str = "=") -> list[tuple[str, str]]:
    found = []
    for item in values or []:
        key, found_sep, value = item.partition(sep)
        if not found_sep or not key.strip():
            example = "KEY:VALUE" if sep == ":" else "KEY=VALUE"
            raise UsageError(f"{flag} {item!r}: expected {example}")
        found.append((key.strip(), value.strip() if sep == ":" else value))
    return found


def read_json_object(path: str, flag: str, what: str = "", io: IO | None = None
                     ) -> dict[str, Any]:
    """A file (or - for stdin) holding one JSON object; usage errors name the flag."""
    text = read_text(path, flag, io)
    try:
        value = loads_json(text)
    except ValueError as exc:
        raise UsageError(f"{flag} {path}: not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{flag} {path}: must hold a JSON object{what}")
    return value


def template_variables(values: list[str] | None, vars_file: str | None,
                       io: IO | None = None) -> dict[str, Any]:
    """--vars-file FILE.json, then --var K=V on top (V parsed as JSON when it is JSON)."""
    variables: dict[str, Any] = {}
    if vars_file is not None:
        variables.update(read_json_object(vars_file, "--vars-file", io=io))
    for key, value in pairs(values, "--var"):
        try:
            variables[key] = loads_json(value)
        except UnsendableJSON as exc:   # 1e999: JSON, but nothing can send it
            raise UsageError(f"--var {key}={value}: {exc}",
                             hint="quote it to send it as text: --var 'KEY=\"...\"'"
                             ) from None
        except ValueError:
            variables[key] = value
    return variables


def check_template(template: str, given: dict[str, Any]) -> None:
    import uuid

    clashing = [flag for flag, value in given.items() if value is not None]
    if clashing:
        raise UsageError(
            f"--template cannot be combined with {', '.join(clashing)}",
            hint="the template provides subject, text, HTML and category; the API refuses them "
            "beside template_uuid")
    try:
        uuid.UUID(template)
    except ValueError:
        raise UsageError(f"--template {template!r} is not a template UUID",
                         hint="`mailtrap templates list` shows each template's uuid"
                         ) from None


def stream_and_sandbox(state: Any, stream: str | None, sandbox: int | None) -> str:
    """The stream to use; `--sandbox` and `--stream` exclude each other."""
    if sandbox is not None:
        if stream is not None:
            raise UsageError("give either --stream or --sandbox, not both")
        return "sandbox"
    chosen = stream or state.settings.get("stream") or "transactional"
    if chosen not in STREAMS:
        where = "--stream" if stream else "the profile's `stream`"
        raise UsageError(f"{where} must be transactional or bulk, got '{chosen}'")
    return chosen


def abbreviated(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload for --dry-run: attachment contents shown as their size."""
    if not payload.get("attachments"):
        return payload
    shown = dict(payload)
    items = []
    for item in payload["attachments"]:
        item = dict(item)
        try:
            size = len(decode_attachment(item.get("content") or ""))
            item["content"] = f"<base64 {size} bytes>"
        except ValueError:
            item["content"] = "<invalid base64>"
        items.append(item)
    shown["attachments"] = items
    return shown


def require_parts(payload: dict[str, Any]) -> None:
    """Flag-level messages for the common mistakes, before the API's wording."""
    if not any(payload.get(f) for f in ("to", "cc", "bcc")):
        raise UsageError("no recipient given", hint="pass --to, --cc or --bcc")
    if payload.get("template_uuid"):
        return
    if not payload.get("text") and not payload.get("html"):
        raise UsageError("no body given",
                         hint="pass --text, --html, --text-file, --html-file or --template")
    if not payload.get("subject"):
        raise UsageError("no subject given", hint="pass --subject (or use --template)")
