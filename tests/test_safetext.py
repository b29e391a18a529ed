"""safetext.visible: control characters from the network shown, never executed."""

from __future__ import annotations

import pytest

from mailtrap_cli.safetext import visible


@pytest.mark.parametrize(("text", "shown"), [
    ("plain [text] é ✓", "plain [text] é ✓"),
    ("\x1b[2Jcleared", "\\e[2Jcleared"),
    ("\x1b]52;c;ZXZpbA==\x07", "\\e]52;c;ZXZpbA==\\x07"),
    ("ok\rfake", "ok\\rfake"),
    ("a\nb\tc", "a\\nb\\tc"),
    ("\u202egnp.exe", "\\u202egnp.exe"),
    ("csi\x9b2J", "csi\\x9b2J"),
    ("del\x7f nul\x00", "del\\x7f nul\\x00"),
    ("line\u2028sep", "line\\u2028sep"),
])
def test_visible(text, shown):
    assert visible(text) == shown


def test_visible_keeps_lines_when_asked():
    assert visible("a\nb\tc\x1b[0m", lines=True) == "a\nb\tc\\e[0m"
