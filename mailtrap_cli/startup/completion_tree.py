"""The command tree TAB completion answers from without importing typer
(fast_complete.py), taken from typer's own completion of each group.

For every group the fast path may answer for, completion_tree.json holds what
typer prints for each subcommand with an empty incomplete word: the bash
value, the zsh and fish lines (typer's own format_completion, so escaping and
help-text sanitising are typer's) and how wide the help is once sanitised
(rich wraps help wider than the terminal; the fast path then steps aside).
Subcommands are filtered by prefix exactly as typer does.

A group is left out (so typer answers) when its completion could depend on
more than the prefix: a custom shell_complete, an argument, a name or line
that is not plain ASCII, or help that rich would change. Written by
`python scripts/gen_completions.py`; a test fails when it drifts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

TREE_PATH = Path(__file__).resolve().parent / "completion_tree.json"
PROG = "mailtrap"
COMPLETE_VAR = "_MAILTRAP_COMPLETE"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
OPTION = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9_-]*\Z")
WIDE = 100_000  # rich's width while rendering here: nothing wraps


def _known_shell_completes() -> set[Any]:
    from typer.core import TyperGroup

    from mailtrap_cli.app import LazyRootGroup
    from mailtrap_cli.options import MailtrapGroup

    return {TyperGroup.shell_complete, MailtrapGroup.shell_complete,
            LazyRootGroup.shell_complete}


def _resolve(path: list[str]) -> tuple[Any, Any] | None:
    """(command, ctx) `mailtrap <path>` leads to as completion resolves it, in a
    tree built afresh (lazily built groups then look as in a new process), or
    None when completion stops short of the path's last word."""
    from mailtrap_cli.app import build
    from mailtrap_cli.startup.typer_compat import resolve_completion_context

    ctx = resolve_completion_context(build(), {}, PROG, list(path))
    depth, parent = 0, ctx.parent
    while parent is not None:
        depth, parent = depth + 1, parent.parent
    if depth != len(path) or ctx.info_name != (path[-1] if path else PROG):
        return None
    return ctx.command, ctx


def _group_safe(command: Any, ctx: Any) -> bool:
    from typer.core import TyperArgument

    if type(command).shell_complete not in _known_shell_completes():
        return False
    return not any(isinstance(p, TyperArgument) for p in command.get_params(ctx))


def _leaf_safe(command: Any, ctx: Any) -> bool:
    """A leaf whose option names complete as click's Command does: by prefix alone."""
    from mailtrap_cli.startup.typer_compat import ClickCommand

    return type(command).shell_complete is ClickCommand.shell_complete


def _items(path: list[str], incomplete: str = "", name: re.Pattern = NAME,
           safe: Any = _group_safe) -> list[dict[str, Any]] | None:
    """typer's answer for `mailtrap <path> <incomplete><TAB>`, one dict per item (a
    subcommand, or with incomplete "-" an option name), or None when the fast path
    must leave this command to typer."""
    from mailtrap_cli.app import build
    from mailtrap_cli.startup.typer_compat import completion_classes as classes
    from mailtrap_cli.startup.typer_compat import rich_utils

    resolved = _resolve(path)
    if resolved is None or not safe(*resolved):
        return None
    cli = build()
    bash, zsh, fish = (cls(cli, {}, PROG, COMPLETE_VAR) for cls in
                       (classes.BashComplete, classes.ZshComplete, classes.FishComplete))
    completions = bash.get_completions(list(path), incomplete)
    rendered: list[tuple[str, str]] = []
    original = classes._sanitize_help_text

    def recording(text: str) -> str:
        out = original(text)
        rendered.append((text, out))
        return out

    classes._sanitize_help_text = recording
    saved_width = rich_utils.MAX_WIDTH
    rich_utils.MAX_WIDTH = WIDE
    items = []
    try:
        for item in completions:
            rendered.clear()
            entry = {"name": item.value, "zsh": zsh.format_completion(item),
                     "fish": fish.format_completion(item)}
            if (not isinstance(item.value, str) or not name.match(item.value)
                    or bash.format_completion(item) != item.value
                    or any(text != out for text, out in rendered)
                    or not all(s.isascii() and s.isprintable()
                               for s in (entry["zsh"], entry["fish"].replace("\t", " ")))):
                return None
            entry["width"] = max((len(out) for _, out in rendered), default=0)
            items.append(entry)
    finally:
        classes._sanitize_help_text = original
        rich_utils.MAX_WIDTH = saved_width
    return items


def _is_group(path: list[str]) -> bool:
    from typer.core import TyperGroup

    resolved = _resolve(path)
    return resolved is not None and isinstance(resolved[0], TyperGroup)


def build_tree() -> dict[str, Any]:
    """{"groups": {"": [...], "sandbox": [...], "sandbox messages": [...]},
    "option_items": [...], "options": {"sandbox messages list": [indexes], ...}}:
    a leaf's option names (typer's answer to `-<TAB>`) as indexes into one list,
    since the global options repeat on every leaf."""
    groups: dict[str, list[dict[str, Any]]] = {}
    option_items: list[dict[str, Any]] = []
    known: dict[str, int] = {}
    options: dict[str, list[int]] = {}
    pending: list[list[str]] = [[]]
    while pending:
        path = pending.pop(0)
        items = _items(path)
        if items is None:
            continue
        for entry in items:
            entry["group"] = _is_group([*path, entry["name"]])
            if entry["group"]:
                pending.append([*path, entry["name"]])
                continue
            leaf = [*path, entry["name"]]
            names = _items(leaf, "-", OPTION, _leaf_safe)
            if names is None:
                continue
            indexes = []
            for item in names:
                text = json.dumps(item, sort_keys=True)
                if text not in known:
                    known[text] = len(option_items)
                    option_items.append(item)
                indexes.append(known[text])
            options[" ".join(leaf)] = indexes
        groups[" ".join(path)] = [{k: e[k] for k in ("name", "group", "width", "zsh", "fish")}
                                  for e in items]
    return {"generated_by": "python scripts/gen_completions.py", "groups": groups,
            "option_items": [{k: e[k] for k in ("name", "width", "zsh", "fish")}
                             for e in option_items],
            "options": options}


def tree_text() -> str:
    """The JSON file's text: one line a subcommand or option, so a diff shows what changed."""
    tree = build_tree()
    groups = [f"  {json.dumps(path)}: [\n" + ",\n".join(f"   {json.dumps(item)}" for item in items)
              + "\n  ]" for path, items in tree["groups"].items()]
    option_items = [f"  {json.dumps(item)}" for item in tree["option_items"]]
    options = [f"  {json.dumps(path)}: {json.dumps(indexes)}"
               for path, indexes in tree["options"].items()]
    return ("{\n" f' "generated_by": {json.dumps(tree["generated_by"])},\n'
            ' "groups": {\n' + ",\n".join(groups) + "\n },\n"
            ' "option_items": [\n' + ",\n".join(option_items) + "\n ],\n"
            ' "options": {\n' + ",\n".join(options) + "\n }\n}\n")
