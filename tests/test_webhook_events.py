"""Signatures, payload formats and event names of mailtrap_cli.webhook_events."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from mailtrap_cli.webhook_events import (
    decode,
    encode,
    normalize_event,
    payload_name,
    sample_event,
    sign,
    verify,
)
from tests.webhook_helpers import event_problems

SECRET = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
BODY = b'{"events":[{"event":"delivery"}]}'


def test_sign_is_lowercase_hex_hmac_sha256_of_the_raw_bytes():
    assert sign(SECRET, BODY) == hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(("signature", "ok"), [
    (sign(SECRET, BODY), True),
    (sign(SECRET, BODY).upper(), True),
    (sign(SECRET, BODY) + "\n", True),
    (sign(SECRET, BODY)[:-1], False),          # truncated
    (sign(SECRET, BODY)[:32], False),
    (sign("other", BODY), False),              # wrong secret
    ("", False), (None, False),                # missing
    ("zz" * 32, False),                        # not hex
    ("é" * 64, False),                         # not ASCII
])
def test_verify(signature, ok):
    assert verify(SECRET, BODY, signature) is ok


def test_verify_signs_bytes_that_are_not_utf8():
    body = b"\xff\xfe not utf-8 \x80"
    assert verify(SECRET, body, sign(SECRET, body))
    assert not verify(SECRET, body + b" ", sign(SECRET, body))
    assert not verify("", body, sign("", body))


@pytest.mark.parametrize("spelling", ["soft bounce", "soft_bounce", "Soft Bounce"])
def test_soft_bounce_spellings_normalize_to_the_settings_name(spelling):
    assert normalize_event(spelling) == "soft_bounce"


def test_spam_spellings_and_the_payload_names():
    assert normalize_event("spam") == normalize_event("spam_complaint") == "spam_complaint"
    assert payload_name("spam_complaint") == "spam"
    assert payload_name("soft_bounce") == "soft bounce"
    assert payload_name("delivery") == "delivery"


@pytest.mark.parametrize("fmt", ["json", "jsonlines"])
def test_both_formats_round_trip(fmt):
    events = [sample_event("delivery"), sample_event("click")]
    assert decode(encode(events, fmt)) == events


def test_jsonlines_is_one_object_per_line():
    body = encode([{"a": 1}, {"b": 2}], "jsonlines")
    assert body.splitlines() == [b'{"a":1}', b'{"b":2}']
    assert decode(body + b"\n\n") == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(("body", "message"), [
    (b"", "empty"), (b"\xff", "not UTF-8"), (b"[1, 2]", "expected"),
    (b'{"a":1}\nnot json', "line 2"), (b'{"events": [1]}', "JSON object")])
def test_decode_refuses_what_is_neither_format(body, message):
    with pytest.raises(ValueError, match=message):
        decode(body)


@pytest.mark.parametrize("kind", ["delivery", "soft_bounce", "bounce", "suspension",
                                  "unsubscribe", "open", "spam_complaint", "click", "reject"])
def test_samples_match_the_payload_spec(kind):
    event = sample_event(kind)
    assert event["event"] == payload_name(kind)
    assert event_problems(json.loads(json.dumps(event))) == []
