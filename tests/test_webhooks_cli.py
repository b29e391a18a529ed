"""`mailtrap webhooks ...` against the built-in server: CRUD, the signing secret,
verify, listen receiving the server's real deliveries, and test."""

from __future__ import annotations

import json
import os
import signal
import stat

import pytest

from mailtrap_cli.webhook_events import SIGNATURE_HEADER, encode, sample_event, sign
from tests.webhook_helpers import ListenProcess, receiver

SENDER = {"email": "app@example.com"}


def flush(server):
    assert server.call("POST", "/_local/webhooks/flush").json() == {"pending": 0}


def send(server, *recipients):
    body = {"from": SENDER, "to": [{"email": r} for r in recipients], "subject": "Hi",
            "text": "x"}
    response = server.call("POST", "/api/send", json=body)
    assert response.status_code == 200
    return response.json()["message_ids"]


def create_hook(server, url="http://127.0.0.1:9/", **extra):
    attrs = {"url": url, "webhook_type": "email_sending", "sending_stream": "transactional",
             "event_types": ["delivery", "bounce"], **extra}
    return server.call("POST", "/api/webhooks", json={"webhook": attrs}).json()["data"]


# -- CRUD ------------------------------------------------------------------------
def test_create_prints_the_secret_once_and_crud_works(cli):
    created = cli("webhooks", "create", "--url", "http://127.0.0.1:9/h",
                  "--events", "delivery,soft bounce,spam", "--format", "jsonlines")
    assert created.code == 0, created
    data = created.json()
    assert len(data["signing_secret"]) == 32
    assert data["event_types"] == ["delivery", "soft_bounce", "spam_complaint"]
    assert data["sending_stream"] == "transactional" and data["payload_format"] == "jsonlines"
    assert "shown only now" in created.stderr
    hook_id = str(data["id"])
    listed = cli("webhooks", "list").json()
    assert [w["id"] for w in listed] == [data["id"]] and "signing_secret" not in listed[0]
    assert "signing_secret" not in cli("webhooks", "get", hook_id).json()
    updated = cli("webhooks", "update", hook_id, "--inactive", "--events", "open,click")
    assert updated.code == 0, updated
    assert updated.json()["active"] is False
    assert updated.json()["event_types"] == ["open", "click"]
    assert cli("webhooks", "delete", hook_id).code == 3      # off a terminal: needs --yes
    assert cli("webhooks", "delete", hook_id, "--yes").code == 0
    cli("webhooks", "get", hook_id).assert_clean_error(5)


@pytest.mark.parametrize(("args", "message"), [
    (["--events", "delivered"], "unknown event type"),
    ([], "need --events"),
    (["--events", "delivery", "--type", "nope"], "--type"),
    (["--events", "delivery", "--format", "xml"], "--format"),
    (["--type", "inbound_receiving"], "--inbound-inbox"),
])
def test_create_refuses_bad_input_before_sending(cli, server, args, message):
    result = cli("webhooks", "create", "--url", "http://127.0.0.1:9/", *args)
    result.assert_clean_error(2)
    assert message in result.stderr
    assert server.requests(path="/api/webhooks", method="POST") == []


def test_server_validation_is_reported(cli):
    result = cli("webhooks", "create", "--url", "ftp://x", "--events", "delivery")
    assert result.code != 0 and "url" in result.stderr


def test_save_secret_keeps_it_in_the_profile_0600_and_out_of_output(cli, isolated):
    created = cli("webhooks", "create", "--url", "http://127.0.0.1:9/", "--events", "all",
                  "--save-secret", "--debug")
    assert created.code == 0, created
    assert created.json()["signing_secret"] == "***"
    path = isolated / "config" / "config.toml"
    text = path.read_text()
    secret = text.split('webhook_secret = "')[1].split('"')[0]
    assert len(secret) == 32
    assert secret not in created.stdout and secret not in created.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    listed = cli("config", "list", "-o", "json")
    assert secret not in listed.stdout + listed.stderr
    body = b'{"events":[]}'
    good = cli("webhooks", "verify", "--signature", sign(secret, body), stdin=body)
    assert good.code == 0, good


