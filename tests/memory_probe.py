"""Run the CLI in a fresh process with stdout going to a file, and report the peak of
Python memory it allocated (tracemalloc; RSS would mostly measure the allocator's
fragmentation): the `--all` tests compare a big run with a small one to show that
streaming keeps memory flat."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CODE = (
    "import sys, tracemalloc\n"
    "tracemalloc.start()\n"
    "from mailtrap_cli.app import main\n"
    "try:\n    main(sys.argv[1:])\n"
    "except SystemExit as exc:\n    code = exc.code\n"
    "else:\n    code = 0\n"
    "sys.stdout.flush()\n"
    "print(tracemalloc.get_traced_memory()[1] // 1024, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def peak_kib(args: list[str], server_url: str, out: Path,
             limits: str | None = None) -> tuple[int, int]:
    """(exit code, peak KiB of Python memory) of `mailtrap ARGS` against the server,
    its output written into `out`."""
    env = {**os.environ, "MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server_url}
    if limits:  # MAILTRAP_RATE_LIMITS: memory tests need not wait out the real limits
        env["MAILTRAP_RATE_LIMITS"] = limits
    with open(out, "wb") as handle:
        proc = subprocess.run([sys.executable, "-c", CODE, *args], stdout=handle,
                              stderr=subprocess.PIPE, env=env, timeout=300)
    return proc.returncode, int(proc.stderr.decode().strip().splitlines()[-1])
