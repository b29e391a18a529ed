"""TAB completion of subcommand and option names without importing typer (stdlib only).

`mailtrap sandbox m<TAB>` only needs the names under `sandbox`: answering it
from completion_tree.json takes ~25 ms instead of the ~75-110 ms typer needs
(bench/startup.py), so it imports only the stdlib, not even typing. The
answer is byte for byte what typer prints (tests/test_fast_complete.py
compares both for every group, shell and prefix).

`answer()` returns None - and typer answers as before - for anything but
subcommand names of a group, or option names of a leaf command, reached
through subcommand names only: options of a group, option values, arguments,
unknown words, quotes or escapes in the line, a terminal too narrow for the
help text, any other shell or instruction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

COMPLETE_VAR = "_MAILTRAP_COMPLETE"
TREE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "completion_tree.json")
SHELLS = {"complete_bash": "bash", "complete_zsh": "zsh", "complete_fish": "fish"}
# shlex (what typer splits the line with) treats these as whitespace; quotes and
# backslashes change its words, so a line with them is left to typer.
_SPACE = " \t\r\n"
_SPECIAL = "'\"\\"


def split_words(line: str) -> list[str] | None:
    """The words typer's split_arg_string finds, or None when unsure."""
    words: list[str] = []
    current: list[str] = []
    for char in line:
        if char in _SPACE:
            if current:
                words.append("".join(current))
                current = []
        elif char in _SPECIAL or char.isspace() or not char.isprintable():
            return None
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


def _args(shell: str, env: Mapping[str, str]) -> tuple[list[str], str] | None:
    """(complete words, incomplete word) as typer's shell classes read them."""
    if shell == "bash":
        words = env.get("COMP_WORDS")
        cword = env.get("COMP_CWORD", "")
        if words is None or not (cword.isascii() and cword.isdigit()):
            return None
        cwords = split_words(words)
        if cwords is None:
            return None
        index = int(cword)
        return cwords[1:index], cwords[index] if index < len(cwords) else ""
    line = env.get("_TYPER_COMPLETE_ARGS", "")
    cwords = split_words(line)
    if cwords is None:
        return None
    args = cwords[1:]
    if args and not line.endswith(" "):
        return args[:-1], args[-1]
    return args, ""


def _width_bound(env: Mapping[str, str]) -> int | None:
    """A width no wider than the one rich renders typer's help at (it wraps wider
    help), or None when it cannot be told."""
    if "TERMINAL_WIDTH" in env:
        return None
    widths = [80]
    columns = env.get("COLUMNS")
    if columns is not None and columns.isascii() and columns.isdigit():
        widths.append(int(columns))
    widths.extend(_terminal_widths())
    return min(widths)


def _terminal_widths() -> list[int]:
    widths = []
    for fd in (0, 1, 2):
        try:
            columns = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        if columns > 0:
            widths.append(columns)
    return widths


def _load_tree() -> dict | None:
    try:
        with open(TREE_FILE, encoding="utf-8") as file:
            tree = json.load(file)
        tree["groups"], tree["options"], tree["option_items"]  # noqa: B018 - all there
        return tree
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _items(groups: dict[str, list[dict]], args: list[str]) -> list[dict] | None:
    """The subcommands of the group `args` names, or None if args are not such a path."""
    path = ""
    for word in args:
        entries = groups.get(path)
        if entries is None:
            return None
        entry = next((e for e in entries if e["name"] == word), None)
        if entry is None or not entry["group"]:
            return None
        path = f"{path} {word}" if path else word
    return groups.get(path)


def _leaf_options(tree: dict, args: list[str]) -> list[dict] | None:
    """The option names of the leaf command `args` names, or None if args are not
    exactly a path of subcommand names ending at a leaf the tree holds."""
    groups = tree["groups"]
    path = ""
    for index, word in enumerate(args):
        entries = groups.get(path)
        entry = next((e for e in entries or [] if e["name"] == word), None)
        if entry is None:
            return None
        path = f"{path} {word}" if path else word
        if not entry["group"]:
            if index != len(args) - 1:
                return None
            indexes = tree["options"].get(path)
            if indexes is None:
                return None
            items = tree["option_items"]
            return [items[i] for i in indexes]
    return None


def answer(env: Mapping[str, str]) -> tuple[str, int] | None:
    """(stdout, exit code) typer would give for this completion request, or None."""
    shell = SHELLS.get(env.get(COMPLETE_VAR, ""))
    if shell is None:
        return None
    fish_action = env.get("_TYPER_COMPLETE_FISH_ACTION", "")
    if shell == "fish" and fish_action not in ("get-args", "is-args"):
        return None
    parsed = _args(shell, env)
    if parsed is None:
        return None
    args, incomplete = parsed
    # typer completes options for "-...", splits "--opt=value", and treats any
    # word not starting with a letter or digit as a possible option: only option
    # names of a leaf reached through subcommand names alone (so no option is
    # used yet, and none waits for a value) are answered here.
    option = incomplete[:1] == "-"
    if incomplete and not incomplete[0].isalnum() and not option or "=" in incomplete:
        return None
    if any(not word[:1].isalnum() for word in args):
        return None
    tree = _load_tree()
    if tree is None:
        return None
    entries = _leaf_options(tree, args) if option else _items(tree["groups"], args)
    if entries is None:
        return None
    matches = [e for e in entries if e["name"].startswith(incomplete)]
    if shell != "bash" and matches:
        bound = _width_bound(env)
        if bound is None or any(e["width"] >= bound - 1 for e in matches):
            return None
    if shell == "bash":
        return "\n".join(e["name"] for e in matches) + "\n", 0
    if shell == "zsh":
        if not matches:
            return "_files\n", 0
        return "_arguments '*: :((" + "\n".join(e["zsh"] for e in matches) + "))'\n", 0
    if fish_action == "is-args":
        return "", 0 if matches else 1
    return "\n".join(e["fish"] for e in matches) + "\n", 0
