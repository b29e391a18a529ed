"""`sandbox messages wait`: which messages count, how to poll, what to extract.

Pure logic (no typer, rich or HTTP): the command hands in a function that
fetches one page of messages and functions that fetch bodies, so every rule
here is unit-tested without a server.

Choices, documented in the command's help too:
- "since the command started" is an id boundary, not a clock comparison:
  the newest message id the first poll sees. Message ids only grow, so a
  message is new exactly when its id is higher, whatever the skew between
  this machine's clock and the server's. `--since TIME` compares the
  message's `created_at` instead; `--since any` accepts old messages too.
- When several messages match, the newest wins.
- `--to`/`--from` compare whole addresses, case-insensitively (`--to` also
  looks at the SMTP envelope recipients, so Cc/Bcc count); `--subject` is a
  case-insensitive substring, `--subject-regex` a Python regex search.
- Polls start every `interval` seconds and back off x1.5 while nothing
  arrives, up to 5x the interval; never more often than 15 per second
  (the API allows 150 requests per 10 s per token, shared with the app).
"""

from __future__ import annotations

import html as htmllib
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

PAGE_SIZE = 30
MAX_SCAN_PAGES = 10                  # per poll: 300 messages; the rest on the next polls
MIN_INTERVAL = 10 / 150              # the API's 150 requests per 10 s
BACKOFF_FACTOR = 1.5
BACKOFF_CAP = 5                      # x the starting interval

# -- --since -------------------------------------------------------------------
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(value: str, now: datetime | None = None) -> datetime | None:
    """`any` -> None (no boundary); an ISO 8601 time (no offset = local time),
    Unix seconds, or a duration ago (`90s`, `5m`, `2h`, `1d`) -> aware datetime.
    Raises ValueError for anything else."""
    text = value.strip()
    if text.lower() == "any":
        return None
    now = now or datetime.now(timezone.utc)
    found = _DURATION.match(text)
    if found:
        try:
            return now - timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2).lower()])
        except OverflowError:
            raise ValueError(f"'{value}' is out of range") from None
    if re.fullmatch(r"\d{9,}(\.\d+)?", text):
        try:
            return datetime.fromtimestamp(float(text), timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"'{value}' is out of range: Unix seconds, not milliseconds "
                             "(1795000000, not 1795000000000)") from None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{value}' is not a time: use ISO 8601 (2026-01-31T09:00:00Z), "
                         "Unix seconds, a duration ago (30s, 5m, 2h, 1d) or 'any'") from None
    return when if when.tzinfo else when.astimezone()


def parse_api_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


# -- matching --------------------------------------------------------------------
def _addresses(value: Any) -> set[str]:
    if isinstance(value, list):
        return {str(v).strip().lower() for v in value if v}
    if isinstance(value, str):
        return {part.strip().lower() for part in value.split(",") if part.strip()}
    return set()


@dataclass
class Filters:
    to: str | None = None
    sender: str | None = None
    subject: str | None = None
    subject_regex: re.Pattern[str] | None = None
    since: datetime | None = None      # created_at at or after

    def __post_init__(self) -> None:
        # `--to 'Ann <ann@example.com>'` means the address.
        from email.utils import parseaddr

        for name in ("to", "sender"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, parseaddr(value)[1] or value.strip())

    def matches(self, message: dict[str, Any]) -> bool:
        """Every given filter holds (the id boundary is scan()'s job)."""
        if self.since is not None:
            created = parse_api_time(message.get("created_at") or message.get("sent_at"))
            if created is None or created < self.since:
                return False
        if self.to is not None:
            smtp = (message.get("smtp_information") or {}).get("data") or {}
            wanted = self.to.strip().lower()
            if wanted not in (_addresses(message.get("to_email"))
                              | _addresses(smtp.get("rcpt_to_addrs"))):
                return False
        if self.sender is not None and \
                str(message.get("from_email") or "").strip().lower() != self.sender.strip().lower():
            return False
        subject = str(message.get("subject") or "")
        if self.subject is not None and self.subject.casefold() not in subject.casefold():
            return False
        return not (self.subject_regex is not None and not self.subject_regex.search(subject))

    def search_term(self) -> str | None:
        """What to send as `search` (matches subject, to_email, to_name upstream) to
        narrow the listing; the exact checks still happen here. Only the subject:
        `--to` also matches Cc/Bcc envelope recipients, which search would hide."""
        return self.subject or None

    def describe(self) -> str:
        parts = []
        if self.to:
            parts.append(f"to={self.to}")
        if self.sender:
            parts.append(f"from={self.sender}")
        if self.subject:
            parts.append(f"subject containing {self.subject!r}")
        if self.subject_regex is not None:
            parts.append(f"subject matching /{self.subject_regex.pattern}/")
        if self.since is not None:
            parts.append(f"created since {self.since.isoformat(timespec='seconds')}")
        return ", ".join(parts)


