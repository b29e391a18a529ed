"""Root Typer app: global options, lazily loaded groups, errors mapped to exit codes.

Groups are imported only when used, so `--version`, `--help` of one group and
TAB completion do not pay for every command module (bench/startup.py).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from mailtrap_cli import __version__
from mailtrap_cli.options import MailtrapGroup

# name -> (module, one-line summary): adding a group is one line here. The
# summary is shown by `mailtrap --help` and TAB completion without importing
# the module; the module (or package) has a Typer `app`.
GROUPS: dict[str, tuple[str, str]] = {
    "auth": ("mailtrap_cli.commands.auth", "Log in, log out and inspect credentials."),
    "config": ("mailtrap_cli.commands.config", "Read and change profiles and settings."),
    "send": ("mailtrap_cli.commands.send", "Send email: one message, raw MIME or a batch."),
    "sandbox": ("mailtrap_cli.commands.sandbox",
                "Testing sandbox: projects, sandboxes, messages, attachments."),
    "contacts": ("mailtrap_cli.commands.contacts",
                 "Contacts, lists, fields, events; import, export and sync."),
    "campaigns": ("mailtrap_cli.commands.campaigns", "Email campaigns: create, send, stats."),
    "templates": ("mailtrap_cli.commands.templates",
                  "Email templates: CRUD, pull/diff/push as files, render."),
    "webhooks": ("mailtrap_cli.commands.webhooks",
                 "Webhooks: CRUD, verify, listen locally, test events."),
    "api": ("mailtrap_cli.commands.api", "Make a raw request to any API endpoint."),
    "doctor": ("mailtrap_cli.commands.doctor", "Check config, token, hosts and clock."),
    "completion": ("mailtrap_cli.commands.completion", "Print a shell completion script."),
    "local": ("mailtrap_cli.commands.local", "Run the built-in Mailtrap-compatible server."),
    "help": ("mailtrap_cli.commands.help", "Show the help of any command."),
    "account": ("mailtrap_cli.commands.account",
                "Accounts, access, permissions, API tokens, billing."),
    "domains": ("mailtrap_cli.commands.domains", "Sending domains: DNS checks, company info."),
    "suppressions": ("mailtrap_cli.commands.suppressions",
                     "Suppressed addresses and tracking opt-outs."),
    "stats": ("mailtrap_cli.commands.stats", "Sending stats by day, domain, category, ESP."),
    "logs": ("mailtrap_cli.commands.logs", "Email logs: list, get, tail."),
    "inbound": ("mailtrap_cli.commands.inbound",
                "Inbound email: folders, inboxes, messages, threads, rules."),
}


class LazyRootGroup(MailtrapGroup):
    """Loads a group's module on first use and caches the click command."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(set(self.commands) | set(GROUPS))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = GROUPS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        from mailtrap_cli.startup.lazy_groups import build_command

        command = build_command(module.app)  # its own sub-groups built on first use
        command.name = cmd_name
        if not command.help and not command.short_help:
            command.short_help = entry[1]
        self.commands[cmd_name] = command
        return command

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        # Top-level names complete from the table, without importing modules.
        from mailtrap_cli.startup.typer_compat import CompletionItem

        items = [CompletionItem(name, help=summary)
                 for name, (_, summary) in sorted(GROUPS.items())
                 if name.startswith(incomplete)]
        items.extend(TyperGroup.shell_complete(self, ctx, incomplete)
                     if incomplete.startswith("-") else [])
        return items

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, summary) for name, (_, summary) in sorted(GROUPS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _version(value: bool) -> None:
    if value:
        print(f"mailtrap-cli {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=LazyRootGroup,
    name="mailtrap",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                 help="Print the version and exit."),
) -> None:
    """Mailtrap from the command line: the whole API, and a built-in server.

    Sending, the testing sandbox, templates, webhooks, contacts, campaigns,
    domains, suppressions, stats, logs, inbound mail and account
    administration; any other endpoint through `mailtrap api`. Output is a
    table on a terminal and JSON when piped (-o to choose). `--profile local`
    talks to the built-in server: no account needed.
    """