# -- verify ------------------------------------------------------------------------
SECRET = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
# Fixed bytes: xdist workers must collect the same parameters.
BODY = (b'{"events":[{"event":"delivery","timestamp":1728669700,"sending_stream":"transactional",'
        b'"message_id":"m1","email":"a@example.com","event_id":"e1",'
        b'"sending_domain_name":"example.com"}]}')


@pytest.mark.parametrize(("signature", "code"), [
    (sign(SECRET, BODY), 0), ("0" * 64, 1), (sign(SECRET, BODY)[:40], 1),
    (sign("wrong", BODY), 1), ("", 1)], ids=["good", "bad", "truncated", "other-secret",
                                             "empty"])
def test_verify_exit_codes(cli, tmp_path, signature, code):
    path = tmp_path / "body.json"
    path.write_bytes(BODY)
    result = cli("webhooks", "verify", "--signature", signature, "--body", str(path),
                 env={"MAILTRAP_WEBHOOK_SECRET": SECRET})
    assert result.code == code, result
    assert "Traceback" not in result.stderr


def test_verify_non_utf8_body_from_stdin(cli):
    body = b"\xff\x00\xfe raw"
    ok = cli("webhooks", "verify", "--signature", sign(SECRET, body), stdin=body,
             env={"MAILTRAP_WEBHOOK_SECRET": SECRET})
    assert ok.code == 0, ok
    bad = cli("webhooks", "verify", "--signature", sign(SECRET, body), stdin=body + b"\n",
              env={"MAILTRAP_WEBHOOK_SECRET": SECRET})
    bad.assert_clean_error(1)


def test_verify_without_a_secret_or_signature_is_a_usage_error(cli):
    cli("webhooks", "verify", "--signature", "ab", stdin=b"x").assert_clean_error(2)
    assert cli("webhooks", "verify", stdin=b"x",
               env={"MAILTRAP_WEBHOOK_SECRET": SECRET}).code == 2


# -- listen --------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "jsonlines"])
def test_listen_prints_the_servers_signed_events_after_a_send(cli, server, fmt):
    hook = create_hook(server, payload_format=fmt)
    listen = ListenProcess(env={"MAILTRAP_WEBHOOK_SECRET": hook["signing_secret"]})
    try:
        server.call("PATCH", f"/api/webhooks/{hook['id']}", json={"webhook": {"url": listen.url}})
        sent = cli("send", "email", "--from", "app@example.com", "--to", "ann@example.com",
                   "--to", "bounce@example.com", "--subject", "Hi", "--text", "x")
        assert sent.code == 0, sent
        ids = sent.json()["message_ids"]
        flush(server)
        events = listen.events(2)
        assert [(e["event"], e["email"], e["message_id"]) for e in events] == [
            ("delivery", "ann@example.com", ids[0]), ("bounce", "bounce@example.com", ids[1])]
        log = server.call("GET", "/_local/webhooks/deliveries").json()
        assert [e["status"] for e in log] == [200]
    finally:
        code, stderr = listen.stop()
    assert code == 0
    assert "stopped: 1 request(s) accepted" in stderr[-1]


@pytest.mark.slow
def test_listen_rejects_unsigned_and_wrong_and_dedups_a_redelivery(server):
    import requests

    listen = ListenProcess(env={"MAILTRAP_WEBHOOK_SECRET": SECRET})
    try:
        body = encode([sample_event("delivery"), sample_event("open")])
        unsigned = requests.post(listen.url, data=body, timeout=10)
        assert unsigned.status_code == 401
        listen.stderr_until("unsigned request")
        wrong = requests.post(listen.url, data=body, headers={SIGNATURE_HEADER: sign("x", body)},
                              timeout=10)
        assert wrong.status_code == 401
        listen.stderr_until("wrong signature")
        for _ in range(2):   # Mailtrap redelivers a batch it got no 200 for
            ok = requests.post(listen.url, data=body,
                               headers={SIGNATURE_HEADER: sign(SECRET, body)}, timeout=10)
            assert ok.status_code == 200
        listen.stderr_until("skipped 2 already seen")
        assert [e["event"] for e in listen.events(2)] == ["delivery", "open"]
        assert listen.no_more_output()
    finally:
        code, stderr = listen.stop()
    assert code == 0 and "2 rejected" in stderr[-1] and "2 duplicate(s)" in stderr[-1]