# -- polling ---------------------------------------------------------------------
class Backoff:
    """interval, x1.5 each time nothing arrived, capped at 5x; never below MIN_INTERVAL."""

    def __init__(self, interval: float) -> None:
        self.start = max(float(interval), MIN_INTERVAL)
        self.cap = self.start * BACKOFF_CAP
        self.current = self.start

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * BACKOFF_FACTOR, self.cap)
        return delay


FetchPage = Callable[[int | None], list[dict[str, Any]]]   # last_id -> page, newest first


def scan(fetch_page: FetchPage, filters: Filters, floor_id: int
         ) -> tuple[dict[str, Any] | None, int]:
    """Look at messages newer than `floor_id`, newest first, page by page.

    Returns (newest match or None, highest id seen), so the next poll only
    looks at what arrived since.
    """
    found, newest, _ = scan_from(fetch_page, filters, floor_id)
    return found, newest


def scan_from(fetch_page: FetchPage, filters: Filters, floor_id: int,
              start: int | None = None) -> tuple[dict[str, Any] | None, int, int | None]:
    """scan(), starting below id `start` (None: the newest). The third value is
    where to resume (a `last_id`) when MAX_SCAN_PAGES ran out before `floor_id`
    was reached, else None."""
    newest = floor_id
    last_id = start
    for _ in range(MAX_SCAN_PAGES):
        page = fetch_page(last_id)
        for message in page:
            ident = message.get("id")
            if not isinstance(ident, int):
                continue
            if ident <= floor_id:
                return None, newest, None
            newest = max(newest, ident)
            if filters.since is not None:
                created = parse_api_time(message.get("created_at"))
                if created is not None and created < filters.since:
                    return None, newest, None
            if filters.matches(message):
                return message, max(newest, ident), None
        if len(page) < PAGE_SIZE or not isinstance(page[-1].get("id"), int):
            return None, newest, None
        last_id = page[-1]["id"]
    return None, newest, last_id


FirstPoll = Callable[[], tuple[list[dict[str, Any]], int, "datetime | None"]]


def transient(exc: Exception) -> bool:
    """A failure worth polling again within the timeout: network trouble, 429,
    5xx, an answer that was not what the API sends. Auth, not found and other
    refusals end the wait at once (polling again cannot change them)."""
    from mailtrap_cli.api.errors import (
        AuthError,
        MailtrapError,
        NetworkError,
        NotFoundError,
        RateLimitedError,
        TimedOutError,
        UsageError,
    )

    if isinstance(exc, (AuthError, NotFoundError, UsageError, TimedOutError)):
        return False
    if isinstance(exc, (NetworkError, RateLimitedError)):
        return True
    if isinstance(exc, MailtrapError):
        status = exc.status
        return status is None or status >= 500 or status in (408, 429) or status < 300
    return False


