"""The official Python SDK (`mailtrap`, test-only) against the built-in server's
webhooks: its CRUD calls (account-scoped paths) and its own `verify_signature`
on a delivery the server made after a send through the SDK."""

from __future__ import annotations

import json

import pytest

from tests.webhook_helpers import receiver

mailtrap = pytest.importorskip("mailtrap")


@pytest.fixture
def hostport(server, monkeypatch):
    """Point every SDK client at `server` over plain HTTP (as an app's tests would)."""
    import mailtrap.client
    import mailtrap.http

    value = server.url.split("://", 1)[1]
    monkeypatch.setattr(mailtrap.client, "GENERAL_HOST", value)
    monkeypatch.setattr(mailtrap.http.HttpClient, "_url",
                        lambda self, path: f"http://{self._host}/{path.lstrip('/')}")
    return value


def test_sdk_webhooks_crud_and_its_signature_check_of_a_real_delivery(server, hostport):
    from mailtrap.models.webhooks import CreateWebhookParams, UpdateWebhookParams
    from mailtrap.webhooks import verify_signature

    api = mailtrap.MailtrapClient(token="any-token", account_id="424242").webhooks_api.webhooks
    with receiver() as r:
        created = api.create(CreateWebhookParams(
            url=r.url, webhook_type="email_sending", sending_stream="transactional",
            event_types=["delivery", "bounce"]))
        assert len(created.signing_secret) == 32
        assert [w.id for w in api.get_list()] == [created.id]
        assert api.get_by_id(created.id).event_types == ["delivery", "bounce"]
        updated = api.update(created.id, UpdateWebhookParams(payload_format="jsonlines"))
        assert updated.payload_format == "jsonlines"

        sender = mailtrap.MailtrapClient(token="any-token", api_host=hostport)
        sent = sender.send(mailtrap.Mail(
            sender=mailtrap.Address(email="app@example.com"),
            to=[mailtrap.Address(email="bounce@example.com")], subject="Hi", text="x"))
        assert server.call("POST", "/_local/webhooks/flush").json() == {"pending": 0}
        [request] = r.requests
    assert verify_signature(request["body"], request["headers"]["Mailtrap-Signature"],
                            created.signing_secret)
    assert not verify_signature(request["body"] + b" ", request["headers"]["Mailtrap-Signature"],
                                created.signing_secret)
    event = json.loads(request["body"])
    assert (event["event"], event["message_id"]) == ("bounce", sent["message_ids"][0])
    api.delete(created.id)
    assert api.get_list() == []
