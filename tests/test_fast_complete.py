"""TAB completion of subcommand names without typer (fast_complete.py): byte for
byte typer's answer for every group, shell and prefix; typer still answers
everything else; the tree it reads is in sync with the code."""

from __future__ import annotations

import json
import os
import random
import shlex
import subprocess
import sys

import pytest
from typer._click.shell_completion import split_arg_string

from mailtrap_cli.startup import fast_complete
from mailtrap_cli.startup.completion_tree import TREE_PATH, tree_text
from mailtrap_cli.startup.fast_complete import answer, split_words

TREE = json.loads(TREE_PATH.read_text(encoding="utf-8"))
GROUPS = TREE["groups"]
LEAVES = sorted(TREE["options"])
SHELLS = ("bash", "zsh", "fish get-args", "fish is-args")
TYPER_PATH = "from mailtrap_cli.app import main; main()"


def request(shell: str, words: list[str], incomplete: str) -> dict[str, str]:
    """The environment a completion script sets for `mailtrap <words> <incomplete><TAB>`."""
    line = " ".join(["mailtrap", *words, incomplete])
    if shell == "bash":  # the script joins COMP_WORDS with IFS=$'\n'
        return {"_MAILTRAP_COMPLETE": "complete_bash",
                "COMP_WORDS": "\n".join(["mailtrap", *words, incomplete]),
                "COMP_CWORD": str(len(words) + 1)}
    env = {"_MAILTRAP_COMPLETE": "complete_" + shell.split()[0], "_TYPER_COMPLETE_ARGS": line}
    if shell.startswith("fish"):
        env["_TYPER_COMPLETE_FISH_ACTION"] = shell.split()[1]
    return env


def incompletes(path: str) -> list[str]:
    names = [e["name"] for e in GROUPS[path]]
    firsts = sorted({n[0] for n in names})
    return ["", *firsts, *(n[:3] for n in names), names[0], "x9"]


@pytest.fixture
def wide(monkeypatch):
    """Fixed widths: rich renders at COLUMNS, whatever terminal runs the tests."""
    monkeypatch.setattr(fast_complete, "_terminal_widths", lambda: [])
    return {"COLUMNS": "200"}


def test_committed_tree_matches_the_code():
    assert TREE_PATH.read_text(encoding="utf-8") == tree_text(), (
        "mailtrap_cli/startup/completion_tree.json is stale: run python scripts/gen_completions.py")


def test_tree_covers_the_groups():
    assert {"", "sandbox", "sandbox messages", "config", "auth", "send"} <= set(GROUPS)
    assert [e["name"] for e in GROUPS[""]][:3] == ["account", "api", "auth"]


@pytest.mark.parametrize("path", sorted(GROUPS))
@pytest.mark.parametrize("shell", SHELLS)
def test_same_answer_as_typer(cli_raw, wide, path, shell):
    words = path.split()
    for incomplete in incompletes(path):
        env = {**request(shell, words, incomplete), **wide}
        fast = answer(env)
        assert fast is not None, (shell, path, incomplete)
        typer = cli_raw(env=env)  # app.main: typer's own completion
        case = (shell, path, incomplete)
        assert (fast[0].encode(), fast[1]) == (typer.stdout_bytes, typer.code), case


def option_incompletes(path: str) -> list[str]:
    names = [TREE["option_items"][i]["name"] for i in TREE["options"][path]]
    return ["-", "--", *sorted({n[:3] for n in names}), names[0], "--zz"]


def test_tree_has_the_option_names_of_leaves():
    assert {"sandbox messages list", "send email", "api", "doctor"} <= set(LEAVES)
    names = [TREE["option_items"][i]["name"] for i in TREE["options"]["sandbox messages list"]]
    assert {"--limit", "-L", "--all", "--sandbox", "--output", "--debug"} <= set(names)


@pytest.mark.parametrize("path", LEAVES)
@pytest.mark.parametrize("shell", SHELLS)
def test_same_option_names_as_typer(cli_raw, wide, path, shell):
    """`mailtrap sandbox messages list --l<TAB>`: the leaf's options, as typer lists them."""
    words = path.split()
    for incomplete in option_incompletes(path):
        env = {**request(shell, words, incomplete), **wide}
        fast = answer(env)
        typer = cli_raw(env=env)
        case = (shell, path, incomplete)
        if fast is None:  # only when rich would wrap a help text at this width
            assert shell != "bash", case
            continue
        assert (fast[0].encode(), fast[1]) == (typer.stdout_bytes, typer.code), case


@pytest.mark.parametrize("line", [
    "mailtrap sandbox messages list --all --l",     # an option already used
    "mailtrap sandbox messages get 42 --s",         # after an argument
    "mailtrap sandbox messages list --limit=",      # a value
    "mailtrap sandbox messages --l",                # a group's options
])
def test_option_names_in_other_places_are_left_to_typer(wide, line):
    env = {**request("zsh", [], ""), "_TYPER_COMPLETE_ARGS": line, **wide}
    assert answer(env) is None


def run(code: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *code], capture_output=True,
                          env={**os.environ, **env}, timeout=60)