def build() -> Any:
    from mailtrap_cli.startup.typer_compat import get_command

    return get_command(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, map every error to its documented exit code."""
    from typer import Abort, Exit

    from mailtrap_cli.api.errors import ExitCode, MailtrapError
    from mailtrap_cli.context import State
    from mailtrap_cli.startup.typer_compat import click_exceptions as click_exc

    command = build()
    # TAB completion: answers and exits when _MAILTRAP_COMPLETE is set.
    import os

    if "_MAILTRAP_COMPLETE" in os.environ:
        from mailtrap_cli.startup.typer_compat import answer_completion

        answer_completion(command, "mailtrap", "_MAILTRAP_COMPLETE")
    state: State | None = None
    code = 0
    try:
        with command.make_context("mailtrap", list(sys.argv[1:] if argv is None else argv)) as ctx:
            state = ctx.ensure_object(State)
            command.invoke(ctx)
    except MailtrapError as err:
        # An API, network or input error is not a bug: no traceback, --debug or not
        # (--debug has already shown the HTTP exchange).
        _report(state, err.message, err.hint)
        code = int(err.exit_code)
    except Exit as exc:
        code = exc.exit_code
    except click_exc.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help(), file=sys.stderr)
        code = 0
    except click_exc.UsageError as exc:
        hint = None
        if exc.ctx is not None:
            hint = f"see `{exc.ctx.command_path} --help`"
        _report(state, usage_message(exc.format_message()), hint)
        code = ExitCode.USAGE
    except Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # Ctrl-C at typer's prompt
            print("\ninterrupted", file=sys.stderr)
            code = ExitCode.INTERRUPTED
        else:
            _report(state, "aborted", None)
            code = ExitCode.ABORTED
    except click_exc.ClickException as exc:
        _report(state, exc.format_message(), None)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        # `mailtrap ... | head`: the reader left. Quietly, with the status a shell
        # gives any tool killed by SIGPIPE (128 + 13), as `git log | head` does:
        # not 1, which would read as an API error under `set -o pipefail`.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = ExitCode.BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - last resort: one line, no traceback
        if state is not None and state.debug:
            _print_traceback(state)
        debug = state is not None and state.debug
        _report(state, f"unexpected {type(exc).__name__}: {_safe(state, str(exc))}",
                None if debug else "run again with --debug for the traceback")
        code = ExitCode.ERROR
    finally:
        if state is not None:
            state.close()
    sys.exit(code)


_RANGE_WORDS = (
    (r"'(.*)' is not a valid (?:int range|integer)\.", r"'\1' is not a whole number."),
    (r"'(.*)' is not a valid (?:float range|float)\.", r"'\1' is not a number."),
    (r"(\S+) is not in the range x>=(\S+)\.", r"\1 is too small (at least \2)."),
    (r"(\S+) is not in the range x<=(\S+)\.", r"\1 is too big (at most \2)."),
    (r"(\S+) is not in the range (\S+)<=x<=(\S+)\.", r"\1 is not from \2 to \3."),
)


def usage_message(text: str) -> str:
    """click's words for a bad number, in plain words: `'abc' is not a whole number.`
    rather than `'abc' is not a valid int range.`, `0 is too small (at least 1).`"""
    import re

    for pattern, replacement in _RANGE_WORDS:
        text = re.sub(pattern, replacement, text)
    return text


def _safe(state: Any, text: str) -> str:
    """The text with the token redacted, also as a repr shows it (`'tok\\n'`)."""
    try:
        token = state.settings.token if state is not None else None
    except Exception:  # noqa: BLE001
        token = None
    if not token:
        return text
    for form in sorted({token, token.strip(), repr(token)[1:-1], repr(token.strip())[1:-1]},
                       key=len, reverse=True):
        if len(form) >= 4:
            text = text.replace(form, "***")
    return text


def _print_traceback(state: Any) -> None:
    """--debug: the traceback, token redacted (no locals are ever shown)."""
    import traceback

    print(_safe(state, traceback.format_exc()), end="", file=sys.stderr, flush=True)


def _report(state: Any, message: str, hint: str | None) -> None:
    if state is not None and state.has_out:
        state.out.error(message, hint)
        return
    from mailtrap_cli.output import Output

    Output("json", io=state.io if state is not None else None).error(message, hint)
