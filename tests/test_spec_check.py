"""The OpenAPI checker the `server` fixture runs must itself catch mismatches."""

from __future__ import annotations

import pytest

from tests import spec_check

pytestmark = pytest.mark.skipif(not spec_check.available(),
                                reason="../shared/mailtrap-openapi is not present")


def test_conforming_exchange_passes():
    body = b'[{"id": 1, "name": "Local account", "access_levels": [1000]}]'
    assert spec_check.check("GET", "/api/accounts", "transactional", {}, b"", 200, body,
                            "application/json") == []


def test_wrong_query_type_is_caught():
    problems = spec_check.check("GET", "/api/sandboxes/1/messages", "transactional",
                                {"page": ["x"]}, b"", 200, b"[]", "application/json")
    assert problems and "page" in problems[0]


def test_unknown_query_parameter_is_caught():
    problems = spec_check.check("GET", "/api/accounts", "transactional", {"foo": ["1"]}, b"",
                                200, b"[]", "application/json")
    assert problems and "foo" in problems[0]


def test_invalid_send_body_is_caught():
    problems = spec_check.check("POST", "/api/send", "transactional", {},
                                b'{"from": {"email": "a@example.com"}, "to": "x"}', 200,
                                b'{"success": true, "message_ids": ["m"]}', "application/json")
    assert problems and "request body" in problems[0]


def test_undescribed_path_is_caught_unless_sdk_only():
    assert spec_check.check("GET", "/api/nowhere", "transactional", {}, b"", 200, b"{}",
                            "application/json")
    assert spec_check.check("GET", "/api/tracking_opt_outs", "transactional", {}, b"", 200,
                            b"{}", "application/json") == []


def test_errors_are_not_checked():
    assert spec_check.check("GET", "/api/nowhere", "transactional", {}, b"", 404, b"{}",
                            "application/json") == []


def test_account_scoped_family_is_checked_as_the_current_path():
    """The SDKs' /api/accounts/{id}/inboxes/... is checked as /api/sandboxes/... ."""
    ok = spec_check.check("GET", "/api/accounts/7/inboxes/1/messages", "transactional",
                          {"page": ["1"]}, b"", 200, b"[]", "application/json")
    assert ok == []
    bad = spec_check.check("GET", "/api/accounts/7/inboxes/1/messages", "transactional",
                           {"page": ["x"]}, b"", 200, b"[]", "application/json")
    assert bad and "page" in bad[0] and "/api/accounts/7/inboxes" in bad[0]
    body = b'{"inbox": {"name": "CI"}}'
    created = spec_check.check("POST", "/api/accounts/7/projects/1/inboxes", "transactional",
                               {}, body, 200, b"{}", "application/json")
    assert not any("request body" in p for p in created)
    assert spec_check.check("GET", "/api/accounts/7/nowhere", "transactional", {}, b"", 200,
                            b"{}", "application/json")
