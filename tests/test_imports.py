"""Start-up stays light: --version, --help and TAB completion never import the
HTTP stack, rich, SQLite, the local server or pydantic (bench/startup.py has
the times). Checked with `python -X importtime` in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mailtrap_cli.app import GROUPS

# Top-level packages (and submodules) that must not load at start-up.
HEAVY = ("requests", "urllib3", "rich", "sqlite3", "http.server", "http.client", "pydantic",
         "aiosmtpd", "email.parser", "email.feedparser", "ssl", "asyncio")


def imported_modules(args: list[str], env: dict[str, str] | None = None
                     ) -> tuple[set[str], subprocess.CompletedProcess]:
    """Modules a fresh `python -X importtime ...` loaded, and the finished process."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                          text=True, env=full_env, timeout=60)
    modules = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
    return modules, proc


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules
                  if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_the_check_sees_heavy_imports():
    """The parser works: importing requests is noticed."""
    modules, proc = imported_modules(["-c", "import requests"])
    assert proc.returncode == 0
    assert "requests" in heavy_in(modules)


def test_importing_the_app_is_light():
    modules, proc = imported_modules(["-c", "import mailtrap_cli.app"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "mailtrap_cli.app" in modules
    assert heavy_in(modules) == []


def test_version_is_light():
    modules, proc = imported_modules(["-m", "mailtrap_cli", "--version"])
    assert proc.returncode == 0
    assert proc.stdout.startswith("mailtrap-cli ")
    assert heavy_in(modules) == []
    assert not any(m.startswith("mailtrap_cli.commands") for m in modules)


def test_root_help_imports_no_group():
    modules, proc = imported_modules(["-m", "mailtrap_cli", "--help"])
    assert proc.returncode == 0
    assert "sandbox" in proc.stdout
    assert heavy_in(modules) == []
    assert not any(m.startswith("mailtrap_cli.commands") for m in modules)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_group_help_is_light(group):
    modules, proc = imported_modules(["-m", "mailtrap_cli", group, "--help"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("Usage: mailtrap " + group)
    assert heavy_in(modules) == []
    # Only this group's modules, not every group's.
    others = {GROUPS[g][0] for g in GROUPS if g != group} - {GROUPS[group][0]}
    assert not (others & modules)


@pytest.mark.parametrize("args", [
    ("sandbox", "messages", "list", "--help"),
    ("send", "email", "--help"),
    ("api", "/api/accounts", "--bogus"),
    ("nope",),
], ids=["leaf-help", "send-help", "bad-flag", "bad-group"])
def test_leaf_help_and_usage_errors_are_light(args):
    modules, proc = imported_modules(["-m", "mailtrap_cli", *args])
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    assert heavy_in(modules) == []


@pytest.mark.parametrize(("words", "cword", "expected"), [
    ("mailtrap sa", 1, {"sandbox"}),
    ("mailtrap sandbox m", 2, {"messages"}),
    ("mailtrap sandbox ", 2, {"projects", "sandboxes", "messages", "attachments"}),
    ("mailtrap sandbox messages ", 3, {"list", "get", "delete"}),
    ("mailtrap api -o j", 3, {"json", "jsonl"}),
], ids=["root", "group", "group-all", "subgroup", "option-value"])
def test_tab_completion_answers_and_is_light(words, cword, expected):
    env = {"_MAILTRAP_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    modules, proc = imported_modules(["-m", "mailtrap_cli"], env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    answers = set(proc.stdout.split())
    assert expected <= answers, proc.stdout
    assert heavy_in(modules) == []


def test_tab_completion_of_a_group_builds_only_what_it_needs():
    """`sandbox m<TAB>` reads the sub-groups' names without building their commands."""
    env = {"_MAILTRAP_COMPLETE": "complete_bash", "COMP_WORDS": "mailtrap sandbox m",
           "COMP_CWORD": "2"}
    code = ("import sys, typer.main as tm\n"
            "built = []\n"
            "orig = tm.get_command_from_info\n"
            "def spy(*args, **kw):\n"
            "    built.append(1)\n"
            "    return orig(*args, **kw)\n"
            "tm.get_command_from_info = spy\n"
            "from mailtrap_cli.app import main\n"
            "try:\n"
            "    main([])\n"
            "finally:\n"
            "    print('BUILT', len(built), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)
    assert proc.stdout.split() == ["messages"]
    built = int(proc.stderr.rsplit("BUILT", 1)[1].split()[0])
    assert built <= 3, proc.stderr  # the sandbox group's own commands, not all ~30
