"""Write completions/ from the code: `python scripts/gen_completions.py`.

`--check` exits 1 (and names the files) when the committed copies differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mailtrap_cli.commands.completion import FILES, script

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for shell, name in FILES.items():
        path = ROOT / "completions" / name
        text = script(shell)
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
