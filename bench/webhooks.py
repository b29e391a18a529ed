"""Webhook events end to end on one machine: what they cost a send, how fast the
built-in server delivers them, and how fast `webhooks listen`'s receiver takes them.

    python bench/webhooks.py              # 10 batches of 500 recipients
    python bench/webhooks.py --batches 40 --json

Three numbers: batch sends to the built-in server without and with a webhook
subscribed (the events are built on the request thread, delivered off it), the
time until every event reached the receiver (POST /_local/webhooks/flush), and
signed 500-event requests acknowledged per second by the listener.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import requests

from mailtrap_cli.local.http import RunningServer
from mailtrap_cli.webhook_events import encode, sample_event, sign
from mailtrap_cli.webhook_listener import Listener

AUTH = {"Authorization": "Bearer bench"}


def batch_body(size: int) -> dict:
    return {"base": {"from": {"email": "app@example.com"}, "subject": "Hi", "text": "x"},
            "requests": [{"to": [{"email": f"u{i}@example.com"}]} for i in range(size)]}


def sends(batches: int, size: int, hook_url: str | None) -> tuple[float, float, int]:
    """(seconds sending, seconds until delivered, events delivered)."""
    with RunningServer() as server:
        http = requests.Session()
        if hook_url:
            http.post(server.url + "/api/webhooks", headers=AUTH, json={"webhook": {
                "url": hook_url, "webhook_type": "email_sending",
                "sending_stream": "transactional", "event_types": ["delivery"],
                "payload_format": "jsonlines"}}).raise_for_status()
        body = batch_body(size)
        started = time.perf_counter()
        for _ in range(batches):
            http.post(server.url + "/api/batch", headers=AUTH, json=body).raise_for_status()
        sent = time.perf_counter() - started
        http.post(server.url + "/_local/webhooks/flush", headers=AUTH).raise_for_status()
        delivered = time.perf_counter() - started
        log = http.get(server.url + "/_local/webhooks/deliveries", headers=AUTH).json()
        return sent, delivered, sum(e["events"] for e in log if e["ok"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    # The server's receiver takes any signature (the secret is the server's);
    # the listener measured below checks every one.
    sink = Listener(secret=None, on_delivery=lambda d: None, on_reject=lambda *a: None)
    listener = Listener(secret="bench", on_delivery=lambda d: None, on_reject=lambda *a: None)
    for running in (sink, listener):
        threading.Thread(target=running.serve_forever, daemon=True).start()
    try:
        plain, _, _ = sends(args.batches, args.size, None)
        with_hook, delivered, events = sends(args.batches, args.size, sink.url)
        bodies = [encode([sample_event("delivery") for _ in range(args.size)])
                  for _ in range(args.batches)]
        http = requests.Session()
        started = time.perf_counter()
        for body in bodies:
            http.post(listener.url, data=body,
                      headers={"Mailtrap-Signature": sign("bench", body)}).raise_for_status()
        acked = time.perf_counter() - started
    finally:
        sink.shutdown()
        listener.shutdown()
    total = args.batches * args.size
    result = {"recipients": total, "send_s_without_webhook": round(plain, 3),
              "send_s_with_webhook": round(with_hook, 3),
              "all_events_delivered_s": round(delivered, 3), "events_delivered": events,
              "listen_events_per_s": round(total / acked)}
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:<26} {value}")


if __name__ == "__main__":
    main()
