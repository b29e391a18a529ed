"""Readable tables for `messages spam-report` and `messages analyze`.

JSON and JSONL get the API's report whole; a table shows a summary plus rows;
TSV gets one flat row per rule (spam) or per rule and client (analysis).
"""

from __future__ import annotations

from typing import Any

SPAM_COLUMNS = [("Pts", "points"), ("RuleName", "rule"), ("Description", "description")]
PLATFORMS = ("desktop", "mobile", "web")


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value or [] if isinstance(item, dict)]


def emit_spam_report(out: Any, result: Any) -> None:
    if out.mode in ("json", "jsonl") or not isinstance(result, dict):
        out.emit(result)
        return
    report = result.get("report") or {}
    rules = _dicts(report.get("Details"))
    if out.mode == "tsv":
        out.emit(rules, columns=SPAM_COLUMNS)
        return
    out.emit({"score": report.get("Score"), "threshold": report.get("Threshold"),
              "verdict": "spam" if report.get("Spam") else "not spam",
              "message": report.get("ResponseMessage")})
    out.emit(rules, columns=SPAM_COLUMNS, title="Rules")


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


def emit_analysis(out: Any, result: Any) -> None:
    if out.mode in ("json", "jsonl") or not isinstance(result, dict):
        out.emit(result)
        return
    report = result.get("report") or {}
    errors = _dicts(report.get("errors"))
    if out.mode == "tsv":
        out.emit([{"line": e.get("error_line"), "rule": e.get("rule_name"),
                   "platform": platform, "client": client}
                  for e in errors for platform in PLATFORMS
                  for client in (e.get("email_clients") or {}).get(platform) or []],
                 columns=["line", "rule", "platform", "client"])
        return
    if not errors:
        out.success("no HTML compatibility issues found")
        return
    issues = []
    for error in errors:
        clients = error.get("email_clients") or {}
        issues.append({"line": error.get("error_line"), "rule": error.get("rule_name"),
                       **{p: len(clients.get(p) or []) for p in PLATFORMS}})
    out.emit(issues, columns=["line", "rule", *PLATFORMS], title="HTML issues (clients affected)")
    out.emit(client_rows(errors), columns=["platform", "client", "issues", "unsupported"],
             title="Clients")
