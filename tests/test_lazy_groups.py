"""Deferred sub-groups (lazy_groups.py) change when commands are built, nothing else:
the same names, order and help as typer's own eager tree."""

from __future__ import annotations

import importlib

import pytest
import typer.main
from typer._click import Context

from mailtrap_cli.app import GROUPS
from mailtrap_cli.startup.lazy_groups import LazyCommands, build_command


def walk(command, path: list[str], out: dict[str, str]) -> dict[str, str]:
    ctx = Context(command, info_name=path[-1])
    out[" ".join(path)] = command.get_help(ctx)
    if hasattr(command, "commands"):
        for name in command.list_commands(ctx):
            walk(command.get_command(ctx, name), [*path, name], out)
    return out


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_same_tree_and_help_as_typer(group):
    module = importlib.import_module(GROUPS[group][0])
    eager = walk(typer.main.get_command(module.app), [group], {})
    lazy = walk(build_command(module.app), [group], {})
    assert list(lazy) == list(eager)
    for path, text in eager.items():
        assert lazy[path] == text, path


def test_sub_groups_are_built_on_first_access():
    module = importlib.import_module(GROUPS["sandbox"][0])
    group = build_command(module.app)
    assert isinstance(group.commands, LazyCommands)
    names = list(group.commands)
    assert {"projects", "sandboxes", "messages", "attachments"} <= set(names)
    assert "messages" in group.commands
    assert group.commands._deferred  # nothing built by listing or membership
    messages = group.get_command(None, "messages")
    assert "list" in messages.commands
    assert group.get_command(None, "messages") is messages
    assert list(group.commands) == names  # order kept after building


def test_lazy_commands_mapping_behaviour():
    built = []
    commands = LazyCommands({"a": "A"})
    commands.defer("b", lambda: built.append("b") or "B", info=None)
    assert list(commands) == ["a", "b"] and len(commands) == 2
    assert built == []
    assert commands["b"] == "B" and commands["b"] == "B"
    assert built == ["b"]
    commands["c"] = "C"
    del commands["a"]
    assert list(commands) == ["b", "c"]
    with pytest.raises(KeyError):
        commands["a"]
