"""Help text is documentation: every command has a one-line summary and renders its
--help without error (exit 0, usage on stdout)."""

from __future__ import annotations

import pytest
import typer

from mailtrap_cli.app import build


def _leaves():
    root = build()
    ctx = typer.Context(root, info_name="mailtrap")

    def walk(cmd, path, ctx):
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                child = cmd.get_command(ctx, name)
                yield from walk(child, [*path, name],
                                typer.Context(child, info_name=name, parent=ctx))
        else:
            yield path, cmd

    return list(walk(root, [], ctx))


LEAVES = _leaves()


def test_the_tree_has_the_documented_groups():
    tops = {path[0] for path, _ in LEAVES}
    assert {"auth", "config", "send", "sandbox", "api", "doctor", "completion",
            "local"} <= tops


@pytest.mark.parametrize("path,cmd", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_has_a_one_line_summary(path, cmd):
    text = (cmd.help or "").strip()
    assert text, f"`mailtrap {' '.join(path)}` has no help"
    summary = text.splitlines()[0]
    assert len(summary) <= 110, f"summary too long: {summary!r}"
    assert summary[0].isupper() and summary.rstrip().endswith((".", ")")), summary


@pytest.mark.parametrize("path", [p for p, _ in LEAVES], ids=[" ".join(p) for p, _ in LEAVES])
def test_every_help_renders(cli_raw, path):
    result = cli_raw(*path, "--help")
    assert result.code == 0, result
    assert result.stdout.startswith("Usage: mailtrap " + " ".join(path))
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("path,cmd", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_shows_an_example(path, cmd):
    """An `Examples:` block with at least one `mailtrap <this command>` line."""
    text = cmd.help or ""
    assert "Examples:" in text, f"`mailtrap {' '.join(path)} --help` has no examples"
    examples = text.split("Examples:", 1)[1]
    assert "mailtrap " + " ".join(path) in examples or " ".join(path) in examples, examples
