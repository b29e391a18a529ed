"""What the client refuses before sending, as literal cases.

The built-in server validates with the same `validate_message` as the client, so
a mistake there would be made on both sides and no round trip could show it:
these cases spell out the expected answer instead (the API's rules: the sending
specs and API-NOTES.md)."""

from __future__ import annotations

import base64
import json

import pytest

from mailtrap_cli.message import is_valid_email, validate_message
from tests.send_batch_helpers import deliveries

OK = {"from": {"email": "app@example.com"}, "to": [{"email": "ann@example.com"}],
      "subject": "Hi", "text": "Hello"}


@pytest.mark.parametrize("address", [
    "ann@example.com", "first.last@example.com", "a+tag@sub.example.co.uk",
    "o'brien@example.com", "x_y-z@ex-ample.com", "1@example.io", "ann@xn--bcher-kva.example",
    "a" * 64 + "@example.com",
])
def test_addresses_accepted(address):
    assert is_valid_email(address)


@pytest.mark.parametrize("address", [
    "", "ann", "ann@", "@example.com", "ann@example", "ann@@example.com",
    "ann example@example.com", "ann@exa mple.com", ".ann@example.com", "ann.@example.com",
    "an..n@example.com", "ann@example..com", "ann@-example.com", "ann@example-.com",
    "ann@example.com.", "<ann@example.com>", "ann@example.com,bo@example.com",
    "ann(x)@example.com", 'a"n@example.com', "ann@exa;mple.com",
    "a" * 310 + "@example.com", None, 42,
])
def test_addresses_refused(address):
    assert not is_valid_email(address)


def _with(**changes):
    payload = json.loads(json.dumps(OK))
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


B64 = base64.b64encode(b"data").decode()


@pytest.mark.parametrize(("payload", "errors"), [
    (OK, []),
    (_with(text=None, html="<p>Hi</p>"), []),
    (_with(to=None, bcc=[{"email": "b@example.com"}]), []),
    (_with(**{"from": None}), ["'from' is required"]),
    (_with(**{"from": {"email": "nope"}}), ["'from' address is invalid"]),
    (_with(**{"from": "app@example.com"}), ["'from' must be an object with 'email'"]),
    (_with(to=None), ["'to', 'cc' or 'bcc' address is required"]),
    (_with(to=[]), ["'to', 'cc' or 'bcc' address is required"]),
    (_with(to={"email": "a@example.com"}), ["'to' must be an array of addresses",
                                            "'to', 'cc' or 'bcc' address is required"]),
    (_with(cc=[{"email": "x@"}]), ["'cc' address is invalid: x@"]),
    (_with(to=[{"email": "a@example.com", "name": 7}]), ["'to' name must be a string"]),
    (_with(reply_to={"email": "r"}), ["'reply_to' address is invalid: r"]),
    (_with(subject=None), ["'subject' is required"]),
    (_with(subject=""), ["'subject' is required"]),
    (_with(text=None), ["must specify either text or html body"]),
    (_with(text=""), ["must specify either text or html body"]),
    (_with(text=5), ["'text' must be a string", "must specify either text or html body"]),
    (_with(category="c" * 255), []),
    (_with(category="c" * 256), ["'category' is longer than 255 characters"]),
    (_with(template_uuid="u-1", subject=None, text=None), []),
    (_with(template_uuid="u-1", text=None),
     ["'subject' is not allowed with 'template_uuid' (the template provides it)"]),
    (_with(template_uuid="u-1", subject=None, text=None, template_variables=[1]),
     ["'template_variables' must be an object"]),
    (_with(template_variables={"a": 1}), ["'template_variables' needs 'template_uuid'"]),
    (_with(custom_variables={"k": "v" * 992}), []),                # exactly 1000 bytes
    (_with(custom_variables={"k": "v" * 993}),
     ["'custom_variables' is 1001 bytes as JSON; at most 1000 are allowed"]),
    (_with(custom_variables={"k": "é" * 496}), []),                # 2 bytes each: 1000
    (_with(custom_variables={"k": "é" * 497}),
     ["'custom_variables' is 1002 bytes as JSON; at most 1000 are allowed"]),
    (_with(headers={"X-Tag": "a"}), []),
    (_with(headers={"x-mt-category": "a"}), ["header 'x-mt-category' is reserved and "
                                             "cannot be set"]),
    (_with(headers={"Message-ID": "<a@b>"}), ["header 'Message-ID' is reserved and "
                                              "cannot be set"]),
    (_with(headers={"X Tag": "a"}), ["header name 'X Tag' is invalid"]),
    (_with(headers={"X-Tag": "a\r\nBcc: x@example.com"}),
     ["header 'X-Tag' must not contain line breaks or control characters"]),
    (_with(headers={"X-Tag": "a\x00b"}),
     ["header 'X-Tag' must not contain line breaks or control characters"]),
    (_with(headers={"X-N": 1}), ["header 'X-N' must have a string value"]),
    (_with(attachments=[{"filename": "a.txt", "content": B64}]), []),
    (_with(attachments=[{"filename": "a.txt", "content": B64, "disposition": "inline",
                         "content_id": "c1"}]), []),
    (_with(attachments=[{"filename": "", "content": B64}]),
     ["'attachments[0]' filename is required"]),
    (_with(attachments=[{"filename": "a.txt", "content": "not base64!"}]),
     ["'attachments[0]' content is not valid base64"]),
    (_with(attachments=[{"filename": "a.txt", "content": B64, "disposition": "hidden"}]),
     ["'attachments[0]' disposition must be attachment or inline"]),
    (_with(to=[{"email": f"r{i}@example.com"} for i in range(1000)]), []),
    (_with(to=[{"email": f"r{i}@example.com"} for i in range(1001)]),
     ["'to' has 1001 addresses; at most 1000 are allowed"]),
    ([OK], ["the message must be a JSON object"]),
])
def test_validate_message_literal_cases(payload, errors):
    assert validate_message(payload) == errors


