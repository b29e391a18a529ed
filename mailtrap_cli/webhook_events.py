"""Webhook events as pure functions: signatures, payload formats, event names, samples.

Shared by the built-in server (which signs and delivers events) and `mailtrap
webhooks verify|listen|test` (which check and produce them), so both sides
agree byte for byte. Imports neither typer nor rich nor requests.

- Signature: header `Mailtrap-Signature` = lowercase hex HMAC-SHA256 of the
  raw body keyed with the webhook's signing secret; checked in constant time.
- Formats: `json` is `{"events": [...]}`; `jsonlines` is one event per line
  (Content-Type `application/jsonl`); up to 500 events per request.
- Event names have three spellings (API-NOTES.md): payloads say `soft bounce`
  and `spam`, webhook settings `soft_bounce` and `spam_complaint`, email logs
  `soft_bounce` and `spam`. `normalize_event` maps all of them to the
  settings' spelling, the one `webhooks create --event-types` takes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from mailtrap_cli.api.sending import STREAMS

__all__ = ["STREAMS", "sign", "verify", "encode", "decode", "normalize_event", "payload_name",
           "sending_event", "sample_event", "event_details"]

SIGNATURE_HEADER = "Mailtrap-Signature"
MAX_EVENTS_PER_REQUEST = 500
FORMATS = ("json", "jsonlines")
CONTENT_TYPES = {"json": "application/json", "jsonlines": "application/jsonl"}
WEBHOOK_TYPES = ("email_sending", "campaigns", "audit_log", "inbound_receiving")
# The webhook settings' names (email-sending.openapi.yml), in the spec's order.
EVENT_TYPES = ("delivery", "soft_bounce", "bounce", "suspension", "unsubscribe", "open",
               "spam_complaint", "click", "reject")
# settings name -> the name a payload carries (webhook-payloads.openapi.yml)
PAYLOAD_NAMES = {**{name: name for name in EVENT_TYPES},
                 "soft_bounce": "soft bounce", "spam_complaint": "spam"}
_ALIASES = {"soft bounce": "soft_bounce", "softbounce": "soft_bounce",
            "soft-bounce": "soft_bounce", "spam": "spam_complaint",
            "spam complaint": "spam_complaint", "spam-complaint": "spam_complaint"}


# -- signatures ----------------------------------------------------------------
def _key(secret: str | bytes) -> bytes:
    return secret if isinstance(secret, bytes) else secret.encode("utf-8")


def sign(secret: str | bytes, body: bytes) -> str:
    """The `Mailtrap-Signature` value for `body`."""
    return hmac.new(_key(secret), body, hashlib.sha256).hexdigest()


def verify(secret: str | bytes, body: bytes, signature: str | bytes | None) -> bool:
    """True when `signature` is the HMAC of `body`; missing, truncated, non-hex or
    non-ASCII signatures are simply wrong. Constant time in the signature."""
    if not signature or not secret:
        return False
    if isinstance(signature, str):
        try:
            signature = signature.encode("ascii")
        except UnicodeEncodeError:
            return False
    expected = sign(secret, body).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().lower())


# -- event names ---------------------------------------------------------------
def normalize_event(name: str) -> str:
    """Any of the three spellings -> the webhook settings' one (`soft_bounce`,
    `spam_complaint`, `delivery`, ...); unknown names come back lowercased."""
    key = name.strip().lower()
    return _ALIASES.get(key, key.replace(" ", "_"))


def payload_name(event_type: str) -> str:
    """A settings name (or any spelling) -> the spelling payloads carry."""
    return PAYLOAD_NAMES.get(normalize_event(event_type), event_type)


# -- payload formats -------------------------------------------------------------
def encode(events: list[dict[str, Any]], payload_format: str = "json") -> bytes:
    if payload_format == "jsonlines":
        return "\n".join(json.dumps(e, ensure_ascii=False, separators=(",", ":"))
                         for e in events).encode("utf-8")
    return json.dumps({"events": events}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def decode(body: bytes) -> list[dict[str, Any]]:
    """Events of a delivery in either format; ValueError when it is neither."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    if not text.strip():
        raise ValueError("the body is empty")
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    else:
        if isinstance(whole, dict) and isinstance(whole.get("events"), list):
            events = whole["events"]
        elif isinstance(whole, dict):
            events = [whole]  # a one-line jsonlines body
        else:
            raise ValueError("expected {\"events\": [...]} or one JSON object per line")
    if whole is None:
        events = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                events.append(json.loads(line))
            except ValueError:
                raise ValueError(f"line {number} is not JSON") from None
    if not all(isinstance(e, dict) for e in events):
        raise ValueError("every event must be a JSON object")
    return events


# -- building events -------------------------------------------------------------
def sending_event(event_type: str, *, message_id: str, email: str, stream: str,
                  domain: str, category: str | None = None,
                  custom_variables: dict[str, Any] | None = None,
                  timestamp: int | None = None, **extra: Any) -> dict[str, Any]:
    """One SendingWebhookEvent (webhook-payloads.openapi.yml)."""
    event: dict[str, Any] = {
        "event": payload_name(event_type),
        "timestamp": int(time.time()) if timestamp is None else timestamp,
        "sending_stream": stream,
        "message_id": message_id,
        "email": email,
        "event_id": str(uuid.uuid4()),
        "sending_domain_name": domain,
    }
    if category:
        event["category"] = category
    if custom_variables:
        event["custom_variables"] = {
            k: v for k, v in custom_variables.items()
            if isinstance(v, (str, int, float, bool)) and v is not None}
    event.update({k: v for k, v in extra.items() if v is not None})
    return event


# What each kind adds, as in the spec's examples.
_SAMPLE_EXTRA: dict[str, dict[str, Any]] = {
    "bounce": {"response": "550 5.1.1 The email account does not exist",
               "response_code": 550, "bounce_category": "bad_mailbox"},
    "soft_bounce": {"response": "4.7.1 Temporary error, please retry",
                    "response_code": 451, "bounce_category": "greylisting"},
    "suspension": {"reason": "Your account has reached its daily sending limit."},
    "reject": {"reason": "Recipient in suppression list. Reason: unsubscription"},
    "open": {"ip": "127.0.0.1", "user_agent": "mailtrap-cli"},
    "click": {"ip": "127.0.0.1", "user_agent": "mailtrap-cli",
              "url": "https://example.com/"},
    "unsubscribe": {"ip": "127.0.0.1", "user_agent": "mailtrap-cli"},
}


def event_details(event_type: str) -> dict[str, Any]:
    """The extra fields a kind of event carries (bounce response, click url, ...)."""
    return dict(_SAMPLE_EXTRA.get(normalize_event(event_type), {}))


def sample_event(event_type: str, *, email: str = "receiver@example.com",
                 stream: str = "transactional", domain: str = "example.com") -> dict[str, Any]:
    """A made-up event of one kind, for `webhooks test`."""
    return sending_event(event_type, message_id=str(uuid.uuid4()), email=email,
                         stream=stream, domain=domain, category="mailtrap-cli test",
                         **event_details(event_type))
