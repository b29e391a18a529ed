"""The built-in server's /api/email_templates against templates.openapi.yml, and
template sends rendered with the shared Handlebars subset."""

from __future__ import annotations

import pytest

BASE = {"name": "T", "subject": "S {{a}}", "category": "c"}


def create(server, **fields):
    response = server.call("POST", "/api/email_templates",
                           json={"email_template": {**BASE, **fields}})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"name": "x" * 256}, "name", "is too long (maximum is 255 characters)"),
    ({"subject": "  "}, "subject", "can't be blank"),
    ({"category": 5}, "category", "must be a string"),
])
def test_create_validation(server, fields, field, message):
    response = server.call("POST", "/api/email_templates",
                           json={"email_template": {**BASE, **fields}})
    assert response.status_code == 422
    assert response.json() == {"errors": {field: [message]}}


def test_missing_wrapper_and_unknown_ids(server):
    assert server.call("POST", "/api/email_templates", json={"name": "x"}).status_code == 422
    for method in ("GET", "PATCH", "DELETE"):
        response = server.call(method, "/api/email_templates/99",
                               json={"email_template": BASE} if method == "PATCH" else None)
        assert (response.status_code, response.json()) == (404, {"error": "Not Found"})


def test_update_keeps_what_it_is_not_given(server):
    template = create(server, body_html="<p>x</p>", body_text="x")
    response = server.call("PATCH", f"/api/email_templates/{template['id']}",
                           json={"email_template": {**BASE, "subject": "New"}})
    assert response.status_code == 200
    assert response.json()["body_html"] == "<p>x</p>"
    assert response.json()["updated_at"] >= template["updated_at"]


def test_template_sends_render_blocks_and_escape_html(server):
    template = create(server, body_text="{{#each items}}{{@index}}={{this}} {{/each}}"
                                        "{{#unless paid}}unpaid{{/unless}}",
                      body_html="{{#if vip}}<b>{{name}}</b>{{else}}{{{raw}}}{{/if}}")
    body = {"from": {"email": "a@example.com"}, "to": [{"email": "b@example.com"}],
            "template_uuid": template["uuid"],
            "template_variables": {"items": ["x", "y"], "vip": True, "name": "<Ann>",
                                   "a": "1"}}
    assert server.call("POST", "/api/send", json=body).status_code == 200
    [row] = server.call("GET", "/_local/deliveries").json()
    assert row["payload"]["text"] == "0=x 1=y unpaid"
    assert row["payload"]["html"] == "<b>&lt;Ann&gt;</b>"
    assert row["payload"]["subject"] == "S 1"


def test_a_template_that_does_not_parse_is_refused_at_send(server):
    template = create(server, body_html="<p>{{#each items}}</p>")
    body = {"from": {"email": "a@example.com"}, "to": [{"email": "b@example.com"}],
            "template_uuid": template["uuid"]}
    response = server.call("POST", "/api/send", json=body)
    assert response.status_code == 400
    assert "is never closed" in response.json()["errors"][0]
    assert server.call("GET", "/_local/deliveries").json() == []
