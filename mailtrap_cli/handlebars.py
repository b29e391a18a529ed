"""The Handlebars subset Mailtrap templates use, as one pure renderer.

Serves both the built-in server (sends with `template_uuid`) and `mailtrap
templates render`, so a preview shows what the server would send. Imports
neither typer nor rich.

Supported:
- `{{name}}`, `{{ user.name }}`, `{{items.0}}`, `{{this}}`, `{{this.x}}`,
  `{{../name}}` (the enclosing context), `{{@index}}`, `{{@key}}`,
  `{{@first}}`, `{{@last}}`;
- `{{{raw}}}` and `{{& raw}}` (no escaping), `{{! comment }}`, `{{!-- --}}`,
  `\\{{` for a literal `{{`, and `~` whitespace control;
- blocks `{{#if x}}…{{else if y}}…{{else}}…{{/if}}`, `{{#unless x}}`, `{{#each list}}` (also
  over an object's keys, with `{{else}}` for an empty list), `{{#with obj}}`.

With `escape=True` (HTML bodies) values are escaped as Handlebars does; a
flat key "user.name" at the top level wins over nested objects (Mailtrap's
template variables are often flat). Unknown names render empty and are
reported in `Rendered.missing`. A template that does not parse raises
`TemplateError` with the line number.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Rendered", "TemplateError", "render", "render_text", "variables_used"]

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
            "`": "&#x60;", "=": "&#x3D;"}
_ESCAPE_RE = re.compile(r"[&<>\"'`=]")
# A tag: optional leading `\` (escaped), the opening braces, its content, the closing braces.
_TAG = re.compile(r"(\\)?\{\{(~?)(\{?)(.*?)(\}?)(~?)\}\}", re.S)
_COMMENT_LONG = re.compile(r"\{\{~?!--.*?--~?\}\}", re.S)
_BLOCKS = ("if", "unless", "each", "with")
_MISSING = object()


class TemplateError(ValueError):
    """The template does not parse: an unclosed or mismatched block, a bad tag."""


@dataclass
class Rendered:
    text: str
    missing: list[str] = field(default_factory=list)


# -- parsing -------------------------------------------------------------------
@dataclass
class _Var:
    path: str
    raw: bool


@dataclass
class _Block:
    name: str
    arg: str
    line: int
    body: list[Any] = field(default_factory=list)
    inverse: list[Any] = field(default_factory=list)
    in_else: bool = False
    chained: bool = False   # opened by `{{else if x}}`: closed by its parent's close tag


def _line_of(source: str, pos: int) -> int:
    return source.count("\n", 0, pos) + 1


def _tokens(source: str) -> list[tuple[str, Any, int]]:
    """("text", str, pos) and ("tag", (kind, content), pos) with whitespace control
    and standalone-line stripping applied to the text around them."""
    out: list[tuple[str, Any, int]] = []
    pos = 0
    # Long comments may contain `}}`: find them first so the tag regex skips them.
    spans = [(m.start(), m.end(), m.group(0)) for m in _COMMENT_LONG.finditer(source)]

    def next_tag(start: int) -> tuple[int, int, Any] | None:
        comment = next((span for span in spans if span[0] >= start), None)
        m = _TAG.search(source, start)
        if comment is not None and (m is None or comment[0] <= m.start()):
            s, e, body = comment
            return s, e, ("comment", "", body.startswith("{{~"), body.endswith("~}}"))
        if m is None:
            return None
        return m.start(), m.end(), m

    text: list[str] = []
    text_pos = 0

    def push_tag(tag: tuple[str, str, bool, bool], at: int) -> None:
        nonlocal text, text_pos
        out.append(("text", "".join(text), text_pos))
        out.append(("tag", tag, at))
        text = []

    while True:
        found = next_tag(pos)
        if found is None:
            text.append(source[pos:])
            break
        start, end, m = found
        text.append(source[pos:start])
        if isinstance(m, tuple):
            push_tag(m, start)
            pos = text_pos = end
            continue
        escaped, lstrip, open3, content, close3, rstrip = m.groups()
        if escaped:
            text.append(m.group(0)[1:])
            pos = end
            continue
        content = content.strip()
        if open3 or close3:
            if not (open3 and close3):
                raise TemplateError(f"line {_line_of(source, start)}: unbalanced "
                                    f"triple braces in {m.group(0)!r}")
            kind = "raw"
        elif content.startswith("!"):
            kind = "comment"
        elif content.startswith("&"):
            kind, content = "raw", content[1:].strip()
        elif content.startswith("#"):
            kind, content = "open", content[1:].strip()
        elif content.startswith("/"):
            kind, content = "close", content[1:].strip()
        elif content == "else" or content.startswith("else ") \
                or content.startswith("^") and not content[1:].strip():
            kind = "else"
        else:
            kind = "var"
        push_tag((kind, content, bool(lstrip), bool(rstrip)), start)
        pos = text_pos = end
    out.append(("text", "".join(text), text_pos))
    _apply_whitespace(out)
    return out


def _apply_whitespace(tokens: list[tuple[str, Any, int]]) -> None:
    """A block or comment tag alone on its line takes its line with it
    (Handlebars' standalone rule); `~` trims the neighbouring whitespace.
    Tokens alternate text, tag, text, ... and start and end with text."""
    cut_head = [0] * len(tokens)
    cut_tail = [0] * len(tokens)
    for i in range(1, len(tokens) - 1, 2):
        tag_kind = tokens[i][1][0]
        if tag_kind not in ("open", "close", "else", "comment"):
            continue
        before, after = tokens[i - 1][1], tokens[i + 1][1]
        _, newline_before, line_start = before.rpartition("\n")
        line_end, newline_after, _ = after.partition("\n")
        if (newline_before or i == 1) and (newline_after or i + 2 == len(tokens)) \
                and not line_start.strip() and not line_end.strip():
            cut_tail[i - 1] = len(line_start)
            cut_head[i + 1] = len(line_end) + len(newline_after)
    texts = []
    for i, (kind, value, _pos) in enumerate(tokens):
        if kind == "text":
            end = max(cut_head[i], len(value) - cut_tail[i])
            texts.append(value[cut_head[i]:end])
        else:
            texts.append(None)
    for i in range(1, len(tokens) - 1, 2):
        _kind, _content, lstrip, rstrip = tokens[i][1]
        if lstrip:
            texts[i - 1] = texts[i - 1].rstrip()
        if rstrip:
            texts[i + 1] = texts[i + 1].lstrip()
    for i in range(0, len(tokens), 2):
        tokens[i] = ("text", texts[i], tokens[i][2])


def _open(content: str, line: int) -> _Block:
    """A block from `if x` (the text after `#`, or after `else`)."""
    name, _, arg = content.partition(" ")
    if name not in _BLOCKS:
        raise TemplateError(f"line {line}: unsupported block '#{name}' "
                            f"(supported: {', '.join('#' + b for b in _BLOCKS)})")
    arg = arg.strip()
    if not arg or " " in arg:
        raise TemplateError(f"line {line}: '#{name}' takes one name, got {arg!r}")
    return _Block(name, arg, line)


def _parse(source: str) -> list[Any]:
    root: list[Any] = []
    stack: list[_Block] = []

    def target() -> list[Any]:
        if not stack:
            return root
        block = stack[-1]
        return block.inverse if block.in_else else block.body

    for kind, value, pos in _tokens(source):
        if kind == "text":
            if value:
                target().append(value)
            continue
        tag_kind, content, _l, _r = value
        line = _line_of(source, pos)
        if tag_kind == "comment":
            continue
        if tag_kind in ("var", "raw"):
            if not content:
                raise TemplateError(f"line {line}: empty tag")
            if " " in content:
                raise TemplateError(f"line {line}: helpers are not supported: "
                                    f"{{{{{content}}}}}")
            target().append(_Var(content, tag_kind == "raw"))
        elif tag_kind == "open":
            block = _open(content, line)
            target().append(block)
            stack.append(block)
        elif tag_kind == "else":
            if not stack or stack[-1].in_else:
                raise TemplateError(f"line {line}: '{{{{{content}}}}}' outside a block")
            stack[-1].in_else = True
            chained = content[len("else"):].strip()
            if chained:  # {{else if x}}: a block inside the inverse, closed with the parent
                block = _open(chained, line)
                block.chained = True
                target().append(block)
                stack.append(block)
        else:  # close
            if not stack:
                raise TemplateError(f"line {line}: '{{{{/{content}}}}}' closes nothing")
            while stack[-1].chained:
                stack.pop()
            block = stack.pop()
            if content != block.name:
                raise TemplateError(f"line {line}: '{{{{/{content}}}}}' closes "
                                    f"'{{{{#{block.name}}}}}' of line {block.line}")
    if stack:
        block = next(b for b in reversed(stack) if not b.chained)
        raise TemplateError(f"line {block.line}: '{{{{#{block.name} {block.arg}}}}}' "
                            "is never closed")
    return root


# -- evaluation ----------------------------------------------------------------
@dataclass
class _Frame:
    value: Any
    data: dict[str, Any]
    parent: _Frame | None


def _step(value: Any, part: str) -> Any:
    if isinstance(value, dict):
        return value.get(part, _MISSING)
    if isinstance(value, list) and part.isdigit():
        index = int(part)
        return value[index] if index < len(value) else _MISSING
    return _MISSING


def _lookup(frame: _Frame, path: str) -> Any:
    if path.startswith("@"):
        return frame.data.get(path[1:], _MISSING)
    while path.startswith("../"):
        path = path[3:]
        frame = frame.parent or frame
    if path in ("this", "."):
        return frame.value
    for prefix in ("this.", "./"):
        if path.startswith(prefix):
            path = path[len(prefix):]
    if frame.parent is None and isinstance(frame.value, dict) and path in frame.value:
        return frame.value[path]  # a flat "user.name" key wins
    value = frame.value
    for part in path.split("."):
        value = _step(value, part)
        if value is _MISSING:
            return _MISSING
    return value


def _truthy(value: Any) -> bool:
    """JavaScript's rule as Handlebars' #if applies it: false, null, undefined,
    0, "" and [] are false; {} is true."""
    if value is _MISSING or value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, (str, list)):
        return len(value) > 0
    return True


def _text_of(value: Any) -> str:
    if value is _MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _escape(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


class _Renderer:
    def __init__(self, escape: bool) -> None:
        self.escape = escape
        self.missing: dict[str, None] = {}

    def value(self, frame: _Frame, path: str) -> Any:
        value = _lookup(frame, path)
        if value is _MISSING and not path.startswith("@"):
            self.missing.setdefault(path)
        return value

    def nodes(self, nodes: list[Any], frame: _Frame, out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, _Var):
                text = _text_of(self.value(frame, node.path))
                out.append(text if node.raw or not self.escape else _escape(text))
            else:
                self.block(node, frame, out)

    def block(self, node: _Block, frame: _Frame, out: list[str]) -> None:
        value = self.value(frame, node.arg)
        if node.name == "if":
            self.nodes(node.body if _truthy(value) else node.inverse, frame, out)
        elif node.name == "unless":
            self.nodes(node.inverse if _truthy(value) else node.body, frame, out)
        elif node.name == "with":
            if _truthy(value):
                self.nodes(node.body, _Frame(value, frame.data, frame), out)
            else:
                self.nodes(node.inverse, frame, out)
        else:
            self.each(node, value, frame, out)

    def each(self, node: _Block, value: Any, frame: _Frame, out: list[str]) -> None:
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            items = []
        if not items:
            self.nodes(node.inverse, frame, out)
            return
        last = len(items) - 1
        for index, (key, item) in enumerate(items):
            data = {**frame.data, "index": index, "first": index == 0, "last": index == last}
            if isinstance(value, dict):
                data["key"] = key
            self.nodes(node.body, _Frame(item, data, frame), out)


_CACHE: dict[str, list[Any]] = {}


def _compiled(source: str) -> list[Any]:
    tree = _CACHE.get(source)
    if tree is None:
        tree = _parse(source)
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[source] = tree
    return tree


def render(source: str, variables: dict[str, Any] | None = None, *,
           escape: bool = False) -> Rendered:
    """Render `source` with `variables`; `escape=True` for HTML bodies."""
    renderer = _Renderer(escape)
    out: list[str] = []
    renderer.nodes(_compiled(source or ""), _Frame(variables or {}, {}, None), out)
    return Rendered("".join(out), list(renderer.missing))


def render_text(source: str, variables: dict[str, Any] | None = None, *,
                escape: bool = False) -> str:
    return render(source, variables, escape=escape).text


def variables_used(source: str) -> list[str]:
    """Top-level names the template reads (block arguments included), in order."""
    names: dict[str, None] = {}

    def walk(nodes: list[Any], depth: int) -> None:
        for node in nodes:
            if isinstance(node, _Var):
                if depth == 0 and not node.path.startswith(("@", "this", "../", ".")):
                    names.setdefault(node.path)
            elif isinstance(node, _Block):
                if depth == 0:
                    names.setdefault(node.arg)
                inner = depth + (1 if node.name in ("each", "with") else 0)
                walk(node.body, inner)
                walk(node.inverse, depth)

    walk(_compiled(source or ""), 0)
    return list(names)