def baseline(page: list[dict[str, Any]], cutoff: datetime | None) -> int:
    """The floor id: messages above it are new. Without `cutoff`, the newest id
    on the page. With one (the first poll was retried, so mail may have arrived
    meanwhile), only messages created before `cutoff` (server time when the wait
    started) are old; a message without a readable time counts as old."""
    floor = 0
    for message in page:
        ident = message.get("id") if isinstance(message, dict) else None
        if not isinstance(ident, int) or isinstance(ident, bool):
            continue
        if cutoff is not None:
            created = parse_api_time(message.get("created_at"))
            if created is not None and created >= cutoff:
                continue
        floor = max(floor, ident)
    return floor


def wait_for(fetch_page: FetchPage, filters: Filters, *, timeout: float, interval: float,
             since_start: bool, clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep, first_poll: FirstPoll | None = None,
             started: float | None = None,
             on_error: Callable[[Exception], None] | None = None) -> dict[str, Any] | None:
    """Poll until a message matches (returned) or `timeout` seconds pass (None).

    `since_start`: the first poll only records the newest id as the boundary.
    `first_poll` (optional) answers (page, HTTP attempts it took, server time of
    the answer); when it took retries, or failed first, messages created after
    the wait started (server time) are not taken for old ones. A transient
    failure (see transient()) is polled again within the timeout, reported
    through `on_error`; any other failure ends the wait by raising.
    When more than MAX_SCAN_PAGES pages arrived between two polls, the rest
    (a (resume last_id, floor) gap) is looked at on the following polls.
    """
    started = clock() if started is None else started
    deadline = started + timeout
    backoff = Backoff(interval)

    pending = [0.0]    # a wait the last failure asked for (Retry-After, backoff)

    def pause() -> bool:
        remaining = deadline - clock()
        if remaining <= 0:
            return False
        sleep(min(max(backoff.next(), pending[0]), remaining))
        pending[0] = 0.0
        return True

    def failed(exc: Exception) -> None:
        if not transient(exc):
            raise exc
        wanted = getattr(exc, "retry_in", None)
        if isinstance(wanted, (int, float)):
            if clock() + wanted >= deadline:
                raise exc   # the next try could not come before the timeout
            pending[0] = float(wanted)
        if on_error is not None:
            on_error(exc)

    floor = 0
    if since_start:
        poll = first_poll or (lambda: (fetch_page(None), 1, None))
        retried = False
        while True:
            try:
                page, attempts, server_time = poll()
                break
            except Exception as exc:  # noqa: BLE001 - sorted by transient()
                failed(exc)
                retried = True
                if not pause():
                    return None
        cutoff = None
        if retried or attempts > 1:
            # Server time when the wait started, at the earliest (the Date header is
            # cut to the second), so nothing that arrived since is taken for old.
            elapsed = clock() - started
            now = server_time or datetime.now(timezone.utc)
            cutoff = now - timedelta(seconds=elapsed)
        floor = baseline(page, cutoff)
        if cutoff is not None:
            found = next((m for m in page if isinstance(m, dict)
                          and isinstance(m.get("id"), int) and m["id"] > floor
                          and filters.matches(m)), None)
            if found is not None:
                return found
    polled = since_start
    gaps: list[tuple[int, int]] = []       # newest first
    while True:
        if polled:
            remaining = deadline - clock()
            if remaining <= 0:
                return None
            sleep(min(max(backoff.start if gaps else backoff.next(), pending[0]), remaining))
            pending[0] = 0.0
        polled = True
        try:
            if gaps:
                start, low = gaps[0]
                found, _, resume = scan_from(fetch_page, filters, low, start)
                gaps.pop(0)
            else:
                found, newest, resume = scan_from(fetch_page, filters, floor)
                low, floor = floor, newest
        except Exception as exc:  # noqa: BLE001 - sorted by transient()
            failed(exc)
            continue
        if resume is not None:
            gaps.insert(0, (resume, low))
        if found is not None:
            return found
        if deadline - clock() <= 0:
            return None


