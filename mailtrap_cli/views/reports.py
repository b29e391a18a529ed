"""Views of `messages spam-report` and `messages analyze`.

JSON and JSONL get the API's report whole; a table shows a summary plus rows;
TSV gets one flat row per rule (spam) or per rule and client (analysis).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailtrap_cli.output import Part, View

SPAM_COLUMNS = [("Pts", "points"), ("RuleName", "rule"), ("Description", "description")]
PLATFORMS = ("desktop", "mobile", "web")


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value or [] if isinstance(item, dict)]


def _report(result: Any) -> dict[str, Any]:
    return (result.get("report") or {}) if isinstance(result, dict) else {}


def _spam_rules(result: Any) -> Any:
    if not isinstance(result, dict):
        return result
    return _dicts(_report(result).get("Details"))


def _spam_table(result: Any) -> Iterator[Part]:
    if not isinstance(result, dict):
        yield Part(result)
        return
    report = _report(result)
    yield Part({"score": report.get("Score"), "threshold": report.get("Threshold"),
                "verdict": "spam" if report.get("Spam") else "not spam",
                "message": report.get("ResponseMessage")})
    yield Part(_spam_rules(result), View(columns=SPAM_COLUMNS), "Rules")


SPAM_REPORT = View(columns=SPAM_COLUMNS, flat=_spam_rules, table=_spam_table)


def client_rows(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per client, the rules it does not support: the most affected first."""
    by_client: dict[tuple[str, str], list[str]] = {}
    for error in errors:
        clients = error.get("email_clients") or {}
        for platform in PLATFORMS:
            for client in clients.get(platform) or []:
                by_client.setdefault((platform, str(client)), []).append(
                    str(error.get("rule_name")))
    rows = [{"platform": platform, "client": client, "issues": len(rules),
             "unsupported": ", ".join(rules)}
            for (platform, client), rules in by_client.items()]
    rows.sort(key=lambda r: (-r["issues"], PLATFORMS.index(r["platform"]), r["client"]))
    return rows


def _analysis_flat(result: Any) -> Any:
    if not isinstance(result, dict):
        return result
    return [{"line": e.get("error_line"), "rule": e.get("rule_name"),
             "platform": platform, "client": client}
            for e in _dicts(_report(result).get("errors")) for platform in PLATFORMS
            for client in (e.get("email_clients") or {}).get(platform) or []]


def _analysis_table(result: Any) -> Iterator[Part | str]:
    if not isinstance(result, dict):
        yield Part(result)
        return
    errors = _dicts(_report(result).get("errors"))
    if not errors:
        yield "no HTML compatibility issues found"
        return
    issues = []
    for error in errors:
        clients = error.get("email_clients") or {}
        issues.append({"line": error.get("error_line"), "rule": error.get("rule_name"),
                       **{p: len(clients.get(p) or []) for p in PLATFORMS}})
    yield Part(issues, View(columns=["line", "rule", *PLATFORMS]),
               "HTML issues (clients affected)")
    yield Part(client_rows(errors),
               View(columns=["platform", "client", "issues", "unsupported"]), "Clients")


ANALYSIS = View(columns=["line", "rule", "platform", "client"], flat=_analysis_flat,
                table=_analysis_table)
