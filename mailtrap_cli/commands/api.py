"""`mailtrap api`: a raw request to any endpoint, the escape hatch for everything."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer

from mailtrap_cli.api.calls import Call
from mailtrap_cli.api.errors import UsageError
from mailtrap_cli.api.hosts import HOSTS
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer

app = Typer(leaf=True)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


def _pairs(values: list[str], typed: bool) -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            flag = "-F" if typed else "-f"
            raise UsageError(f"{flag} {item!r}: expected key=value")
        parsed: Any = value
        if typed:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = value
        fields.append((key, parsed))
    return fields


def _query(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Query parameters: a repeated key (`-f 'ids[]=1' -f 'ids[]=2'`) sends every
    value; typed values go as JSON text (`true`, not Python's `True`)."""
    query: dict[str, Any] = {}
    for key, value in pairs:
        text = value if isinstance(value, str) else json.dumps(value)
        if key in query:
            previous = query[key]
            query[key] = [*previous, text] if isinstance(previous, list) else [previous, text]
        else:
            query[key] = text
    return query


def _split_url(hosts: dict[str, str], url: str) -> tuple[str, str]:
    """(host name, path) of a full URL on one of the profile's hosts; the token
    is never sent anywhere else."""
    for name, base in sorted(hosts.items(), key=lambda item: -len(item[1])):
        if url == base or url.startswith((base + "/", base + "?")):
            return name, url[len(base):] or "/"
    raise UsageError(f"{url}: not on one of this profile's hosts "
                     f"({', '.join(sorted(set(hosts.values())))})",
                     hint="give a path such as /api/accounts, with --host api|send|bulk|sandbox")


def _page_number(params: dict[str, Any]) -> int:
    raw = params.get("page") or 1
    try:
        page = int(raw)
    except (TypeError, ValueError):
        page = 0
    if page < 1:
        raise UsageError(f"page must be a number from 1, got '{raw}'")
    return page


def _complete_method(incomplete: str) -> list[str]:
    return [m for m in METHODS if m.startswith(incomplete.upper())]


def _complete_host(incomplete: str) -> list[str]:
    return [h for h in HOSTS if h.startswith(incomplete)]