# -- extraction --------------------------------------------------------------------
URL = re.compile(r"https?://[^\s<>\"'`]+", re.I)
HREF = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""",
                  re.I | re.S)
# A standalone 4-8 digit number: not part of a longer number, a word, an amount,
# a #colour, a date (2026-01-31), a decimal (3.14159) or a path.
CODE = re.compile(r"(?<![\w#&/.,:+$€£-])(\d{4,8})(?![\w/:+%-]|[.,]\d)")
_BREAK = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d|/td)\b[^>]*>", re.I)
_TRAILING = ".,;:!?'\""


_HIDDEN_TAGS = ("script", "style", "head", "title")
_TAG_NAME = re.compile(r"<\s*(/?[a-z][a-z0-9]*)", re.I)


def _tags(html: str) -> Iterable[tuple[int, int, str]]:
    """(start, end, tag) for each `<...>`, in one pass: the same tags the regex
    `<[^>]+>` finds, without its quadratic rescans of a body full of `<` and
    no `>`. Comments and script/style/head/title bodies come as one hidden
    span (tag ""), as `<!--.*?-->` and `<script\b.*?</script>` would; an opener
    without its closer is an ordinary tag. Each str.find result is reused or
    remembered as missing, so the whole body is scanned a bounded number of times."""
    low = html.lower()
    missing: set[str] = set()    # closers not found after some point: never after it
    pos = 0
    while True:
        lt = html.find("<", pos)
        if lt < 0:
            return
        if html.startswith("<!--", lt) and "-->" not in missing:
            close = html.find("-->", lt + 4)
            if close >= 0:
                yield lt, close + 3, ""
                pos = close + 3
                continue
            missing.add("-->")
        gt = html.find(">", lt + 1)
        if gt < 0:
            return
        if gt == lt + 1:      # "<>": not a tag ([^>]+ needs one character)
            pos = lt + 1
            continue
        name = _TAG_NAME.match(html, lt, gt)
        word = name.group(1).lower() if name else ""
        if word in _HIDDEN_TAGS and word not in missing:
            closer = low.find("</" + word, gt)
            end = html.find(">", closer) if closer >= 0 else -1
            if end >= 0:
                yield lt, end + 1, ""
                pos = end + 1
                continue
            missing.add(word)
        yield lt, gt + 1, html[lt:gt + 1]
        pos = gt + 1


_HREF_TOKEN = re.compile(r"<a\b|>|\bhref\s*=\s*", re.I)
_UNQUOTED = re.compile(r"""[^\s>"']+""")


def _hrefs(html: str) -> Iterable[str]:
    """The href value of each `<a ...>` tag, as HREF would find them, in one pass:
    a body of `<a ` or `<a href="` without end costs no rescans. Each search for a
    closing quote is remembered, so no stretch of the body is read twice."""
    inside = False            # after `<a`, before its `>`
    next_quote: dict[str, int] = {}
    pos = 0
    while True:
        token = _HREF_TOKEN.search(html, pos)
        if token is None:
            return
        text = token.group(0)
        pos = token.end()
        if text == ">":
            inside = False
            continue
        if text[:2].lower() == "<a":
            inside = True
            continue
        if not inside:
            continue
        quote = html[pos:pos + 1]
        if quote in ('"', "'"):
            close = next_quote.get(quote, -2)
            if close <= pos:
                close = html.find(quote, pos + 1)
                next_quote[quote] = close if close >= 0 else len(html) + 1
            if 0 <= close <= len(html) - 1 and html[close] == quote:
                yield html[pos + 1:close]
                inside = False
                pos = close + 1
            continue
        value = _UNQUOTED.match(html, pos)
        if value is not None:
            yield value.group(0)
            inside = False
            pos = value.end()


