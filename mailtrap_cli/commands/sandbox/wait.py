"""`mailtrap sandbox messages wait`: block until a matching message arrives.

The rules (what "new" means, matching, backoff, extraction) live in
mailtrap_cli/waiting.py; this module parses flags and talks to the API.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailtrap_cli.api.errors import (
    APIError,
    MailtrapError,
    NetworkError,
    RateLimitedError,
    TimedOutError,
    UsageError,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import OwnTimeoutCommand, SandboxOpt, Typer

app = Typer(leaf=True)   # its command joins the parent group


def _complete_extract(incomplete: str) -> list[tuple[str, str]]:
    kinds = [("link", "the first http(s) link"), ("code", "the first 4-8 digit code")]
    return [(kind, what) for kind, what in kinds if kind.startswith(incomplete)]


@app.command("wait", cls=OwnTimeoutCommand)
def wait(
    ctx: typer.Context,
    sandbox: SandboxOpt = None,
    to: Annotated[str | None, typer.Option(
        "--to", metavar="EMAIL", help="A recipient (To, Cc, Bcc), whole address.")] = None,
    sender: Annotated[str | None, typer.Option(
        "--from", metavar="EMAIL", help="The sender's address.")] = None,
    subject: Annotated[str | None, typer.Option(
        "--subject", metavar="TEXT", help="Subject contains TEXT (case-insensitive).")] = None,
    subject_regex: Annotated[str | None, typer.Option(
        "--subject-regex", metavar="REGEX", help="Subject matches REGEX (Python re).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="TIME|any",
        help="Accept messages created since TIME (ISO 8601, Unix seconds, or 30s/5m/2h/1d "
        "ago), or `any`. Default: only messages that arrive after the wait starts.")] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=0, metavar="SECONDS",
        help="Give up after SECONDS with exit 9.")] = 60.0,
    interval: Annotated[float, typer.Option(
        "--interval", min=0.01, metavar="SECONDS",
        help="First pause between polls; grows x1.5 up to 5x while nothing arrives "
        "(at least 1/15 s: the API allows 150 requests per 10 s).")] = 1.0,
    extract: Annotated[list[str] | None, typer.Option(
        "--extract", metavar="link|code|REGEX", autocompletion=_complete_extract,
        help="Print only the first link, numeric code (4-8 digits) or REGEX group "
        "from the body. Repeatable: one line each, in order (one JSON object with "
        "-o json).")] = None,
    all_matches: Annotated[bool, typer.Option(
        "--all-matches", help="With --extract: print every match, one per line.")] = False,
) -> None:
    """Wait for a message matching every filter, then print it (JSON when piped).

    Only messages that arrive after the wait starts count, unless --since says
    otherwise: "after" means a higher message id than the newest one the first
    poll sees, so clock differences between this machine and the server do
    not matter. If several match, the newest wins. Exit 9 on time-out.

    --extract link: the first http(s) link (HTML hrefs first, then the text).
    --extract code: the code a person would read. The 4-8 digit number next
    to a word such as code, OTP, PIN, passcode or verification (before or
    after it on the same line, or at the end of the line before, as in a
    table) wins; without one, the first number that is not a year, phone
    number, price, time, date, or order, invoice or reference number. Six
    digits written `123 456` or `123-456` next to such a word are one code.
    Anything else is a regex; its first group (or the whole match) is
    printed. Give --extract more than once to get several values from the one
    message (a line each, in the order given; with -o json one object keyed by
    what was asked).

    \b
    Examples:
      mailtrap sandbox messages wait --to user@example.com --subject "Confirm"
      code=$(mailtrap sandbox messages wait --to user@example.com --extract code)
      { read -r link; read -r code; } < <(mailtrap sandbox messages wait \\
          --to user@example.com --extract link --extract code)
      link=$(mailtrap sandbox messages wait --subject Reset --extract link --timeout 120)
      mailtrap sandbox messages wait --subject Welcome --since any --timeout 0
      mailtrap sandbox messages wait --extract 'token=([A-Za-z0-9]+)'
    """
    import re
    import time

    from mailtrap_cli import waiting
    from mailtrap_cli.api import messages

    state = get_state(ctx)
    for name, value in (("--timeout", timeout), ("--interval", interval)):
        if value != value:  # NaN passes click's range check
            raise UsageError(f"{name} must be a number of seconds, got nan")
    sid = state.resolve_id("sandbox_id", sandbox, "--sandbox")
    try:
        pattern = re.compile(subject_regex) if subject_regex is not None else None
    except re.error as exc:
        raise UsageError(f"--subject-regex: invalid regex: {exc}") from None
    extractors = []
    for item in dict.fromkeys(extract or []):
        try:
            extractors.append((item, waiting.Extractor.parse(item)))
        except re.error as exc:
            raise UsageError(f"--extract {item}: invalid regex: {exc}") from None
    if all_matches and not extractors:
        raise UsageError("--all-matches needs --extract")
    since_start = since is None
    try:
        since_at = waiting.parse_since(since) if since is not None else None
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None
    filters = waiting.Filters(to=to, sender=sender, subject=subject, subject_regex=pattern,
                              since=since_at)

    client = state.client()
    search = filters.search_term()
    # No poll (nor its retries) outlives --timeout: a slow or rate-limited API
    # ends the wait as a time-out (exit 9) rather than holding the CI step.
    deadline = time.monotonic() + timeout
    client.deadline = deadline

    def fetch_page(last_id: int | None) -> list[dict[str, Any]]:
        try:
            return messages.first_page(client, sid, search=search, last_id=last_id)
        except (NetworkError, RateLimitedError) as err:
            if time.monotonic() < deadline:
                raise
            raise TimedOutError(f"no answer from the API within {timeout:g}s "
                                f"(last poll: {err.message})", hint=err.hint) from None

    wanted = filters.describe()
    if state.out.stderr_tty:  # progress-like: only for a person watching
        state.out.info(f"waiting up to {timeout:g}s for {wanted or 'a new message'} "
                       f"in sandbox {sid}…")
    def first_poll() -> tuple[list[dict[str, Any]], int, Any]:
        # How many attempts the client needed, and the server's clock: a retried
        # first poll must not take mail that arrived meanwhile for old.
        page = fetch_page(None)
        return page, client.last_attempts, client.last_server_time

    failures: list[MailtrapError] = []

    def failed(err: Exception) -> None:
        # A 5xx, a dropped connection, a 429 or a garbled answer: poll again.
        failures.append(err)  # type: ignore[arg-type]
        state.out.info(f"poll failed ({getattr(err, 'message', err)}); polling again")

    found = waiting.wait_for(fetch_page, filters, timeout=timeout, interval=interval,
                             since_start=since_start, first_poll=first_poll,
                             started=deadline - timeout, on_error=failed)
    if found is None:
        hint = ("messages that arrived before the wait started do not count; "
                "pass --since any (or a time) to accept them") if since_start else None
        what = f"no message matching {wanted}" if wanted else "no new message"
        if failures:
            hint = (f"{len(failures)} poll(s) failed, the last: {failures[-1].message}"
                    + (f"; {hint}" if hint else ""))
        raise TimedOutError(f"{what} arrived within {timeout:g}s", hint=hint)
    client.deadline = None  # the wait is over; fetching the body has its own timeouts
    if not extractors:
        state.out.emit(found)
        return
    bodies: dict[str, str | None] = {}

    def body(fmt: str) -> str | None:   # each body fetched once, whatever is extracted
        if fmt not in bodies:
            bodies[fmt] = _body(client, sid, found, fmt)
        return bodies[fmt]

    results: dict[str, list[str]] = {}
    for item, extractor in extractors:
        values = extractor.run(lambda: body("text"), lambda: body("html"))
        if not values:
            what = {"link": "link", "code": "4-8 digit code"}.get(extractor.kind,
                                                                   f"match for /{item}/")
            raise MailtrapError(f"message {found.get('id')} matched but has no {what} in "
                                "its body",
                                hint="narrow the filters (--subject, --to) to the message "
                                "you want")
        results[item] = values if all_matches else values[:1]
    if len(results) == 1:
        state.out.lines(next(iter(results.values())))
    else:
        state.out.named_lines({k: v if all_matches else v[0] for k, v in results.items()})


def _body(client: Any, sid: int, message: dict[str, Any], fmt: str) -> str | None:
    """A body as text, or None when the message has no such part."""
    from mailtrap_cli.api import messages

    size_field = "text_body_size" if fmt == "text" else "html_body_size"
    if message.get(size_field) == 0:
        return None
    try:
        data = messages.fetch_body(client, sid, int(message["id"]), fmt, message)
    except APIError as err:
        if err.status == 409:
            return None
        raise
    return data.decode("utf-8", "replace")

