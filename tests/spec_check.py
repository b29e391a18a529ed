"""Check the requests the CLI sends (and the built-in server's answers) against the
official OpenAPI specs in ../shared/mailtrap-openapi, when that folder is present.

Only exchanges the server answered with 2xx are checked: those are the ones that
claim to be right. A path the specs do not describe is reported unless it is one
of the endpoints API-NOTES.md lists as SDK-only.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from pathlib import Path
from typing import Any

from mailtrap_cli.local.compat import current_body_bytes, current_query, split_scoped

SPEC_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "mailtrap-openapi"
HOST_OF_SERVER = {
    "https://mailtrap.io": "api",
    "https://send.api.mailtrap.io": "send",
    "https://bulk.api.mailtrap.io": "bulk",
    "https://sandbox.api.mailtrap.io": "sandbox",
}
# In the SDKs, not (yet) in the specs (API-NOTES.md), plus the server's own control paths.
UNDESCRIBED_OK = (
    re.compile(r"^/_local/"),
    re.compile(r"^/api/tracking_opt_outs(/[^/]+)?$"),
    re.compile(r"^/api/inbound/inboxes/[^/]+/threads(/[^/]+)?$"),
    re.compile(r"^/api/inbound/inboxes/[^/]+/messages/[^/]+/(reply|reply_all|forward)$"),
    re.compile(r"^/api/inbound/inboxes/[^/]+/forward_rules(/[^/]+)?$"),
    re.compile(r"^/api/email_campaigns/[^/]+/(start|schedule|cancel|terminate|reset)$"),
    # Sandbox: where message `*_path` and attachment `download_path` fields point.
    re.compile(r"^/api/testing_message_parts/\d+/body\.(txt|html|htmlsource|raw|eml)$"),
    re.compile(r"^/api/sandboxes/\d+/messages/\d+/attachments/\d+/download$"),
)


def available() -> bool:
    return SPEC_DIR.is_dir() and any(SPEC_DIR.glob("*.openapi.yml"))


def _inline(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """Resolve local $refs recursively (the specs have no cycles deeper than this)."""
    if depth > 30:
        return {}
    if isinstance(node, dict):
        if "$ref" in node and isinstance(node["$ref"], str) and node["$ref"].startswith("#/"):
            target: Any = root
            for part in node["$ref"][2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            merged = {k: v for k, v in node.items() if k != "$ref"}
            resolved = _inline(copy.deepcopy(target), root, depth + 1)
            if merged and isinstance(resolved, dict):
                resolved = {**resolved, **_inline(merged, root, depth + 1)}
            return resolved
        return {k: _inline(v, root, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, root, depth + 1) for v in node]
    return node


_loading = threading.Lock()


def operations() -> list[tuple[str, str, re.Pattern[str], dict[str, Any]]]:
    # Server handler threads ask at once: parse the specs once, not once per thread
    # (8 concurrent parses held the first `send batch` of a run for ~6 s).
    with _loading:
        return _operations()


@functools.lru_cache(maxsize=1)
def _operations() -> list[tuple[str, str, re.Pattern[str], dict[str, Any]]]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml: ~10x faster
    ops = []
    for path in sorted(SPEC_DIR.glob("*.openapi.yml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
        if "paths" not in doc:
            continue
        servers = [HOST_OF_SERVER.get(s.get("url", "").rstrip("/"), "api")
                   for s in doc.get("servers", [])] or ["api"]
        for template, item in doc["paths"].items():
            shared_params = item.get("parameters", [])
            regex = re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", template) + "$")
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                op = dict(op)
                op["parameters"] = list(shared_params) + list(op.get("parameters", []))
                op = _inline(op, doc)
                op["x-file"] = path.name
                op["x-path"] = template
                for host in servers:
                    ops.append((host, method.upper(), regex, op))
    return ops


def find(host: str, method: str, path: str) -> dict[str, Any] | None:
    # A literal segment wins over a template: /api/contacts/lists is the lists
    # operation, not /api/contacts/{contact_identifier}.
    matching = sorted(((h, op) for h, m, rx, op in operations()
                       if m == method and rx.match(path)),
                      key=lambda item: item[1]["x-path"].count("{"))
    if not matching:
        return None
    for h, op in matching:
        if h == host:
            return op
    return matching[0][1]


def _validator(schema: dict[str, Any]) -> Any:
    from openapi_schema_validator import OAS31Validator

    return OAS31Validator(_nullable(schema))


def _nullable(node: Any) -> Any:
    """The specs are 3.1 documents that still say `nullable: true` (3.0 style), and
    their own examples carry nulls there: honour it as `type: [T, "null"]`."""
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items()}
    if out.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "boolean":
            return {"true": True, "false": False}.get(value, value)
    except ValueError:
        return value
    return value


def host_of(path: str, stream: str) -> str:
    if stream == "bulk":
        return "bulk"
    if re.match(r"^/api/(send|batch)/\d+$", path):
        return "sandbox"
    if path in ("/api/send", "/api/batch"):
        return "send"
    return "api"


def check(method: str, path: str, stream: str, query: dict[str, list[str]], body: bytes,
          status: int, response_body: bytes, response_type: str) -> list[str]:
    """Problems with one 2xx exchange, as readable strings (empty when it conforms)."""
    if status >= 300 or path.startswith("/_local/"):
        return []
    where = f"{method} {path}"
    scoped = split_scoped(path)
    if scoped is not None:
        # The account-scoped family the SDKs call is checked as the current path it
        # maps to (local/compat.py): same operation, old names renamed.
        path = scoped[1]
        query = current_query(query)
        body = current_body_bytes(body)
    host = host_of(path, stream)
    op = find(host, method, path)
    if op is None:
        if any(rx.match(path) for rx in UNDESCRIBED_OK):
            return []
        return [f"{where}: no such operation in the OpenAPI specs"]
    problems: list[str] = []
    params = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
    for name, values in query.items():
        bare = name[:-2] if name.endswith("[]") else name
        spec = params.get(name) or params.get(bare)
        deep = params.get(name.split("[", 1)[0])
        if spec is None and deep is not None and deep.get("style") == "deepObject":
            continue  # filters[field][operator]=...: a deepObject member (email logs)
        if spec is None:
            problems.append(f"{where}: query parameter '{name}' is not in {op['x-file']}")
            continue
        schema = spec.get("schema", {})
        item_schema = schema.get("items", {}) if schema.get("type") == "array" else schema
        for value in values:
            errors = list(_validator(item_schema).iter_errors(_coerce(value, item_schema)))
            problems.extend(f"{where}: ?{name}={value}: {e.message}" for e in errors[:3])
    content = (op.get("requestBody") or {}).get("content", {})
    json_schema = (content.get("application/json") or {}).get("schema")
    if isinstance(json_schema, dict) and "oneOf" in json_schema:
        # The send specs' variants overlap (a text+html body is valid as "Text Only",
        # "HTML Only" and "Text and HTML"), so "exactly one" cannot hold: any one will do.
        json_schema = {**{k: v for k, v in json_schema.items() if k != "oneOf"},
                       "anyOf": json_schema["oneOf"]}
    if body and json_schema:
        try:
            payload = json.loads(body)
        except ValueError:
            problems.append(f"{where}: request body is not JSON")
        else:
            errors = sorted(_validator(json_schema).iter_errors(payload), key=str)
            problems.extend(f"{where}: request body: {e.message} at {list(e.absolute_path)}"
                            for e in errors[:5])
    problems.extend(_check_response(where, op, status, response_body, response_type))
    return problems


def _check_response(where: str, op: dict[str, Any], status: int, body: bytes,
                    ctype: str) -> list[str]:
    responses = op.get("responses", {})
    spec = responses.get(str(status)) or responses.get("2XX") or responses.get("default")
    if spec is None:
        documented = ", ".join(sorted(responses))
        return [f"{where}: answered {status}, the spec documents {documented}"]
    schema = ((spec.get("content") or {}).get("application/json") or {}).get("schema")
    if not schema or "json" not in ctype or not body:
        return []
    try:
        payload = json.loads(body)
    except ValueError:
        return [f"{where}: response is not JSON"]
    errors = sorted(_validator(schema).iter_errors(payload), key=str)
    return [f"{where}: response {status}: {e.message} at {list(e.absolute_path)}"
            for e in errors[:5]]