def test_the_10_mb_limit_is_on_the_json_size():
    limit = 10 * 1024 * 1024
    room = limit - len(json.dumps(_with(text="x"), ensure_ascii=False,
                                  separators=(",", ":")).encode())
    assert validate_message(_with(text="x" * (1 + room))) == []        # exactly 10 MB
    assert validate_message(_with(text="x" * (2 + room))) == [
        f"message is too large: {limit + 1} bytes (limit {limit} bytes)"]


# -- the same rules at the command line: what is sent, what is refused ---------------
def test_send_batch_refuses_each_invalid_request_by_position(cli, server, tmp_path):
    """The API's own batch JSON: the client sends the valid requests only and names
    each refused one; the server (same rules) cannot be what refused them."""
    requests = [
        {"to": [{"email": "ok1@example.com"}]},
        {"to": [{"email": "an..n@example.com"}]},
        {"to": [{"email": "ok2@example.com"}], "category": "c" * 256},
        {"to": [{"email": "ok3@example.com"}], "headers": {"Message-ID": "<x@y>"}},
        {"to": [{"email": "ok4@example.com"}], "custom_variables": {"k": "v" * 992}},
        {"to": [{"email": "ok5@example.com"}], "custom_variables": {"k": "v" * 993}},
        {"to": [{"email": "ok6@example.com"}], "category": "c" * 255},
    ]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"base": {"from": {"email": "app@example.com"},
                                         "subject": "Hi", "text": "Hello"},
                                "requests": requests}))
    result = cli("send", "batch", str(path))
    assert result.code == 8, result
    summary = result.json()
    assert (summary["sent"], summary["invalid"]) == (3, 4), summary
    assert [r["row"] for r in summary["invalid_rows"]] == [2, 3, 4, 6]
    assert sorted(d["recipient"] for d in deliveries(server)) == [
        "ok1@example.com", "ok4@example.com", "ok6@example.com"]


@pytest.mark.slow
def test_send_email_at_the_limits_is_sent(cli, server):
    args = ["send", "email", "--from", "app@example.com", "--subject", "Hi", "--text", "x",
            "--category", "c" * 255, "--custom-var", "k=" + "v" * 992]
    for i in range(1000):
        args += ["--to", f"r{i}@example.com"]
    result = cli(*args)
    assert result.code == 0, result
    assert len(deliveries(server)) == 1000
