"""The run's streams, decided once: stdin/stdout/stderr, whether each is a terminal,
whether a person can be asked, reading a user's file or `-`, and the --debug and
retry lines. Like httpie's Environment or gh's IOStreams: tests build one with
buffers (`IO.test()`) instead of patching `sys`.

No typer and no rich here: a prompt is a line on stderr and a line from stdin,
so Ctrl-C at a question is an interrupt (exit 130), not a refusal.
"""

from __future__ import annotations

import io as _stdio
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO as Stream
from typing import Any

FORCE_TTY_ENV = "MAILTRAP_FORCE_TTY"   # "1": every stream counts as a terminal (tests)
STDIN = "-"


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@dataclass
class IO:
    """Streams plus what is known about them. `None` for a *_tty field means ask the stream."""

    stdin: Stream[str] = field(default_factory=lambda: sys.stdin)
    stdout: Stream[str] = field(default_factory=lambda: sys.stdout)
    stderr: Stream[str] = field(default_factory=lambda: sys.stderr)
    stdin_is_tty: bool | None = None
    stdout_is_tty: bool | None = None
    stderr_is_tty: bool | None = None
    quiet: bool = False
    debug: bool = False
    no_color: bool = False
    stdin_reader: str | None = field(default=None, repr=False)  # who read stdin already

    @classmethod
    def test(cls, stdin: bytes | str = b"", *, tty: bool = False, **kw: Any) -> IO:
        """Buffers for tests: `io.stdout.getvalue()` is what was printed."""
        data = stdin.encode() if isinstance(stdin, str) else stdin
        return cls(stdin=_stdio.TextIOWrapper(_stdio.BytesIO(data), encoding="utf-8"),
                   stdout=_stdio.StringIO(), stderr=_stdio.StringIO(), stdin_is_tty=tty,
                   stdout_is_tty=tty, stderr_is_tty=tty, **kw)

    # -- terminals ---------------------------------------------------------
    def _tty(self, given: bool | None, stream: Any) -> bool:
        if given is not None:
            return given
        if os.environ.get(FORCE_TTY_ENV) == "1":
            return True
        return _isatty(stream)

    @property
    def stdin_tty(self) -> bool:
        return self._tty(self.stdin_is_tty, self.stdin)

    @property
    def stdout_tty(self) -> bool:
        return self._tty(self.stdout_is_tty, self.stdout)

    @property
    def stderr_tty(self) -> bool:
        return self._tty(self.stderr_is_tty, self.stderr)

    @property
    def can_prompt(self) -> bool:
        """A person is there to answer: stdin and stderr are terminals."""
        return self.stdin_tty and self.stderr_tty

    def width(self, default: int = 80) -> int:
        """Columns of the terminal stdout is on (COLUMNS wins), else `default`."""
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        try:
            return os.get_terminal_size(self.stdout.fileno()).columns or default
        except (AttributeError, ValueError, OSError, _stdio.UnsupportedOperation):
            return default

    # -- asking --------------------------------------------------------------
    def confirm(self, question: str) -> bool:
        """y/N on stderr, the answer from stdin; an empty answer or end of input is no.
        Ctrl-C is not caught: it interrupts the run (exit 130)."""
        while True:
            from mailtrap_cli.safetext import visible

            self.stderr.write(f"{visible(question)} [y/N]: ")
            self.stderr.flush()
            line = self.stdin.readline()
            if not line:
                self.stderr.write("\n")
                return False
            answer = line.strip().lower()
            if answer in ("y", "yes"):
                return True
            if answer in ("", "n", "no"):
                return False
            self.stderr.write("please answer y or n\n")

    def secret(self, prompt: str) -> str:
        """A hidden answer from the terminal (the token at `auth login`)."""
        import getpass

        return getpass.getpass(f"{prompt}: ", stream=self.stderr)

    # -- user files and `-` --------------------------------------------------
    def claim_stdin(self, flag: str) -> None:
        """Stdin can be read once a run: a second flag asking for `-` is a usage error."""
        if self.stdin_reader is not None and self.stdin_reader != flag:
            from mailtrap_cli.api.errors import UsageError

            raise UsageError(f"{flag} -: stdin is already read by {self.stdin_reader}",
                             hint="only one option can read stdin; give the others as files")
        self.stdin_reader = flag

    def read_bytes(self, source: str, flag: str) -> bytes:
        """A file's bytes, or stdin's for `-`. Unreadable: a usage error naming the flag."""
        if source == STDIN:
            self.claim_stdin(flag)
            buffer = getattr(self.stdin, "buffer", None)
            return buffer.read() if buffer is not None else self.stdin.read().encode("utf-8")
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            from mailtrap_cli.api.errors import UsageError

            named = f"{flag} {source}" if flag.startswith("-") else source  # an option, or FILE
            raise UsageError(f"cannot read {named}: {exc.strerror or exc}") from None

    def read_text(self, source: str, flag: str) -> str:
        """UTF-8 text of a file or `-`; a leading BOM is not text."""
        data = self.read_bytes(source, flag)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            from mailtrap_cli.api.errors import UsageError

            what = "-: stdin is not UTF-8 text" if source == STDIN else f"{source}: not UTF-8 text"
            raise UsageError(f"{flag} {what}") from None

    # -- lines for --debug and retries ------------------------------------
    def debug_line(self, text: str) -> None:
        """--debug: the HTTP exchange (already redacted by the client)."""
        if self.debug:
            from mailtrap_cli.safetext import visible

            print(visible(text, lines=True), file=self.stderr, flush=True)

    def retry_line(self, text: str) -> None:
        """`retry: HTTP 503; retrying in 1.0s`; silent with -q, and with --debug (the
        exchange shows it)."""
        if not self.quiet and not self.debug:
            from mailtrap_cli.safetext import visible

            print(f"retry: {visible(text)}", file=self.stderr, flush=True)