def html_to_text(html: str) -> str:
    """The visible text: hidden parts dropped, line-ending tags made line breaks,
    other tags spaces, entities decoded. Linear in the size of the HTML."""
    out: list[str] = []
    pos = 0
    for start, end, tag in _tags(html):
        out.append(html[pos:start])
        out.append("\n" if tag and _BREAK.match(tag) else " ")
        pos = end
    out.append(html[pos:])
    return htmllib.unescape("".join(out))


_PAIRS = {")": "(", "]": "[", "}": "{"}


def _trim_url(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets after a URL."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _PAIRS and url.count(last) > url.count(_PAIRS[last])):
            url = url[:-1]
            continue
        break
    return url


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def links(text: str | None, html: str | None) -> list[str]:
    """http(s) links: the HTML's hrefs first (exact, in order), then URLs in the
    text body, then bare URLs in the HTML's text."""
    found: list[str] = []
    if html:
        for value in _hrefs(html):
            url = htmllib.unescape(value).strip()
            if url.lower().startswith(("http://", "https://")):
                found.append(url)
    if text:
        found += [_trim_url(m.group(0)) for m in URL.finditer(text)]
    if html:
        found += [_trim_url(m.group(0)) for m in URL.finditer(html_to_text(html))]
    return _dedupe(found)


# -- codes: the number a person would read as the code ------------------------------
CODE_RULE = (
    "the 4-8 digit number next to a word such as code, OTP, PIN, passcode or "
    "verification (before or after it on the same line, or at the end of the line "
    "before, as in a table) wins; without one, the first number that is not a year, "
    "phone number, price, time, date, or order, invoice or reference number. Six "
    "digits written `123 456` or `123-456` next to such a word are one code.")
_KEYWORD = re.compile(r"\b(?:code|codes|otp|pin|passcode|pass\s?code|one[- ]time|"
                      r"verification|verify|verif\w*|security|confirmation|2fa|mfa|token|"
                      r"c[oó]digo|kod|pinn?ummer)\b", re.I)
_NOT_A_CODE = re.compile(r"(?:\border|\binvoice|\bref(?:erence)?|\baccount|\bacct|"
                         r"\bcustomer|\bticket|\btracking|\bphone|\btel|\bcall|\bfax|"
                         r"\bzip|\bpostal|\bsuite|\broom|\bno\.?|#|\bnumber|\bid)"
                         r"\s*[:#.]?\s*$", re.I)
_AFTER_NOT_A_CODE = re.compile(r"^\s*(?:usd|eur|gbp|dollars?|euros?|[€$£%]|items?|"
                               r"pcs|km|kg|mi|am|pm)\b", re.I)
_SPLIT = re.compile(r"(?<![\w#&/.,:+$€£-])(\d{3})[ -](\d{3})(?![\w/:+%-]|[.,]\d|[ -]\d)")
_PHONE = re.compile(r"\+?\(?\d{1,4}\)?(?:[ .-]\(?\d{2,4}\)?){2,}")
_YEAR = re.compile(r"^(?:19|20)\d\d$")


def _mask_phones(text: str) -> str:
    """Phone numbers (three or more groups, nine digits or more) become spaces."""
    def blank(match: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in match.group(0))
        return " " * len(match.group(0)) if digits >= 9 else match.group(0)
    return _PHONE.sub(blank, text)


def _score(source: str, start: int, end: int, value: str) -> int:
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", end)
    line_end = len(source) if line_end < 0 else line_end
    before = source[max(line_start, start - 60):start]
    after = source[end:min(line_end, end + 40)]
    score = 0
    if _KEYWORD.search(before):
        score += 10
    elif _KEYWORD.search(after):
        score += 8
    elif not before.strip():
        # Alone at the start of its line: the line before may name it (a table cell).
        previous = source[:line_start].rstrip()
        tail = previous[previous.rfind("\n") + 1:][-60:]
        if _KEYWORD.search(tail):
            score += 6
    if _NOT_A_CODE.search(before):
        score -= 20
    if _AFTER_NOT_A_CODE.search(after):
        score -= 20
    if _YEAR.match(value):
        score -= 5
    return score


def codes(text: str | None, html: str | None) -> list[str]:
    """4-8 digit codes, the one a person would read as the code first (CODE_RULE),
    from the text body, else the HTML's text; digits inside URLs do not count."""
    for source in (text, html_to_text(html) if html else None):
        if not source:
            continue
        source = _mask_phones(URL.sub(" ", source))
        found: list[tuple[int, int, str]] = []
        for match in CODE.finditer(source):
            value = match.group(1)
            found.append((-_score(source, match.start(1), match.end(1), value),
                          match.start(1), value))
        for match in _SPLIT.finditer(source):
            value = match.group(1) + match.group(2)
            score = _score(source, match.start(), match.end(), value)
            if score >= 6:   # split digits are a code only when named as one
                found.append((-score, match.start(), value))
        if found:
            return _dedupe(value for _, _, value in sorted(found))
    return []


def regex_matches(pattern: re.Pattern[str], text: str | None, html: str | None) -> list[str]:
    """The first group (or the whole match) of each match, in the text body,
    else in the HTML source."""
    for source in (text, html):
        if not source:
            continue
        found = []
        for match in pattern.finditer(source):
            group = match.group(1) if pattern.groups else None
            found.append(group if group is not None else match.group(0))
        if found:
            return _dedupe(found)
    return []


@dataclass
class Extractor:
    kind: str                         # "link", "code" or "regex"
    pattern: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, value: str) -> Extractor:
        """`link`, `code`, or a regex (re.error when it does not compile)."""
        if value in ("link", "code"):
            return cls(value)
        return cls("regex", re.compile(value))

    def run(self, get_text: Callable[[], str | None],
            get_html: Callable[[], str | None]) -> list[str]:
        """Every value found, in order; bodies are fetched only when needed."""
        if self.kind == "link":
            return links(get_text(), get_html())
        text = get_text()
        if self.kind == "code":
            found = codes(text, None)
            return found or codes(None, get_html())
        assert self.pattern is not None
        found = regex_matches(self.pattern, text, None)
        return found or regex_matches(self.pattern, None, get_html())


