"""`mailtrap api` arguments: what is a path, what is a method, and what is neither."""

from __future__ import annotations

ACCOUNTS = "/api/accounts"


def test_no_path_is_a_usage_error(cli, server):
    result = cli("api")
    result.assert_clean_error(2)
    assert "PATH" in result.stderr
    assert server.requests() == []


def test_a_word_after_the_path_is_named_as_such(cli, server):
    result = cli("api", ACCOUNTS, "extra")
    result.assert_clean_error(2)
    assert "extra argument 'extra'" in result.stderr
    assert "unknown method" not in result.stderr
    assert "-f" in result.stderr  # the hint: fields go with -f
    assert server.requests(path=ACCOUNTS) == []


def test_method_then_path_still_works(cli):
    result = cli("api", "get", ACCOUNTS, "-o", "json")
    assert result.code == 0, result
    assert result.json()[0]["id"] == 1


def test_paginate_uses_the_one_pagination_engine(cli, monkeypatch):
    from mailtrap_cli.api import pagination

    schemes = []
    real = pagination.paginate

    def spy(*args, **kwargs):
        schemes.append(kwargs.get("scheme"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pagination, "paginate", spy)
    result = cli("api", "/api/sandboxes/1/messages", "--paginate", "-o", "json")
    assert result.code == 0, result
    assert schemes == ["auto"]
