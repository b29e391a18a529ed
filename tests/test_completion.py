"""`mailtrap completion`: committed scripts in sync, and TAB answering in all three
protocols, in process, through the real entry point and through real shells."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailtrap_cli.commands.completion import FILES, SHELLS, script
from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "python scripts/gen_completions.py"


# -- the scripts -------------------------------------------------------------
@pytest.mark.parametrize("shell", SHELLS)
def test_committed_script_matches_the_code(shell):
    committed = (ROOT / "completions" / FILES[shell]).read_text(encoding="utf-8")
    assert committed == script(shell), f"completions/{FILES[shell]} is stale: run {REGENERATE}"


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_command_prints_the_script(cli_raw, shell):
    result = cli_raw("completion", shell)
    assert result.code == 0
    assert result.stdout == script(shell)
    assert result.stderr == ""
    assert "_MAILTRAP_COMPLETE=complete_" + shell in result.stdout


def test_generator_check_mode(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_completions.py"),
                           "--check"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_unknown_shell_is_a_usage_error(cli_raw):
    result = cli_raw("completion", "powershell")
    assert result.code == 2
    assert result.stderr.startswith("error: ")


# -- the protocol, in process ---------------------------------------------------
def bash(cli_raw, line: str) -> list[str]:
    words = line.split(" ")
    env = {"_MAILTRAP_COMPLETE": "complete_bash", "COMP_WORDS": line,
           "COMP_CWORD": str(len(words) - 1)}
    result = cli_raw(env=env)
    assert result.code == 0, result
    return result.stdout.split()


def zsh(cli_raw, line: str) -> str:
    result = cli_raw(env={"_MAILTRAP_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line})
    assert result.code == 0, result
    return result.stdout


def fish(cli_raw, line: str) -> list[str]:
    env = {"_MAILTRAP_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": line,
           "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    result = cli_raw(env=env)
    assert result.code == 0, result
    return [row.split("\t")[0] for row in result.stdout.splitlines()]


def test_bash_protocol(cli_raw):
    assert bash(cli_raw, "mailtrap sa") == ["sandbox"]
    assert bash(cli_raw, "mailtrap com") == ["completion"]
    assert bash(cli_raw, "mailtrap conf") == ["config"]
    assert bash(cli_raw, "mailtrap sandbox mes") == ["messages"]
    assert bash(cli_raw, "mailtrap -o j") == ["json", "jsonl"]
    assert bash(cli_raw, "mailtrap config list -o ") == ["auto", "table", "json", "jsonl", "tsv"]
    assert bash(cli_raw, "mailtrap completion ") == ["bash", "zsh", "fish"]
    assert "--profile" in bash(cli_raw, "mailtrap --pro")


def test_zsh_protocol(cli_raw):
    answer = zsh(cli_raw, "mailtrap sandbox mes")
    assert answer.startswith("_arguments '*: :((")
    assert '"messages":"' in answer
    assert '"json"' in zsh(cli_raw, "mailtrap auth status -o ")
    assert '"doctor":"Check config, token, hosts and clock."' in zsh(cli_raw, "mailtrap ")


def test_fish_protocol(cli_raw):
    assert fish(cli_raw, "mailtrap sandbox mes") == ["messages"]
    assert fish(cli_raw, "mailtrap auth ") == ["login", "logout", "status", "token"]
    env = {"_MAILTRAP_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "mailtrap au",
           "_TYPER_COMPLETE_FISH_ACTION": "is-args"}
    assert cli_raw(env=env).code == 0  # "complete from us, not from files"


def test_profile_and_key_values_complete(cli_raw, isolated):
    cfg = isolated / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("[profiles.work]\n[profiles.staging]\n")
    assert bash(cli_raw, "mailtrap -p ") == ["local", "staging", "work"]
    assert bash(cli_raw, "mailtrap config use s") == ["staging"]
    assert bash(cli_raw, "mailtrap config get sa") == ["sandbox_id", "sandbox_url"]
    cfg.write_text("not toml [")
    assert bash(cli_raw, "mailtrap -p ") == ["local"]  # a broken file does not break TAB


def test_top_level_completion_imports_no_command_module():
    code = (
        "import os, sys, json\n"
        "os.environ.update(_MAILTRAP_COMPLETE='complete_bash', COMP_WORDS='mailtrap s',"
        " COMP_CWORD='1')\n"
        "from mailtrap_cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.stdout.split() == ["sandbox", "send", "stats", "suppressions"]
    modules = json.loads(proc.stderr.strip().splitlines()[-1])
    assert [m for m in modules if m.startswith("mailtrap_cli.commands.")] == []
    assert "requests" not in modules
    assert "rich" not in modules


# -- real shells ----------------------------------------------------------------
@pytest.fixture
def shell_env(tmp_path) -> dict[str, str]:
    """PATH with a `mailtrap` that runs this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "mailtrap"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mailtrap_cli "$@"\n')
    shim.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def run_shell(argv: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _need(shell: str) -> None:
    """Skip without the shell, except in CI (env CI), which installs it (.ci/run)."""
    if not shutil.which(shell):
        if in_ci():
            pytest.fail(f"{shell} is not installed; CI installs it (.ci/run)")
        pytest.skip(f"no {shell}")


def test_real_bash(shell_env):
    _need("bash")
    path = ROOT / "completions" / "mailtrap.bash"
    program = (f'source "{path}"\n'
               'COMP_WORDS=(mailtrap sandbox mes); COMP_CWORD=2\n'
               '_mailtrap_completion mailtrap; echo "1:${COMPREPLY[*]}"\n'
               'COMP_WORDS=(mailtrap config list -o ""); COMP_CWORD=4\n'
               '_mailtrap_completion mailtrap; echo "2:${COMPREPLY[*]}"\n'
               'complete -p mailtrap\n')
    out = run_shell(["bash", "--norc", "--noprofile", "-c", program], shell_env)
    assert "1:messages\n" in out
    assert "2:auto table json jsonl tsv\n" in out
    assert "complete -o default -F _mailtrap_completion mailtrap" in out


def test_real_zsh(shell_env):
    _need("zsh")
    folder = ROOT / "completions"
    # compsys needs a terminal; a stand-in _arguments shows what it would be given.
    program = ('_arguments() { print -rl -- "$@" }\n'
               'compdef() { print "compdef $*" }\n'
               f'source "{folder}/_mailtrap"\n'
               'words=(mailtrap sandbox mes); CURRENT=3; _mailtrap_completion\n'
               f'fpath=("{folder}" $fpath); autoload -U _mailtrap\n'
               'unfunction _mailtrap_completion\n'
               'words=(mailtrap -o j); CURRENT=3; _mailtrap\n')
    out = run_shell(["zsh", "-f", "-c", program], shell_env)
    lines = out.splitlines()
    assert lines[0] == "compdef _mailtrap_completion mailtrap"   # sourced: registers itself
    assert lines[1].startswith('*: :(("messages":"')
    assert lines[2] == '*: :(("json" "jsonl"))'                   # autoloaded: completes at once
    assert len(lines) == 3


def test_real_fish(shell_env):
    _need("fish")
    path = ROOT / "completions" / "mailtrap.fish"
    program = (f'source "{path}"\n'
               'complete -C "mailtrap sandbox mes"\n'
               'echo ---\n'
               'complete -C "mailtrap -o j"\n')
    out = run_shell(["fish", "--no-config", "-c", program], shell_env)
    first, second = out.split("---\n")
    assert first.startswith("messages\t")
    assert second.split() == ["json", "jsonl"]
