"""Shared by the `send batch` CLI tests: input files and what the server delivered."""

from __future__ import annotations

import json
from collections import Counter

FROM = ["--from", "App <app@example.com>"]
PLAIN = [*FROM, "--subject", "Hi", "--text", "Hello"]


def deliveries(server, **params):
    response = server.call("GET", "/_local/deliveries", params=params)
    assert response.status_code == 200
    return response.json()


def recipients(server, **params):
    return Counter(d["recipient"] for d in deliveries(server, **params))


def csv_file(tmp_path, rows, header="email,name,code", name="users.csv"):
    path = tmp_path / name
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))
    return path


def numbered(count, start=1):
    return [f"u{i}@example.com,User {i},{i}" for i in range(start, start + count)]


def journal_records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def batch_posts(server):
    return [r for r in server.requests(path="/api/batch") if r["method"] == "POST"]
