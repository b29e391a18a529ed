"""--timeout values, before the group or after the leaf; TLS failures exit 7 at once."""

from __future__ import annotations

import pytest

ACCOUNTS = "/api/accounts"


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e300"])
def test_timeout_must_be_a_positive_number(cli, server, value):
    result = cli("api", ACCOUNTS, f"--timeout={value}")
    result.assert_clean_error(2)
    assert "--timeout" in result.stderr
    assert server.requests(path=ACCOUNTS) == []


def test_timeout_before_the_group_is_checked_too(cli, server):
    result = cli("--timeout", "0", "api", ACCOUNTS)
    result.assert_clean_error(2)


@pytest.mark.parametrize("args", [("api", ACCOUNTS),
                                  ("api", "POST", "/api/send/1", "--host", "sandbox",
                                   "-f", "subject=x")])
def test_tls_failure_is_a_network_error_at_once(cli, server, args):
    """https:// to a plain-HTTP port: nothing was sent, and trying again cannot help."""
    port = server.running.port
    result = cli(*args, env={"MAILTRAP_BASE_URL": f"https://127.0.0.1:{port}"})
    result.assert_clean_error(7)
    assert "TLS" in result.stderr
    assert "retry:" not in result.stderr and "outcome" not in result.stderr