@pytest.mark.parametrize("shell", SHELLS)
def test_entry_point_answers_without_typer(shell):
    env = request(shell, ["sandbox"], "m")
    fast = run(["-X", "importtime", "-m", "mailtrap_cli"], env)
    typer = run(["-c", TYPER_PATH], env)
    assert (fast.stdout, fast.returncode) == (typer.stdout, typer.returncode)
    assert fast.returncode == 0
    modules = {line.rsplit("|", 1)[1].strip() for line in fast.stderr.decode().splitlines()
               if line.startswith("import time:")}
    assert "mailtrap_cli.startup.fast_complete" in modules
    assert not [m for m in modules if m.split(".")[0] in ("typer", "click", "rich")]


@pytest.mark.parametrize("words, incomplete, expected", [
    (["-o"], "", "auto\ntable\njson\njsonl\ntsv\n"),
    (["sandbox", "-o"], "j", "json\njsonl\n"),
    ([], "--pro", "--profile\n"),
    (["-p"], "", "local\nstaging\nwork\n"),
])
def test_options_and_their_values_are_left_to_typer(isolated, words, incomplete, expected):
    cfg = isolated / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("[profiles.work]\n[profiles.staging]\n")
    env = {**request("bash", words, incomplete),
           "MAILTRAP_CONFIG_DIR": str(isolated / "config")}
    assert answer(env) is None
    proc = run(["-m", "mailtrap_cli"], env)
    assert (proc.returncode, proc.stdout.decode(), proc.stderr) == (0, expected, b"")


@pytest.mark.parametrize("line", [
    "mailtrap -o ",                     # an option value
    "mailtrap -",                       # option names
    "mailtrap sandbox --o",
    "mailtrap sandbox -o json m",       # an option before the subcommand
    "mailtrap config use ",             # an argument (profile names)
    "mailtrap config get sa",
    "mailtrap sandbox messages list ",  # a leaf command
    "mailtrap api ",
    "mailtrap nosuch ",                 # an unknown word
    "mailtrap 'sandbox' m",             # quotes: left to shlex
    "mailtrap sand\\box m",
    "mailtrap sandbox =",
    "mailtrap sandbox a=b",
    "mailtrap sandbox _x",
])
@pytest.mark.parametrize("shell", ("zsh", "fish get-args"))
def test_everything_else_is_left_to_typer(wide, line, shell):
    env = {**request(shell, [], ""), "_TYPER_COMPLETE_ARGS": line, **wide}
    assert answer(env) is None


@pytest.mark.parametrize("env", [
    {"_MAILTRAP_COMPLETE": "source_bash"},
    {"_MAILTRAP_COMPLETE": "complete_powershell", "_TYPER_COMPLETE_ARGS": "mailtrap s"},
    {"_MAILTRAP_COMPLETE": "", "COMP_WORDS": "mailtrap s", "COMP_CWORD": "1"},
    {"_MAILTRAP_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "mailtrap s"},
    {"_MAILTRAP_COMPLETE": "complete_bash", "COMP_WORDS": "mailtrap s", "COMP_CWORD": "x"},
    {"_MAILTRAP_COMPLETE": "complete_bash", "COMP_WORDS": "mailtrap s", "COMP_CWORD": "-1"},
    {"_MAILTRAP_COMPLETE": "complete_bash", "COMP_CWORD": "1"},
    {"_MAILTRAP_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "mailtrap s",
     "TERMINAL_WIDTH": "200"},
    {"_MAILTRAP_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "mailtrap s",
     "COLUMNS": "40"},                  # rich would wrap sandbox's help
])
def test_odd_requests_are_left_to_typer(wide, env):
    assert answer(env) is None


@pytest.mark.parametrize("columns", ["20", "40", "64", "80", "0"])
def test_narrow_terminal_same_answer(wide, cli_raw, columns):
    """Narrow: typer's rich wraps help; the fast path steps aside rather than differ."""
    env = {**request("zsh", [], ""), "COLUMNS": columns}
    typer = cli_raw(env=env)
    fast = answer(env)
    assert fast is None or (fast[0].encode(), fast[1]) == (typer.stdout_bytes, typer.code)
    assert (fast is not None) == (columns in ("64", "80"))  # sandbox's help is 62 wide


def test_missing_tree_is_left_to_typer(wide, monkeypatch, tmp_path):
    monkeypatch.setattr(fast_complete, "TREE_FILE", str(tmp_path / "none.json"))
    assert answer(request("bash", ["sandbox"], "m")) is None
    (tmp_path / "none.json").write_text("{not json")
    assert answer(request("bash", ["sandbox"], "m")) is None


def test_split_words_agrees_with_typer():
    rng = random.Random(7)
    alphabet = "ab- =\t\n\r'\"\\\x0b\xa0é#$:"
    for _ in range(3000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        ours = split_words(line)
        if ours is not None:
            assert ours == split_arg_string(line), repr(line)
    assert split_words("mailtrap sandbox\nm ") == ["mailtrap", "sandbox", "m"]
    assert split_words(shlex.quote("a b")) is None
