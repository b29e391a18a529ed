"""Write completions/ and mailtrap_cli/startup/completion_tree.json from the code:
`python scripts/gen_completions.py`.

The tree is what TAB completion of subcommand names answers from without
importing typer (mailtrap_cli/fast_complete.py); regenerate after adding,
renaming or re-describing a command. `--check` exits 1 (and names the files)
when the committed copies differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mailtrap_cli.commands.completion import FILES, script
from mailtrap_cli.startup.completion_tree import TREE_PATH, tree_text

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    check = "--check" in argv
    wanted = {ROOT / "completions" / name: script(shell) for shell, name in FILES.items()}
    wanted[TREE_PATH] = tree_text()
    stale = []
    for path, text in wanted.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(str(path.relative_to(ROOT)))
        if not check:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if check else "written"
    for name in stale:
        print(f"{name}: {verb}", file=sys.stderr)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
