"""A field value typed from the account's field definitions (data types text,
integer, float, boolean, date), for `--field K=V`, `--param K=V` and imports.

Errors are ValueError with a reason that names the type, e.g. "expected an
integer (field `age` is integer), got '3.5'"."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

TRUE = frozenset({"true", "yes", "y", "1", "t", "on"})
FALSE = frozenset({"false", "no", "n", "0", "f", "off"})
MAX_TEXT = 255
_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TYPE_WORDS = {"text": "text", "integer": "an integer", "float": "a number",
              "boolean": "true or false", "date": "a date (YYYY-MM-DD)"}


def convert(value: Any, data_type: str) -> Any:
    """`value` (text from a flag or CSV, or a JSON value) as `data_type` wants it."""
    if value is None:
        return None
    if data_type == "text":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError("expected text")
        text = value if isinstance(value, str) else str(value)
        if len(text) > MAX_TEXT:
            raise ValueError(f"text longer than {MAX_TEXT} characters")
        return text
    if data_type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.match(value.strip()):
            return int(value.strip())
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueError("expected an integer")
    if data_type == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value) if isinstance(value, float) else value
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise ValueError("expected a number") from None
        else:
            raise ValueError("expected a number")
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError("expected a finite number")
        return number
    if data_type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
            return value.strip().lower() in TRUE
        raise ValueError("expected true or false")
    if data_type == "date":
        text = value.strip() if isinstance(value, str) else None
        if text and _DATE.match(text):
            try:
                date.fromisoformat(text)
                return text
            except ValueError:
                pass
        raise ValueError("expected a date (YYYY-MM-DD)")
    raise ValueError(f"unknown data type {data_type!r}")


def scalar(text: str) -> Any:
    """An event parameter from `K=V` text: true/false/null, a number, else the text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if _INT.match(text.strip()):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) and any(c.isdigit() for c in text) else text


def split_pair(text: str, what: str = "--field") -> tuple[str, str]:
    """'key=value' -> (key, value); ValueError naming `what` otherwise."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"{what} expects KEY=VALUE, got {text!r}")
    return key.strip(), value


def typed_fields(pairs: list[str], types: dict[str, str]) -> dict[str, Any]:
    """`--field K=V` flags -> {merge_tag: typed value}. An empty value clears the
    field (null). ValueError with a readable reason."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, raw = split_pair(pair)
        if key not in types:
            known = ", ".join(sorted(types)) or "none yet: create one with " \
                "`mailtrap contacts fields create`"
            raise ValueError(f"unknown field {key!r} (fields: {known})")
        if raw == "":
            out[key] = None
            continue
        try:
            out[key] = convert(raw, types[key])
        except ValueError as exc:
            raise ValueError(f"field {key!r} is {types[key]}: {exc}, got {raw!r}") from None
    return out