@pytest.mark.slow
def test_listen_forwards_unchanged_and_survives_a_target_that_is_down(server):
    import requests

    with receiver() as app:
        live = app.url
    with receiver() as app:
        listen = ListenProcess("--forward-to", live, "--event", "soft_bounce,spam",
                               "--normalize", env={"MAILTRAP_WEBHOOK_SECRET": SECRET})
        try:
            body = encode([sample_event("delivery"), sample_event("soft bounce")], "jsonlines")
            headers = {SIGNATURE_HEADER: sign(SECRET, body), "Content-Type": "application/jsonl"}
            assert requests.post(listen.url, data=body, headers=headers, timeout=10).ok
            assert listen.events(1)[0]["event"] == "soft_bounce"
            listen.stderr_until(f"forward to {live} failed")
            spam = encode([sample_event("spam")])
            assert requests.post(listen.url, data=spam, timeout=10,
                                 headers={SIGNATURE_HEADER: sign(SECRET, spam)}).ok
            assert listen.events(1)[0]["event"] == "spam_complaint"   # still running
        finally:
            code, _ = listen.stop()
        assert code == 0
    with receiver() as app:
        listen = ListenProcess("--forward-to", app.url, env={"MAILTRAP_WEBHOOK_SECRET": SECRET})
        try:
            body = encode([sample_event("click")], "jsonlines")
            headers = {SIGNATURE_HEADER: sign(SECRET, body), "Content-Type": "application/jsonl"}
            assert requests.post(listen.url, data=body, headers=headers, timeout=10).ok
            listen.stderr_until(f"to {app.url}: 200 in")
            [got] = app.wait_for(1)
            assert got["body"] == body
            assert got["headers"][SIGNATURE_HEADER] == headers[SIGNATURE_HEADER]
            assert got["headers"]["Content-Type"] == "application/jsonl"
        finally:
            listen.stop()


@pytest.mark.slow
def test_webhooks_test_against_listen(cli, server):
    hook = create_hook(server, event_types=["delivery", "click", "soft_bounce"])
    listen = ListenProcess(env={"MAILTRAP_WEBHOOK_SECRET": hook["signing_secret"]})
    try:
        server.call("PATCH", f"/api/webhooks/{hook['id']}", json={"webhook": {"url": listen.url}})
        result = cli("webhooks", "test", str(hook["id"]),
                     env={"MAILTRAP_WEBHOOK_SECRET": hook["signing_secret"]})
        assert result.code == 0, result
        assert result.json()["status"] == 200
        assert [e["event"] for e in listen.events(3)] == ["delivery", "click", "soft bounce"]
        wrong = cli("webhooks", "test", listen.url, env={"MAILTRAP_WEBHOOK_SECRET": "nope"})
        wrong.assert_clean_error(1)
        assert "401" in wrong.stderr
    finally:
        listen.stop()


def test_webhooks_test_to_a_closed_port_is_a_network_error(cli):
    with receiver() as gone:
        url = gone.url
    cli("webhooks", "test", url, env={"MAILTRAP_WEBHOOK_SECRET": SECRET}).assert_clean_error(7)


def test_events_validate_against_the_payload_spec_end_to_end(server):
    from tests.webhook_helpers import event_problems

    with receiver() as r:
        create_hook(server, url=r.url, event_types=["delivery", "bounce", "open", "click"])
        [mid] = send(server, "bounce@example.com")
        server.call("POST", "/_local/events", json={"message_id": mid, "event": "click",
                                                    "url": "https://e.test/"})
        flush(server)
        events = [e for q in r.requests for e in json.loads(q["body"])["events"]]
    assert [e["event"] for e in events] == ["bounce", "click"]
    assert all(event_problems(e) == [] for e in events)


