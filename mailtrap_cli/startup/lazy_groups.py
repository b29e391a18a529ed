"""Build a Typer app's click tree with its sub-groups made only when first used.

typer.main.get_command builds every nested group and inspects every command's
signature up front: ~1 ms a command, ~30 ms for `sandbox` alone. TAB
completion of `mailtrap sandbox m<TAB>` and running `mailtrap sandbox messages
list` need one branch, so the others stay as TyperInfo until asked for
(bench/startup.py). Names, order and help are the same as typer's own tree.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any


class LazyCommands(MutableMapping):
    """A group's `commands` mapping whose deferred entries are built on first access."""

    def __init__(self, built: dict[str, Any]) -> None:
        self._built = dict(built)
        self._order = list(built)
        self._deferred: dict[str, tuple[Callable[[], Any], Any]] = {}

    def defer(self, name: str, build: Callable[[], Any], info: Any) -> None:
        self._deferred[name] = (build, info)
        if name not in self._order:
            self._order.append(name)

    def __getitem__(self, name: str) -> Any:
        if name in self._built:
            return self._built[name]
        if name in self._deferred:
            build, _ = self._deferred.pop(name)
            command = build()
            self._built[name] = command
            return command
        raise KeyError(name)

    def __setitem__(self, name: str, command: Any) -> None:
        self._deferred.pop(name, None)
        self._built[name] = command
        if name not in self._order:
            self._order.append(name)

    def __delitem__(self, name: str) -> None:
        if name not in self._built and name not in self._deferred:
            raise KeyError(name)
        self._built.pop(name, None)
        self._deferred.pop(name, None)
        self._order.remove(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._deferred

    def summaries(self, limit: int = 45) -> Iterator[tuple[str, str]]:
        """(name, one-line help) of every visible entry, building none."""
        from mailtrap_cli.startup.typer_compat import make_default_short_help

        for name in self._order:
            if name in self._built:
                command = self._built[name]
                if not command.hidden:
                    yield name, command.get_short_help_str(limit)
            else:
                info = self._deferred[name][1]
                if not info.hidden:
                    yield name, info.short_help or make_default_short_help(info.help or "",
                                                                           limit)


def build_command(typer_instance: Any) -> Any:
    """typer.main.get_command(typer_instance), nested groups deferred."""
    from mailtrap_cli.startup import typer_compat as tc

    settings = {"pretty_exceptions_short": typer_instance.pretty_exceptions_short,
                "rich_markup_mode": typer_instance.rich_markup_mode,
                "suggest_commands": typer_instance.suggest_commands}
    is_group = bool(typer_instance.registered_callback or typer_instance.info.callback
                    or len(typer_instance.registered_commands) > 1
                    or typer_instance.registered_groups)
    if not is_group:
        return tc.get_command(typer_instance)
    with _flattened(typer_instance) as named:
        command = tc.get_command(typer_instance)
    _defer(command, named, settings)
    return command


def _build_group(info: Any, settings: dict[str, Any]) -> Any:
    from mailtrap_cli.startup import typer_compat as tc

    with _flattened(info.typer_instance) as named:
        group = tc.get_group_from_info(info, **settings)
    _defer(group, named, settings)
    return group


@contextlib.contextmanager
def _flattened(instance: Any) -> Iterator[list[Any]]:
    """While building `instance`: the commands of its unnamed sub-groups
    (`app.add_typer(smtp_test.app)`) merged into its own, as typer merges them,
    and its named sub-groups left out; yields those named ones, to defer."""
    from mailtrap_cli.startup import typer_compat as tc

    subs = list(instance.registered_groups)
    commands = list(instance.registered_commands)
    named = [info for info in subs if tc.solve_typer_info_defaults(info).name]
    merged = [command for info in subs if info not in named
              for command in info.typer_instance.registered_commands]
    instance.registered_groups = []
    instance.registered_commands = commands + merged
    try:
        yield named
    finally:
        instance.registered_groups = subs
        instance.registered_commands = commands


def _defer(group: Any, subs: list[Any], settings: dict[str, Any]) -> None:
    from mailtrap_cli.startup import typer_compat as tc

    if not subs:
        return
    commands = LazyCommands(dict(group.commands))
    for info in subs:
        solved = tc.solve_typer_info_defaults(info)
        commands.defer(solved.name, lambda info=info: _build_group(info, settings), solved)
    group.commands = commands
