"""`mailtrap completion bash|zsh|fish`: print the shell's completion script.

The scripts are small and static: on TAB they run `mailtrap` with
_MAILTRAP_COMPLETE set (Typer's protocol: complete_bash, complete_zsh,
complete_fish) and the program answers from its live command tree, so they
need regenerating only when the protocol changes, not when commands do.
`completions/` holds copies (scripts/gen_completions.py writes them, and
mailtrap_cli/startup/completion_tree.json, which subcommand names are answered from
without typer: that one does change with the commands).
"""

from __future__ import annotations

import typer

from mailtrap_cli.context import get_state
from mailtrap_cli.options import Typer

PROG = "mailtrap"
COMPLETE_VAR = "_MAILTRAP_COMPLETE"
SHELLS = ("bash", "zsh", "fish")
FILES = {"bash": "mailtrap.bash", "zsh": "_mailtrap", "fish": "mailtrap.fish"}

# The protocol is Typer's (typer/_completion_classes.py); the scripts are
# Typer's templates with two fixes: bash gets a literal `$'\n'` (Typer's
# template renders a raw newline there), and zsh also works when autoloaded
# from $fpath as `_mailtrap` (the file is then the function body, so it must
# complete right away instead of only registering itself).
_BASH = r"""_mailtrap_completion() {
    local IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _MAILTRAP_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _mailtrap_completion mailtrap
"""

_ZSH = r"""#compdef mailtrap

_mailtrap_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _MAILTRAP_COMPLETE=complete_zsh mailtrap)
}

if [[ "${funcstack[1]}" == "_mailtrap" ]]; then
  _mailtrap_completion "$@"
else
  compdef _mailtrap_completion mailtrap
fi
"""

# fish asks twice: "is-args" (exit 0: complete from us, not files), "get-args".
_FISH_ASK = ("env _MAILTRAP_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION={} "
             "_TYPER_COMPLETE_ARGS=(commandline -cp) mailtrap")
_FISH = ("complete --command mailtrap --no-files \\\n"
         '    --arguments "(' + _FISH_ASK.format("get-args") + ')" \\\n'
         '    --condition "' + _FISH_ASK.format("is-args") + '"\n')
SCRIPTS = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}

app = Typer(help="Print a shell completion script.")


def script(shell: str) -> str:
    """The completion script for one shell, ending with a newline."""
    return SCRIPTS[shell]


def _print(ctx: typer.Context, shell: str) -> None:
    get_state(ctx).out.text(script(shell))


@app.command()
def bash(ctx: typer.Context) -> None:
    """Print the bash completion script (bash 4.4+).

    \b
    Examples:
      source <(mailtrap completion bash)              # this shell only
      mailtrap completion bash > ~/.local/share/bash-completion/completions/mailtrap
    """
    _print(ctx, "bash")


@app.command()
def zsh(ctx: typer.Context) -> None:
    """Print the zsh completion script.

    \b
    Examples:
      source <(mailtrap completion zsh)               # after compinit
      mailtrap completion zsh > ~/.zfunc/_mailtrap    # with fpath+=~/.zfunc before compinit
    """
    _print(ctx, "zsh")


@app.command()
def fish(ctx: typer.Context) -> None:
    """Print the fish completion script.

    \b
    Examples:
      mailtrap completion fish > ~/.config/fish/completions/mailtrap.fish
    """
    _print(ctx, "fish")