@app.command()
def api(
    ctx: typer.Context,
    method_or_path: Annotated[str, typer.Argument(
        metavar="[METHOD] PATH", autocompletion=_complete_method,
        help="HTTP method (optional) and path (or a URL on one of the profile's hosts).")],
    path: Annotated[str | None, typer.Argument(metavar="", show_default=False)] = None,
    method: Annotated[str | None, typer.Option(
        "--method", "-X", metavar="METHOD", autocompletion=_complete_method,
        help="HTTP method.")] = None,
    host: Annotated[str, typer.Option(metavar="|".join(HOSTS), autocompletion=_complete_host,
                                      help="The API host the path is on.")] = "api",
    field: Annotated[list[str] | None, typer.Option(
        "--field", "-f", metavar="KEY=VALUE",
        help="String field: query parameter for GET, HEAD and DELETE (and with --input), "
        "JSON body field otherwise.")] = None,
    typed_field: Annotated[list[str] | None, typer.Option(
        "--typed-field", "-F", metavar="KEY=VALUE",
        help="Like -f, but the value is parsed as JSON (numbers, true, null, objects).")] = None,
    header: Annotated[list[str] | None, typer.Option(
        "--header", "-H", metavar="'KEY: VALUE'", help="Extra request header.")] = None,
    input_: Annotated[str | None, typer.Option(
        "--input", metavar="FILE|-", help="Request body from a file, or - for stdin.")] = None,
    paginate: Annotated[bool, typer.Option(
        "--paginate", help="GET every page and print the items as one list.")] = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Make an authenticated request to any Mailtrap endpoint and print the answer.

    With one argument the method is GET (POST when fields are given).

    \b
    Examples:
      mailtrap api /api/accounts
      mailtrap api GET /api/sandboxes/123/messages -f search=welcome
      mailtrap api POST /api/send --host send --input message.json
      mailtrap api DELETE /api/webhooks/7
      mailtrap api /api/email_logs --paginate -o jsonl
    """
    state = get_state(ctx)
    if path is None:
        target = method_or_path
        if target.upper() in METHODS and not method:
            raise UsageError(f"missing PATH after {target}",
                             hint="e.g. `mailtrap api GET /api/accounts`")
    else:
        if method_or_path.startswith(("/", "http://", "https://")):
            raise UsageError(f"extra argument '{path}' after the path {method_or_path}",
                             hint="give fields with -f KEY=VALUE, e.g. "
                             f"`mailtrap api {method_or_path} -f search=x`")
        if method:
            raise UsageError("give the method either as an argument or with -X, not both")
        method, target = method_or_path, path
    if host not in HOSTS:
        raise UsageError(f"--host must be one of {', '.join(HOSTS)}, got '{host}'")
    pairs = _pairs(field or [], False) + _pairs(typed_field or [], True)
    fields = dict(pairs)  # a JSON body: the last value of a key wins
    body_bytes = state.io.read_bytes(input_, "--input") if input_ else None
    verb = (method or ("POST" if fields or body_bytes is not None else "GET")).upper()
    if verb not in METHODS:
        raise UsageError(f"unknown method '{verb}'", hint="use " + ", ".join(METHODS))
    if target.startswith(("http://", "https://")):
        host, target = _split_url(state.settings.hosts, target)
    if not target.startswith("/"):
        target = "/" + target
    headers: dict[str, str] = {}
    for item in header or []:
        key, sep, value = item.partition(":")
        if not sep or not key.strip():
            raise UsageError(f"-H {item!r}: expected 'Key: value'")
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", key.strip()) \
                or any(c in value.strip() for c in "\r\n\0"):
            raise UsageError(f"-H {item!r}: a header name is one word and its value one line")
        headers[key.strip()] = value.strip()

    params: dict[str, Any] = {}
    json_body: Any = None
    if verb in ("GET", "HEAD", "DELETE") and body_bytes is None:
        params = _query(pairs)
    elif body_bytes is not None:
        if fields:
            params = _query(pairs)
        try:
            json_body = json.loads(body_bytes) if body_bytes.strip() else None
        except ValueError:
            json_body = None
    else:
        json_body = fields

    if dry_run:
        shown = json_body if json_body is not None or body_bytes is None else \
            body_bytes.decode("utf-8", "replace")
        state.perform(Call(verb, target, shown, host=host, params=params, headers=headers),
                      dry_run=True)
        return
    client = state.client()
    out = state.out
    if paginate:
        if verb != "GET":
            raise UsageError("--paginate works with GET only")
        if "page" in params:
            _page_number(params)  # a bad page is a usage error before any output
        from mailtrap_cli.api.pagination import paginate

        out.emit(paginate(client, host, target, scheme="auto", params=params))
        return
    kwargs: dict[str, Any] = {"params": params or None, "headers": headers, "raw": True}
    if body_bytes is not None:
        # --input goes out byte for byte; JSON is labelled as such unless -H says otherwise.
        kwargs["data"] = body_bytes
        if json_body is not None and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    elif json_body is not None:
        kwargs["json"] = json_body
    response = client.request(verb, host, target, **kwargs)
    ctype = response.headers.get("Content-Type", "")
    if not response.content:
        out.info(f"HTTP {response.status_code}")
        return
    if "json" in ctype:
        try:
            value = response.json()
        except ValueError:
            pass
        else:
            out.emit(value)  # a JSON scalar (`"done"`) stays JSON when piped
            return
    if ctype.startswith("text/") or "xml" in ctype or "html" in ctype:
        out.text(response.text)
    else:
        out.raw(response.content)
