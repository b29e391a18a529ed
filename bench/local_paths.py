"""What the account-scoped path family and TLS cost on the built-in server.

    python bench/local_paths.py             # 300 requests per row, a table on stdout
    python bench/local_paths.py --json --requests 1000

Each row: median and p95 per request (keep-alive session) of listing a
sandbox's 30 messages, at the current path and at the SDKs' account-scoped
path (translated by local/compat.py, answer re-spelled), over HTTP and HTTPS,
plus a new HTTPS connection per request (handshake included).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _time(session, url: str, n: int, verify) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        r = session.get(url, headers={"Authorization": "Bearer bench"}, verify=verify,
                        timeout=10)
        r.raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> int:
    import requests

    from mailtrap_cli.local.http import RunningServer
    from mailtrap_cli.local.mailstore import store_message
    from mailtrap_cli.local.tls import ensure

    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    raw = (b"From: a@example.com\r\nTo: Bob <b@example.com>\r\nSubject: bench\r\n\r\n"
           + b"hello\r\n" * 50)
    files = ensure(Path(tempfile.mkdtemp()) / "tls")
    rows = []
    for label, tls in (("http", None), ("https", files)):
        with RunningServer(tls=tls) as server:
            for _ in range(30):
                store_message(server.app.store, 1, raw)
            verify = str(files.ca) if tls else True
            session = requests.Session()
            session.trust_env = False
            for family, path in (("current", "/api/sandboxes/1/messages"),
                                 ("scoped", "/api/accounts/1/inboxes/1/messages")):
                _time(session, server.url + path, 20, verify)       # warm-up
                times = _time(session, server.url + path, args.requests, verify)
                rows.append({"transport": label, "paths": family,
                             "median_ms": round(statistics.median(times), 2),
                             "p95_ms": round(sorted(times)[int(len(times) * 0.95) - 1], 2)})
            if tls:
                times = []
                for _ in range(max(20, args.requests // 5)):
                    fresh = requests.Session()
                    fresh.trust_env = False
                    times += _time(fresh, server.url + "/api/accounts", 1, verify)
                    fresh.close()
                rows.append({"transport": "https, new connection each", "paths": "current",
                             "median_ms": round(statistics.median(times), 2),
                             "p95_ms": round(sorted(times)[int(len(times) * 0.95) - 1], 2)})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'transport':<28}{'paths':<10}{'median ms':>10}{'p95 ms':>10}")
        for row in rows:
            print(f"{row['transport']:<28}{row['paths']:<10}{row['median_ms']:>10}"
                  f"{row['p95_ms']:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