def test_debug_redacts_the_secret_but_create_prints_it_once(cli, server):
    result = cli("webhooks", "create", "--url", "http://127.0.0.1:9/", "--events", "delivery",
                 "--debug")
    assert result.code == 0, result
    secret = result.json()["signing_secret"]
    assert secret not in result.stderr and '"signing_secret": "***"' in result.stderr


def test_create_dry_run_sends_nothing(cli, server):
    result = cli("webhooks", "create", "--url", "http://127.0.0.1:9/", "--events", "bounce",
                 "--dry-run")
    assert result.code == 0, result
    assert result.json()["body"] == {"webhook": {
        "url": "http://127.0.0.1:9/", "webhook_type": "email_sending",
        "sending_stream": "transactional", "event_types": ["bounce"]}}
    assert server.requests(path="/api/webhooks") == []


@pytest.mark.slow
def test_listen_shows_a_readable_line_per_event_on_a_terminal(server):
    import requests

    listen = ListenProcess(env={"MAILTRAP_WEBHOOK_SECRET": SECRET, "MAILTRAP_FORCE_TTY": "1",
                                "NO_COLOR": "1"})
    try:
        body = encode([{**sample_event("bounce"), "email": "ann@example.com",
                        "message_id": "m-1"}])
        assert requests.post(listen.url, data=body, timeout=10,
                             headers={SIGNATURE_HEADER: sign(SECRET, body)}).ok
        line = listen.out.get(timeout=20)
        assert line.split()[1:] == ["bounce", "ann@example.com", "m-1"]
    finally:
        code, stderr = listen.stop(signal.SIGINT)      # Ctrl-C
    assert code == 0 and stderr[-1].startswith("stopped: 1 request(s) accepted")


def test_in_process_local_profile_delivers_before_the_run_ends(run_mailtrap):
    """No `local serve`: the CLI process answers the local profile itself and still
    posts the events of its send before it exits."""
    with receiver() as r:
        env = {"MAILTRAP_PROFILE": "local"}
        created = run_mailtrap("webhooks", "create", "--url", r.url, "--events", "delivery",
                               env=env)
        assert created.code == 0, created
        sent = run_mailtrap("send", "email", "--from", "app@example.com", "--to",
                            "ann@example.com", "--subject", "Hi", "--text", "x", env=env)
        assert sent.code == 0, sent
        assert len(r.requests) == 1     # already there when the process ended
    assert json.loads(r.requests[0]["body"])["events"][0]["email"] == "ann@example.com"


def test_the_saved_secret_is_masked_in_config_and_can_be_unset(cli, isolated):
    assert cli("webhooks", "create", "--url", "http://127.0.0.1:9/", "--events", "all",
               "--save-secret").code == 0
    rows = {r["key"]: r for r in cli("config", "list", "-o", "json").json()}
    assert rows["webhook_secret"]["value"].startswith("****")
    assert rows["webhook_secret"]["source"] == "config file (profile local)"
    cli("config", "get", "webhook_secret").assert_clean_error(2)
    cli("config", "set", "webhook_secret", "x").assert_clean_error(2)
    assert cli("config", "unset", "webhook_secret").code == 0
    assert "webhook_secret" not in (isolated / "config" / "config.toml").read_text()
    env = {"MAILTRAP_WEBHOOK_SECRET": "from-env"}
    rows = {r["key"]: r for r in cli("config", "list", "-o", "json", env=env).json()}
    assert rows["webhook_secret"]["source"] == "env MAILTRAP_WEBHOOK_SECRET"
    assert "from-env" not in str(rows)


def test_listen_needs_a_secret_unless_told_not_to_verify(cli):
    result = cli("webhooks", "listen", "--port", "0")
    result.assert_clean_error(2)
    assert "MAILTRAP_WEBHOOK_SECRET" in result.stderr
    bad = cli("webhooks", "listen", "--forward-to", "ftp://x", "--no-verify")
    bad.assert_clean_error(2)


def test_listen_on_a_port_in_use_is_a_usage_error(cli):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        result = cli("webhooks", "listen", "--port", port, "--no-verify")
    result.assert_clean_error(2)
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
