"""Shared option aliases and the global options every leaf command accepts.

Global options (--profile, --output, --quiet, --no-color, --debug, --timeout)
work before the group and after the leaf alike: `MailtrapCommand` appends the
same option objects to every command, and their callbacks write into the one
State, so there is a single definition and no copies.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from mailtrap_cli.context import State, get_state
from mailtrap_cli.output import MODES

GLOBAL_PANEL = "Global options"
OUTPUT_CHOICES = MODES


# Each global option has its own callback calling one typed setter of the State.
def _set_profile(ctx: Any, param: Any, value: str | None) -> str | None:
    if value is not None:
        if not value.strip():
            raise typer.BadParameter("empty profile name")
        get_state(ctx).set_profile(value)
    return value


def _set_output(ctx: Any, param: Any, value: str | None) -> str | None:
    if value is not None:
        if value not in OUTPUT_CHOICES:
            raise typer.BadParameter(f"'{value}' is not one of {', '.join(OUTPUT_CHOICES)}")
        get_state(ctx).set_output(value)
    return value


def _set_quiet(ctx: Any, param: Any, value: bool) -> bool:
    if value:
        get_state(ctx).set_quiet()
    return value


def _set_no_color(ctx: Any, param: Any, value: bool) -> bool:
    if value:
        get_state(ctx).set_no_color()
    return value


def _set_debug(ctx: Any, param: Any, value: bool) -> bool:
    if value:
        get_state(ctx).set_debug()
    return value


def _set_timeout(ctx: Any, param: Any, value: float | None) -> float | None:
    import math

    if value is not None:
        if not (math.isfinite(value) and 0 < value <= 86400):
            raise typer.BadParameter(
                f"{value:g} is not a number of seconds above 0 (at most 86400)")
        get_state(ctx).set_timeout(value)
    return value


def _set_fields(ctx: Any, param: Any, value: str | None) -> str | None:
    if value is not None:
        fields = [f.strip() for f in value.split(",")]
        if not all(fields):
            raise typer.BadParameter(f"'{value}' is not a list of field names like id,name,to")
        get_state(ctx).set_fields(fields)
    return value


def _set_yes(ctx: Any, param: Any, value: bool) -> bool:
    if value:
        get_state(ctx).set_yes()
    return value


def _complete_output(ctx: Any, args: Any, incomplete: str) -> list[str]:
    # Called as autocompletion(ctx, args, incomplete) by TyperOption.
    return [c for c in OUTPUT_CHOICES if c.startswith(incomplete)]


def complete_profile(ctx: Any, args: Any, incomplete: str) -> list[str]:
    """Profile names from the config file, plus the built-in `local`."""
    from mailtrap_cli import config

    try:
        names = set(config.load_file().get("profiles", {}))
    except Exception:  # noqa: BLE001 - a broken config must not break TAB
        names = set()
    return sorted(n for n in names | {config.LOCAL_PROFILE} if n.startswith(incomplete))


def global_params() -> list[Any]:
    common = {"expose_value": False, "rich_help_panel": GLOBAL_PANEL}
    return [
        TyperOption(param_decls=["--profile", "-p", "profile"], type=str, default=None,
                    callback=_set_profile, metavar="NAME", autocompletion=complete_profile,
                    help="Profile to use (env MAILTRAP_PROFILE; `local` = built-in server).",
                    **common),
        TyperOption(param_decls=["--output", "-o", "output"], type=str, default=None,
                    callback=_set_output, metavar="FORMAT", autocompletion=_complete_output,
                    help="auto|table|json|jsonl|tsv (env MAILTRAP_OUTPUT). auto: table on a "
                    "terminal, JSON when piped.", **common),
        TyperOption(param_decls=["--fields", "fields"], type=str, default=None,
                    callback=_set_fields, metavar="A,B.C",
                    help="Only these fields: the table's columns, the JSON objects' keys "
                    "(a.b reaches into nested objects).", **common),
        TyperOption(param_decls=["--quiet", "-q", "quiet"], is_flag=True, default=False,
                    callback=_set_quiet, help="No hints or progress on stderr.", **common),
        TyperOption(param_decls=["--no-color", "no_color"], is_flag=True, default=False,
                    callback=_set_no_color, help="No colour (also NO_COLOR).", **common),
        TyperOption(param_decls=["--debug", "debug"], is_flag=True, default=False,
                    callback=_set_debug, help="Log HTTP requests to stderr (token redacted).",
                    **common),
        TyperOption(param_decls=["--timeout", "timeout"], type=float, default=None,
                    callback=_set_timeout, metavar="SECONDS",
                    help="HTTP read timeout in seconds (default 30).", **common),
    ]


def _help_option_names(command: Any, ctx: Any) -> list[str]:
    """`-h`, `--help` in that order: click returns them from a set, so their order
    (in TAB completion) changed from one run to the next."""
    taken = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    return [name for name in ctx.help_option_names if name not in taken]


class MailtrapCommand(TyperCommand):
    """A leaf command that also takes the global options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(global_params())

    def get_help_option_names(self, ctx: Any) -> list[str]:
        return _help_option_names(self, ctx)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """`Usage: mailtrap config get KEY`, not typer's `{KEY}` (and no `[]` for an
        argument documented beside another, as `api`'s PATH)."""
        pieces = []
        for piece in super().collect_usage_pieces(ctx):
            if piece.startswith("{") and piece.endswith("}"):
                piece = piece[1:-1]
            if piece not in ("", "[]"):
                pieces.append(piece)
        return pieces


