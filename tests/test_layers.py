"""The layers keep one direction (DESIGN.md, CONTRIBUTING.md):

    api/  <-  commands/<group>/  ->  output.py (views)        local/: the built-in server

- api/ imports only api/ (no typer, rich, config, local, output);
- api/ and the other pure modules load no UI library at all;
- commands/ never imports requests, never reaches a private attribute
  (`client._x`, `state._settings`), and only `commands/local/` imports local/;
- every use of typer's internals is in startup/typer_compat.py;
- host names, stream names and output modes are spelled out in one place each;
- no command branches on the output mode (views do that, in output.py).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "mailtrap_cli"
PURE = sorted([*(PKG / "api").glob("*.py"), *(PKG / "batch").glob("*.py"),
               *(PKG / "contacts_import").glob("*.py"),
               PKG / "message.py", PKG / "waiting.py", PKG / "rawmail.py",
               PKG / "filenames.py", PKG / "config.py", PKG / "io.py", PKG / "compose.py",
               PKG / "smtp_probe.py", PKG / "profiles.py", PKG / "handlebars.py",
               PKG / "webhook_events.py", PKG / "template_files.py",
               PKG / "webhook_listener.py"])
ALL = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)
COMMANDS = sorted((PKG / "commands").rglob("*.py"))
API = sorted((PKG / "api").glob("*.py"))
TYPER_COMPAT = PKG / "startup" / "typer_compat.py"


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PKG.parent).with_suffix("").parts)


def _rel(path: Path) -> str:
    return str(path.relative_to(PKG.parent))


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, imported names) of every import, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module(path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((node.lineno, module, [alias.name for alias in node.names]))
    return found


@pytest.mark.parametrize("path", PURE, ids=_rel)
def test_pure_modules_load_no_ui_library(path):
    code = (f"import sys, {_module(path)}\n"
            "ui = ('typer', 'rich', 'click')\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ui)\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"{path.name} loads {out}"


@pytest.mark.parametrize("path", API, ids=_rel)
def test_api_imports_only_api(path):
    for line, module, names in _imports(path):
        if not module.startswith("mailtrap_cli"):
            continue
        # The package root holds only __version__ (for the User-Agent).
        ok = module.startswith("mailtrap_cli.api") or (module == "mailtrap_cli"
                                                       and names == ["__version__"])
        assert ok, f"{_rel(path)}:{line} imports {module}: api/ imports only api/"


@pytest.mark.parametrize("path", COMMANDS, ids=_rel)
def test_commands_never_import_requests(path):
    for line, module, _ in _imports(path):
        assert module.split(".")[0] != "requests", \
            f"{_rel(path)}:{line} imports requests: talk to the API through api/"


@pytest.mark.parametrize("path", COMMANDS, ids=_rel)
def test_only_the_local_command_imports_the_built_in_server(path):
    if path.is_relative_to(PKG / "commands" / "local"):
        return
    for line, module, names in _imports(path):
        targets = [module] + [f"{module}.{n}" for n in names]
        assert not any(t.startswith("mailtrap_cli.local") for t in targets), \
            f"{_rel(path)}:{line} imports {module}: only `mailtrap local` uses local/"


@pytest.mark.parametrize("path", COMMANDS, ids=_rel)
def test_commands_reach_no_private_attribute(path):
    """`state._settings`, `client._error`: use (or add) a public method instead."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            raise AssertionError(f"{_rel(path)}:{node.lineno} reaches .{node.attr}")
    for line, module, names in _imports(path):
        private = [n for n in names if n.startswith("_")]
        assert not private, f"{_rel(path)}:{line} imports {private} from {module}"


@pytest.mark.parametrize("path", [p for p in ALL if p != TYPER_COMPAT], ids=_rel)
def test_typer_internals_only_in_typer_compat(path):
    for line, module, names in _imports(path):
        internal = (module.startswith(("typer._", "typer.main", "typer.rich_utils", "click"))
                    or (module == "typer" and any(n.startswith("_") or n in ("main", "rich_utils")
                                                  for n in names)))
        assert not internal, (f"{_rel(path)}:{line} imports {module}: go through "
                              "mailtrap_cli/startup/typer_compat.py")
    text = path.read_text(encoding="utf-8")
    for needle in ("typer.main.", "typer._click", "_completion_classes."):
        assert needle not in _code_only(text), f"{_rel(path)} uses {needle}"


def _code_only(text: str) -> str:
    """The source without docstrings and comments (they may name typer's modules)."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            first.value.value = ""
    return ast.unparse(tree)


# name -> (the module that defines it, the values)
DEFINED_ONCE = {
    "host names": ("api/hosts.py", {"api", "send", "bulk", "sandbox"}),
    "stream names": ("api/sending.py", {"transactional", "bulk"}),
    "output modes": ("output.py", {"auto", "table", "json", "jsonl", "tsv"}),
}


@pytest.mark.parametrize("what", sorted(DEFINED_ONCE))
def test_names_are_spelled_out_once(what):
    home, values = DEFINED_ONCE[what]
    places = []
    for path in ALL:
        if "local" in path.relative_to(PKG).parts[:1]:
            continue  # the server has its own idea of what it accepts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            elts = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
            if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) \
                    and len(elts) == len(values) \
                    and all(isinstance(e, ast.Constant) for e in elts) \
                    and {e.value for e in elts} == values:
                places.append(str(path.relative_to(PKG)))
    assert places == [home], f"{what} spelled out in {places}; import them from {home}"


@pytest.mark.parametrize("path", COMMANDS, ids=_rel)
def test_no_command_branches_on_the_output_mode(path):
    """A command hands data and a View to output.py, which picks table/JSON/TSV."""
    text = _code_only(path.read_text(encoding="utf-8"))
    for needle in (".mode", ".requested"):
        assert needle not in text, f"{_rel(path)} reads out{needle}: declare a View instead"
