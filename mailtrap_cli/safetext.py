"""Text from the network made harmless on a terminal: control characters made visible.

A subject, a name or an error message can carry terminal escapes: `ESC[2J`
clears the screen, OSC 52 writes the clipboard in some terminals, a carriage
return or U+202E rewrites what a line appears to say. Everything shown to a
person (tables, TSV, hints, errors, progress) goes through `visible()`;
JSON output stays exact (json.dumps escapes control characters itself).

No typer or rich here: this is imported by output code and by anything that
builds a message for a person.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (0x9b is a one-byte CSI), line and paragraph
# separators, bidirectional overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e"
                                "\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _show(match: re.Match[str]) -> str:
    ch = match.group(0)
    named = _NAMED.get(ch)
    if named:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str, *, lines: bool = False) -> str:
    """`text` with every control character written as an escape (`\\e[2J`,
    `\\x07`, `\\u202e`). `lines=True` keeps newlines and tabs (multi-line
    messages); cells of a table or a TSV line keep neither."""
    pattern = _UNSAFE_KEEP_LINES if lines else _UNSAFE
    if not pattern.search(text):
        return text
    return pattern.sub(_show, text)


def visible_value(value: object) -> object:
    """visible() for strings; other values unchanged (for table cells)."""
    return visible(value) if isinstance(value, str) else value
