"""The three layers keep one direction: api/ and the pure modules import neither
typer nor rich; commands/ never imports requests (they talk to the API through api/)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "mailtrap_cli"
PURE = sorted([*(PKG / "api").glob("*.py"), *(PKG / "batch").glob("*.py"),
               PKG / "message.py", PKG / "waiting.py", PKG / "rawmail.py",
               PKG / "filenames.py", PKG / "config.py", PKG / "handlebars.py",
               PKG / "webhook_events.py", PKG / "template_files.py",
               PKG / "webhook_listener.py"])


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PKG.parent).with_suffix("").parts)


@pytest.mark.parametrize("path", PURE, ids=lambda p: p.name)
def test_pure_modules_load_no_ui_library(path):
    code = (f"import sys, {_module(path)}\n"
            "ui = ('typer', 'rich', 'click')\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ui)\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"{path.name} loads {out}"


@pytest.mark.parametrize("path", sorted((PKG / "commands").glob("*.py")), ids=lambda p: p.name)
def test_commands_never_import_requests(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        assert not any(n.split(".")[0] == "requests" for n in names), \
            f"{path.name}:{node.lineno} imports requests: talk to the API through api/"