class OwnTimeoutCommand(MailtrapCommand):
    """A command whose own `--timeout` bounds a wait (`messages wait`, `smtp-test`):
    the global HTTP --timeout is left off it (it still works before the group)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params = [p for p in self.params
                       if not (p.name == "timeout" and not p.expose_value)]


class MailtrapGroup(TyperGroup):
    """A group that also takes the global options (for `mailtrap sandbox -o json ...`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {p.name for p in self.params}
        self.params.extend(p for p in global_params() if p.name not in names)

    def get_help_option_names(self, ctx: Any) -> list[str]:
        return _help_option_names(self, ctx)

    # Sub-groups may be built on first use (lazy_groups.py): list names without
    # building them, and complete them from their help alone.
    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        from mailtrap_cli.startup.lazy_groups import LazyCommands

        if not isinstance(self.commands, LazyCommands):
            return super().shell_complete(ctx, incomplete)
        from mailtrap_cli.startup.typer_compat import ClickCommand, CompletionItem

        items = [CompletionItem(name, help=summary)
                 for name, summary in self.commands.summaries() if name.startswith(incomplete)]
        items.extend(ClickCommand.shell_complete(self, ctx, incomplete))
        return items

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        from mailtrap_cli.startup.lazy_groups import LazyCommands

        if not isinstance(self.commands, LazyCommands):
            return super().format_commands(ctx, formatter)
        names = [n for n, _ in self.commands.summaries()]
        if names:
            limit = formatter.width - 6 - max(len(n) for n in names)
            with formatter.section("Commands"):
                formatter.write_dl(list(self.commands.summaries(limit)))
        return None


def _group_callback() -> None:
    pass


class Typer(typer.Typer):
    """typer.Typer whose commands and groups accept the global options."""

    def __init__(self, *args: Any, leaf: bool = False, **kwargs: Any) -> None:
        """`leaf=True` for an app whose one command stands alone (`api`, `doctor`) or
        joins its parent group (`app.add_typer(smtp_test.app)`: `sandbox smtp-test`)."""
        kwargs.setdefault("cls", MailtrapGroup)
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("rich_markup_mode", None)
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("add_completion", False)
        # A callback keeps a one-command Typer a group (`local serve`, not `local`).
        if not leaf:
            kwargs.setdefault("callback", _group_callback)
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", MailtrapCommand)
        return super().command(*args, **kwargs)


# -- shared option aliases: same flag, same meaning, everywhere --------------
LimitOpt = Annotated[int | None, typer.Option("--limit", "-L", min=1, metavar="N",
                                              help="Return at most N items.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Fetch every page.")]
# --yes is also recorded on the State, so state.perform(confirm=...) sees it.
YesOpt = Annotated[bool, typer.Option("--yes", "-y", callback=_set_yes,
                                      help="Do not ask for confirmation.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the request and send nothing.")]
SandboxOpt = Annotated[int | None, typer.Option(
    "--sandbox", metavar="ID",
    help="Sandbox id (default: the profile's sandbox_id / MAILTRAP_SANDBOX_ID).")]
AccountOpt = Annotated[int | None, typer.Option(
    "--account", metavar="ID",
    help="Account id (default: the profile's account_id / MAILTRAP_ACCOUNT_ID).")]
ProjectOpt = Annotated[int | None, typer.Option("--project", metavar="ID", help="Project id.")]


def id_arg(metavar: str, help: str, *, default_from: str | None = None) -> Any:
    """A positional id (`templates get 7`): a whole number from 1.

    With `default_from` (a setting such as "sandbox_id") the argument may be
    left out and the profile/environment value is used: declare the parameter
    `= None` and resolve it with `state.resolve_id(default_from, value, ...)`.

        TemplateArg = id_arg("TEMPLATE_ID", "Template id.")
        def get(ctx: typer.Context, template_id: TemplateArg) -> None: ...
    """
    if default_from is None:
        return Annotated[int, typer.Argument(metavar=metavar, min=1, help=help)]
    setting = default_from
    return Annotated[int | None, typer.Argument(
        metavar=f"[{metavar}]", min=1, show_default=False,
        help=f"{help.rstrip('.')} (default: the profile's {setting} / "
        f"MAILTRAP_{setting.upper()}).")]


__all__ = ["State", "get_state", "Typer", "MailtrapCommand", "MailtrapGroup",
           "OwnTimeoutCommand", "LimitOpt", "AllOpt", "YesOpt", "DryRunOpt", "SandboxOpt",
           "AccountOpt", "ProjectOpt", "global_params", "id_arg"]
