"""`-o jsonl --all` streams in constant memory (README, Output): each page's
objects are on stdout before the next page is asked for, so the whole listing is
never held. Shown with a server that holds back the last page until the test has
read every earlier line from the running command's stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from tests.sandbox_mail import make_message, store

MESSAGES = "/api/sandboxes/1/messages"
PAGE = 30          # the listing's page size
COUNT = 2 * PAGE + 5


def test_jsonl_all_writes_each_page_before_fetching_the_next(server):
    for n in range(COUNT):
        store(server, make_message(subject=f"m{n}"))
    release = threading.Event()
    pages: list[str] = []
    original = server.app.handle

    def handle(req):
        if req.method == "GET" and req.path == MESSAGES:
            pages.append(req.arg("last_id") or req.arg("page") or "first")
            if len(pages) == 3:
                release.wait(20)        # the last page waits for the test
        return original(req)

    server.app.handle = handle
    env = {**os.environ, "MAILTRAP_PROFILE": "local", "MAILTRAP_BASE_URL": server.url}
    proc = subprocess.Popen([sys.executable, "-m", "mailtrap_cli", "sandbox", "messages",
                             "list", "--all", "-o", "jsonl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.extend(
        proc.stdout.readline() for _ in range(2 * PAGE)), daemon=True)
    reader.start()
    reader.join(20)
    early = [line for line in lines if line]   # read while the last page is held back
    release.set()
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert len(early) == 2 * PAGE, (len(early), pages)
    assert len(pages) == 3, pages
    subjects = [json.loads(line)["subject"] for line in early + rest.splitlines()]
    assert sorted(subjects) == sorted(f"m{n}" for n in range(COUNT))