# -- following: every new message, as it arrives ----------------------------------
def new_since(fetch_page: FetchPage, floor_id: int) -> tuple[list[dict[str, Any]], int]:
    """Every message with an id above `floor_id`, oldest first, and the highest id."""
    fresh: list[dict[str, Any]] = []
    last_id = None
    newest = floor_id
    while True:
        page = fetch_page(last_id)
        for message in page:
            ident = message.get("id")
            if not isinstance(ident, int):
                continue
            if ident <= floor_id:
                return fresh[::-1], newest
            newest = max(newest, ident)
            fresh.append(message)
        if len(page) < PAGE_SIZE or not isinstance(page[-1].get("id"), int):
            return fresh[::-1], newest
        last_id = page[-1]["id"]


def follow(fetch_page: FetchPage, *, timeout: float | None, interval: float,
           clock: Callable[[], float] = time.monotonic,
           sleep: Callable[[float], None] = time.sleep) -> Iterator[dict[str, Any]]:
    """Messages that arrive after the first poll, oldest first, until `timeout`
    seconds pass (None: until the caller stops). Polls back off while nothing
    arrives (as `wait` does) and start quick again when something does."""
    deadline = None if timeout is None else clock() + timeout
    first = fetch_page(None)
    floor = max((m["id"] for m in first if isinstance(m.get("id"), int)), default=0)
    backoff = Backoff(interval)
    while True:
        delay = backoff.next()
        if deadline is not None:
            remaining = deadline - clock()
            if remaining <= 0:
                return
            delay = min(delay, remaining)
        sleep(delay)
        fresh, floor = new_since(fetch_page, floor)
        if fresh:
            backoff = Backoff(interval)
            yield from fresh
