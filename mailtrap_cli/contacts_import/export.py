"""Contact exports: start one, wait for it, stream its .csv.gz decompressed.

The download is checked for completeness twice: the bytes received must match
the Content-Length, and the gzip stream must reach its end (its trailer holds
a CRC and the length of the data, so a cut file cannot pass for a short one).
"""

from __future__ import annotations

import codecs
import csv
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mailtrap_cli.api import contacts as api
from mailtrap_cli.api.errors import APIError, MailtrapError, NetworkError, TimedOutError

BUSY = "previous export"          # in the API's 422 when an export is already running


class IncompleteDownload(NetworkError):
    """The export file ended early (exit 7, as a dropped connection)."""


def start(client: Any, filters: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        return api.start_export(filters).send(client)
    except APIError as exc:
        if exc.status == 422 and BUSY in exc.message:
            raise APIError("another contacts export is still running, and the API allows "
                           "one at a time", status=422, body=exc.body,
                           hint="try again when it has finished (it is usually a few "
                                "minutes)") from None
        raise


def wait(client: Any, export: dict[str, Any], *, timeout: float | None, interval: float = 2.0,
         sleep: Callable[[float], None] = time.sleep,
         on_poll: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Poll until the export is finished with a url; TimedOutError after `timeout`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = max(0.01, interval)
    while not (export.get("status") == "finished" and export.get("url")):
        if export.get("status") == "failed":
            raise MailtrapError(f"contacts export {export.get('id')} failed")
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimedOutError(
                f"gave up waiting after {timeout:g}s: export {export.get('id')} is still "
                f"{export.get('status')}",
                hint=f"fetch it later with `mailtrap contacts export --id {export.get('id')}`")
        sleep(delay if left is None else min(delay, left))
        delay = min(delay * 1.5, max(interval, 0.01) * 5)
        export = api.get_export(client, int(export["id"]))
        if on_poll:
            on_poll(export)
    return export


def decompressed(response: Any, block: int = 1 << 16) -> Iterator[bytes]:
    """The export's bytes, gunzipped as they arrive; IncompleteDownload when cut."""
    expected = response.headers.get("Content-Length")
    received = 0
    inflater = zlib.decompressobj(wbits=31)
    try:
        for chunk in response.iter_content(block):
            received += len(chunk)
            while chunk:
                data = inflater.decompress(chunk)
                if data:
                    yield data
                chunk = b""
                if inflater.eof and inflater.unused_data:   # another gzip member
                    chunk = inflater.unused_data
                    inflater = zlib.decompressobj(wbits=31)
        tail = inflater.flush()
        if tail:
            yield tail
    except zlib.error as exc:
        raise IncompleteDownload(f"the export file is damaged: {exc}") from None
    finally:
        response.close()
    if expected and expected.isdigit() and received != int(expected):
        raise IncompleteDownload(f"the export download ended after {received} of "
                                 f"{expected} bytes", hint="run the export again")
    if not inflater.eof:
        raise IncompleteDownload(f"the export file is incomplete (the download ended after "
                                 f"{received} bytes, before the end of the gzip data)",
                                 hint="run the export again")


def csv_rows(chunks: Iterable[bytes]) -> Iterator[dict[str, str]]:
    """CSV rows as {column: text}, from UTF-8 byte chunks, streaming."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("replace")

    def lines() -> Iterator[str]:
        pending = ""
        for chunk in chunks:
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for line in complete:
                yield line + "\n"
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending

    yield from csv.DictReader(lines())
