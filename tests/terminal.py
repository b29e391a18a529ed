"""Run the CLI with a real pseudo-terminal as its stdin, stdout and stderr, and
type an answer once the program shows it is ready for one."""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from collections.abc import Callable


def run_on_terminal(args: list[str], env: dict[str, str], answer: bytes,
                    ready: Callable[[bytes, int], bool], timeout: float = 30
                    ) -> tuple[int, bytes]:
    """`python -m mailtrap_cli ARGS` on a pty; types `answer` + Enter once
    `ready(everything written so far, the pty's fd)` holds. Returns (exit code,
    everything it wrote); fails when it never became ready or never ended."""
    import pty

    full_env = {**os.environ, **env}
    pid, fd = pty.fork()
    if pid == 0:  # child: the CLI with the pty as its terminal
        os.execve(sys.executable, [sys.executable, "-m", "mailtrap_cli", *args], full_env)
    seen, sent, status = b"", False, None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            readable, _, _ = select.select([fd], [], [], 0.05)
            if readable:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:   # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    break
                seen += chunk
            if not sent and ready(seen, fd):
                os.write(fd, answer + b"\r")
                sent = True
        while status is None and time.monotonic() < deadline:
            done, raw = os.waitpid(pid, os.WNOHANG)
            status = raw if done else time.sleep(0.05)
    finally:
        if status is None:   # never leave a child waiting on a terminal
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert status is not None, seen
    assert sent, f"never ready for an answer: {seen!r}"
    return os.waitstatus_to_exitcode(status), seen
