"""Every use of typer's internals (its vendored click, `typer.main` builders, the
completion classes, rich_utils) goes through this module, so a Typer upgrade
is checked and fixed here alone (tests/test_layers.py holds everyone to it).

Names are imported on first use (PEP 562 module __getattr__): importing this
module costs nothing, and `from mailtrap_cli.startup.typer_compat import X`
loads only X's module.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> (module, attribute)
_NAMES = {
    # typer's vendored click
    "ClickCommand": ("typer._click.core", "Command"),
    "ParameterSource": ("typer._click.core", "ParameterSource"),
    "CompletionItem": ("typer._click.shell_completion", "CompletionItem"),
    "resolve_completion_context": ("typer._click.shell_completion", "_resolve_context"),
    "make_default_short_help": ("typer._click.utils", "make_default_short_help"),
    "click_exceptions": ("typer._click", "exceptions"),
    # typer.main: building click commands from Typer apps
    "get_command": ("typer.main", "get_command"),
    "get_group_from_info": ("typer.main", "get_group_from_info"),
    "solve_typer_info_defaults": ("typer.main", "solve_typer_info_defaults"),
    # shell completion protocol
    "completion_classes": ("typer._completion_classes", None),
    "completion_init": ("typer._completion_classes", "completion_init"),
    "rich_utils": ("typer.rich_utils", None),
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _NAMES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def answer_completion(command: Any, prog: str, complete_var: str) -> None:
    """Answer a TAB request (exits): typer's shell classes, which speak the protocol
    of the scripts `mailtrap completion` prints, replace click's once registered."""
    from typer._completion_classes import completion_init

    completion_init()
    command._main_shell_completion({}, prog, complete_var)
