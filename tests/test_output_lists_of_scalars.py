"""A list of strings or numbers in TSV and table output."""

from __future__ import annotations

from typing import Any

from mailtrap_cli.output import Output


def _render(mode: str, data: Any) -> str:
    import io

    buf = io.StringIO()
    Output(mode, stdout=buf, stderr=io.StringIO()).emit(data)
    return buf.getvalue()


def test_tsv_list_of_scalars_shows_the_values():
    assert _render("tsv", ["a", "b\tc", 3]) == "value\na\nb\\tc\n3\n"


def test_table_list_of_scalars_shows_the_values():
    text = _render("table", ["alpha", "beta"])
    assert "alpha" in text and "beta" in text

