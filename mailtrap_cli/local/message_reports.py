"""Deterministic spam report and HTML client-compatibility analysis.

Not SpamAssassin and not a CSS support database: a small fixed rule set, so
the same message always gets the same report, rules are easy to trigger in
tests, and the shapes are exactly the API's (`spam_report`, `analyze`).
"""

from __future__ import annotations

import re
from typing import Any

SPAM_THRESHOLD = 5.0
SPAMMY_WORDS = re.compile(
    r"\b(free money|act now|winner|viagra|100% free|risk[- ]free|cash bonus|click here now)\b",
    re.IGNORECASE)


def spam_report(*, subject: str, text: str | None, html: str | None,
                has_date: bool, has_message_id: bool) -> dict[str, Any]:
    """`{"report": {ResponseCode, ResponseMessage, ResponseVersion, Score, Spam,
    Threshold, Details: [{Pts, RuleName, Description}]}}`."""
    details: list[tuple[float, str, str]] = []
    if html is not None:
        details.append((0.0, "HTML_MESSAGE", "BODY: HTML included in message"))
        if text is None:
            details.append((0.7, "MIME_HTML_ONLY", "BODY: Message only has text/html MIME parts"))
    if not subject.strip():
        details.append((1.8, "MISSING_SUBJECT", "Missing Subject: header"))
    elif len(subject) >= 10 and subject.upper() == subject and any(c.isalpha() for c in subject):
        details.append((1.6, "SUBJ_ALL_CAPS", "Subject is all capitals"))
    if not has_date:
        details.append((1.4, "MISSING_DATE", "Missing Date: header"))
    if not has_message_id:
        details.append((0.5, "MISSING_MID", "Missing Message-Id: header"))
    if not (text or "").strip() and not (html or "").strip():
        details.append((2.3, "EMPTY_MESSAGE", "Message appears to have no textual parts"))
    hits = {m.lower() for m in SPAMMY_WORDS.findall(" ".join([subject, text or "", html or ""]))}
    if hits:
        details.append((2.5 * len(hits), "SPAMMY_PHRASES",
                        "BODY: Contains phrases common in spam: " + ", ".join(sorted(hits))))
    score = round(sum(pts for pts, _, _ in details), 1)
    spam = score >= SPAM_THRESHOLD
    return {"report": {
        "ResponseCode": 2,
        "ResponseMessage": "Spam" if spam else "Not spam",
        "ResponseVersion": "1.2",
        "Score": score,
        "Spam": spam,
        "Threshold": SPAM_THRESHOLD,
        "Details": [{"Pts": pts, "RuleName": name, "Description": desc}
                    for pts, name, desc in details],
    }}


_OUTLOOK = ["Outlook 2007–16", "Windows 10 Mail"]
# rule name, pattern over the HTML source, clients that do not support it.
HTML_RULES: list[tuple[str, re.Pattern[str], dict[str, list[str]]]] = [
    ("style", re.compile(r"<style\b", re.I),
     {"desktop": ["Notes 6 / 7"], "mobile": ["Gmail"]}),
    ("display", re.compile(r"[\s;\"']display\s*:", re.I),
     {"desktop": ["AOL Desktop", "IBM Notes 9", "Outlook 2000–03", "Outlook 2007–16",
                  "Outlook Express", "Postbox", "Windows 10 Mail", "Windows Live Mail"],
      "mobile": ["Android 4.2.2 Mail", "Android 4.4.4 Mail", "BlackBerry",
                 "Gmail Android app IMAP", "Google Inbox Android app", "Windows Phone 8 Mail",
                 "Yahoo! Mail Android app", "Yahoo! Mail iOS app"],
      "web": ["Yahoo! Mail"]}),
    ("position", re.compile(r"[\s;\"']position\s*:", re.I),
     {"desktop": _OUTLOOK, "mobile": ["Gmail Android app IMAP"],
      "web": ["Gmail", "Outlook.com", "Yahoo! Mail"]}),
    ("background-image", re.compile(r"background(-image)?\s*:[^;\"']*url\(", re.I),
     {"desktop": ["Outlook 2007–16"], "web": ["Outlook.com"]}),
    ("border-radius", re.compile(r"border-radius\s*:", re.I),
     {"desktop": _OUTLOOK, "mobile": ["Windows Phone 8 Mail"]}),
    ("max-width", re.compile(r"max-width\s*:", re.I),
     {"desktop": ["Outlook 2007–16", "IBM Notes 9"]}),
    ("min-height", re.compile(r"min-height\s*:", re.I),
     {"desktop": ["Outlook 2007–16"], "mobile": ["Gmail Android app IMAP"]}),
    ("hover", re.compile(r":hover\b", re.I),
     {"desktop": ["Outlook 2007–16"], "mobile": ["Gmail"], "web": ["Outlook.com"]}),
    ("svg", re.compile(r"<svg\b", re.I),
     {"desktop": ["Outlook 2007–16"], "mobile": ["Gmail"], "web": ["Gmail", "Outlook.com"]}),
    ("video", re.compile(r"<video\b", re.I),
     {"desktop": ["Outlook 2007–16", "Windows 10 Mail"], "mobile": ["Gmail"],
      "web": ["Gmail", "Outlook.com", "Yahoo! Mail"]}),
    ("form", re.compile(r"<form\b", re.I),
     {"desktop": ["Outlook 2007–16"], "web": ["Gmail", "Outlook.com"]}),
    ("script", re.compile(r"<script\b", re.I),
     {"desktop": ["Apple Mail", "Outlook 2007–16", "Thunderbird"],
      "mobile": ["Gmail", "iOS Mail"], "web": ["Gmail", "Outlook.com", "Yahoo! Mail"]}),
]


def html_analysis(html: str | None) -> dict[str, Any]:
    """`{"report": {"status": "success", "errors": [{error_line, rule_name,
    email_clients: {desktop, mobile, web}}]}}`, one entry per rule at its first
    line, ordered by line. A message without HTML has no errors."""
    errors: list[dict[str, Any]] = []
    if html:
        for name, pattern, clients in HTML_RULES:
            found = pattern.search(html)
            if found is None:
                continue
            line = html.count("\n", 0, found.start()) + 1
            errors.append({"error_line": line, "rule_name": name,
                           "email_clients": {k: list(v) for k, v in clients.items()}})
        errors.sort(key=lambda e: e["error_line"])
    return {"report": {"status": "success", "errors": errors}}
