"""One input row -> one `requests[]` item of the batch body, checked before sending.

A recipient row (`email`, optional `name`, any other keys) becomes
`{"to": [{email, name}], "template_variables" | "custom_variables": {...}}`;
the shared part (from, subject, template, ...) stays in `base`. A row that
already is a request item (it has `to`, `cc` or `bcc`) is used as it is.
Variables become template variables when the message uses a template, custom
variables otherwise (`vars_as` overrides). Custom variables are strings for
the API: numbers and true/false are written as JSON text.
"""

from __future__ import annotations

import json
from typing import Any

from mailtrap_cli.message import (
    MAX_CUSTOM_VARIABLES,
    RECIPIENT_FIELDS,
    is_valid_email,
    merge_base,
    validate_message,
)

VARS_AS = ("template", "custom")
PROBE = {"to": [{"email": "recipient@example.com"}]}


def is_request(data: dict[str, Any]) -> bool:
    return any(field in data for field in RECIPIENT_FIELDS)


class Builder:
    def __init__(self, base: dict[str, Any] | None, vars_as: str | None = None) -> None:
        self.base = dict(base or {})
        self.vars_as = vars_as or ("template" if self.base.get("template_uuid") else "custom")
        if self.vars_as not in VARS_AS:
            raise ValueError(f"vars_as must be one of {VARS_AS}")
        self._base_vars = self.base.get(f"{self.vars_as}_variables") or {}
        self._base_error: str | None = None   # set on the first recipient row

    def base_problems(self) -> list[str]:
        """What is wrong with the shared part for recipient rows (empty when fine)."""
        problems = validate_message(merge_base(self.base, PROBE), check_size=False)
        if self.vars_as == "template" and not self.base.get("template_uuid"):
            problems.append("variables as template variables need a template (--template)")
        return problems

    def build(self, data: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        """(item, None), or (None, why the row cannot be sent)."""
        return self.request(data) if is_request(data) else self.recipient(data)

    def request(self, data: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        problems = validate_message(merge_base(self.base, data), check_size=False)
        if problems:
            return None, "; ".join(problems)
        return data, None

    def recipient(self, data: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        if self._base_error is None:
            problems = self.base_problems()
            self._base_error = ("the shared message is incomplete: " + "; ".join(problems)
                                if problems else "")
        if self._base_error:
            return None, self._base_error
        email = data.get("email")
        if isinstance(email, str):
            email = email.strip()
        if email in (None, ""):
            return None, "no email address"
        if not is_valid_email(email):
            return None, f"'{email}' is not a valid email address"
        address: dict[str, Any] = {"email": email}
        name = data.get("name")
        if name is not None:
            if not isinstance(name, str):
                return None, "'name' must be text"
            if name.strip():
                address["name"] = name.strip()
        item: dict[str, Any] = {"to": [address]}
        variables = {k: v for k, v in data.items() if k not in ("email", "name")}
        if self.vars_as == "template":
            # A template greets by {{name}} far more often than not: the row's
            # address and name are variables too (a column of the same name wins).
            own = {"email": email, **({"name": address["name"]} if "name" in address else {})}
            item["template_variables"] = {**self._base_vars, **own, **variables}
            return item, None
        if not variables:
            return item, None
        strings: dict[str, str] = dict(self._base_vars)
        for key, value in variables.items():
            if value is None:
                continue
            if isinstance(value, str):
                strings[key] = value
            elif isinstance(value, (bool, int, float)):
                strings[key] = json.dumps(value)
            else:
                return None, (f"variable '{key}' must be text, a number or true/false "
                              "(custom variables are strings)")
        size = len(json.dumps(strings, ensure_ascii=False, separators=(",", ":")).encode())
        if size > MAX_CUSTOM_VARIABLES:
            return None, (f"custom variables are {size} bytes as JSON; at most "
                          f"{MAX_CUSTOM_VARIABLES} are allowed")
        item["custom_variables"] = strings
        return item, None
