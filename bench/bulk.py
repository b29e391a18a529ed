"""`send batch` against every shape of server-side rate limit, beside the floor and the SDK loop.

    python bench/bulk.py                                # the matrix below, 100,000 rows
    python bench/bulk.py --rows 10000 --shape fixed:15/1s --shape bucket:15/1s,burst=3
    python bench/bulk.py --shape sliding:150/10s --reference --json

The server runs in its own process (`mailtrap local serve --port 0 --db :memory:`)
with 150 ms of latency per request and a rate limit of one shape (local/faults.py
`Shape`): fixed windows of 10 s, 2 s and 1 s, a sliding 10 s window, a token
bucket with a burst of 3, each at 15 requests/s on average, each with and
without Retry-After on its 429s. N rows go to a temporary CSV and `mailtrap
send batch --csv` (its default --rate 150/10s: the client does not know the
shape) runs as a subprocess. Reported: wall time, 429s answered, peak RSS of
the send process (wait4 rusage), and the floor: R = ceil(N / 500) requests at
15 per second, R / 15 s (13.3 s at 100,000 rows). Every row is then checked
on the server for exactly-once delivery.

`--reference` also times the official Python SDK's way (`mailtrap` 2.11,
`MailtrapClient.batch_send` in a plain loop, one request at a time), emulated
with requests exactly as the SDK's HttpClient sends it (one requests.Session,
`json=` body, Bearer token, no retries; a 429 is waited out as a user's loop
would) so the benchmark needs no extra dependency. The SDK also builds pydantic
models per call, which this leaves out: its real time is a little longer.

Aims: every shape <= 1.3x the floor, 429s < 5% of requests, peak RSS < 100 MB,
every row delivered exactly once.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

CHUNK = 500
AIM_RATIO = 1.3
AIM_RSS_MB = 100
AIM_429 = 0.05
SHAPES = ["fixed:150/10s", "fixed:30/2s", "fixed:15/1s", "sliding:150/10s",
          "bucket:15/1s,burst=3"]


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailtrap_cli", "local", "serve", "--port", "0", "--db",
         ":memory:"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if found:
            return proc, found.group(1)
    proc.kill()
    raise SystemExit("the built-in server did not start")


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a running process has used, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_with_usage(proc: subprocess.Popen) -> tuple[bytes, bytes, object]:
    """(stdout, stderr, rusage) of this one child, reaped with wait4: RUSAGE_CHILDREN
    would also hold the servers of earlier runs."""
    import threading

    outputs: dict[str, bytes] = {}

    def drain(name: str, stream) -> None:
        outputs[name] = stream.read()

    readers = [threading.Thread(target=drain, args=(name, stream))
               for name, stream in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    return outputs["out"], outputs["err"], usage


def write_rows(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("email,name,code,plan\n")
        for i in range(1, rows + 1):
            handle.write(f"user{i}@example.com,User {i},{i:08d},pro\n")


def floor_seconds(requests_needed: int, per_second: float) -> float:
    return requests_needed / per_second


def shape_rate(shape: str) -> float:
    """Average requests per second a shape spec like 'fixed:30/2s,...' allows."""
    rate = shape.split(",")[0].rpartition(":")[2]
    count, _, window = rate.partition("/")
    return int(count) / float(window.rstrip("s") or 1)


def sdk_loop(url: str, csv_path: Path) -> tuple[float, int]:
    """The official SDK's way, emulated: batch_send of 500 rows at a time, in turn."""
    import csv

    session = requests.Session()
    session.headers.update({"Authorization": "Bearer bench",
                            "Content-Type": "application/json",
                            "User-Agent": "mailtrap-python (emulated by bench/bulk.py)"})
    base = {"from": {"email": "bench@example.com", "name": "Bench"}, "subject": "Hello",
            "text": "Hi there"}
    limited = 0
    started = time.perf_counter()
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        chunk: list[dict] = []
        for row in [*rows, None]:
            if row is not None:
                chunk.append({"to": [{"email": row["email"], "name": row["name"]}],
                              "custom_variables": {"code": row["code"], "plan": row["plan"]}})
            if chunk and (row is None or len(chunk) == CHUNK):
                while True:   # the SDK raises on 429; a user's loop would wait and retry
                    answer = session.post(url + "/api/batch", json={"base": base,
                                                                    "requests": chunk},
                                          timeout=60)
                    if answer.status_code != 429:
                        answer.raise_for_status()
                        break
                    limited += 1
                    time.sleep(float(answer.headers.get("Retry-After", 1)))
                chunk = []
    return time.perf_counter() - started, limited


def run(rows: int, latency: float, shape: str, concurrency: int | None,
        reference: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="mailtrap-bench-") as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTRAP_")}
        env.update(MAILTRAP_CONFIG_DIR=str(folder / "config"),
                   MAILTRAP_DATA_DIR=str(folder / "data"),
                   MAILTRAP_LOCAL_DB=str(folder / "data" / "local.sqlite3"))
        csv_path = folder / "rows.csv"
        write_rows(csv_path, rows)
        server, url = start_server(env)
        try:
            http = requests.Session()
            http.headers["Authorization"] = "Bearer bench"
            http.post(url + "/_local/config", json={"latency": latency, "rate_limit": shape},
                      timeout=10).raise_for_status()
            argv = [sys.executable, "-m", "mailtrap_cli", "send", "batch", "--csv",
                    str(csv_path), "--from", "Bench <bench@example.com>", "--subject",
                    "Hello", "--text", "Hi there"]
            if concurrency:
                argv += ["--concurrency", str(concurrency)]
            send_env = dict(env, MAILTRAP_PROFILE="local", MAILTRAP_BASE_URL=url)
            started = time.perf_counter()
            proc = subprocess.Popen(argv, env=send_env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            out, err, usage = wait_with_usage(proc)
            elapsed = time.perf_counter() - started
            peak_kb = usage.ru_maxrss
            client_cpu = usage.ru_utime + usage.ru_stime
            server_cpu = process_cpu(server.pid)
            if proc.returncode != 0:
                raise SystemExit(f"send batch exited {proc.returncode}:\n"
                                 f"{err.decode(errors='replace')[-2000:]}")
            summary = json.loads(out)
            delivered = http.get(url + "/_local/deliveries/count", timeout=60).json()
            log = http.get(url + "/_local/requests", params={"path": "/api/batch"},
                           timeout=60).json()
            sdk = None
            if reference:
                http.delete(url + "/_local/requests", timeout=10)
                # A fresh count for the SDK: the same shape again.
                http.post(url + "/_local/config", json={"rate_limit": shape}, timeout=10)
                sdk = sdk_loop(url, csv_path)
        finally:
            server.terminate()
            server.wait(timeout=10)
    needed = math.ceil(rows / CHUNK)
    floor = floor_seconds(needed, shape_rate(shape))
    answered_429 = sum(1 for entry in log if entry["status"] == 429)
    return {
        "shape": shape,
        "rows": rows,
        "requests": summary["requests"],
        "answered_429": answered_429,
        "share_429": round(answered_429 / max(1, summary["requests"]), 4),
        "seconds": round(elapsed, 3),
        "rows_per_s": round(rows / elapsed, 1),
        "requests_per_s": round(summary["requests"] / elapsed, 2),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "client_cpu_s": round(client_cpu, 2),
        "server_cpu_s": round(server_cpu, 2) if server_cpu is not None else None,
        "floor_seconds": round(floor, 3),
        "vs_floor": round(elapsed / floor, 3) if floor else None,
        "delivered": delivered["count"],
        "exactly_once": delivered == {"count": rows, "recipients": rows},
        "latency": latency,
        "sdk_seconds": round(sdk[0], 3) if sdk else None,
        "sdk_429": sdk[1] if sdk else None,
    }


def report(results: list[dict]) -> str:
    lines = ["| server's limiter | send batch | vs floor | 429s | peak RSS | exactly once "
             "| SDK loop |", "|---|---|---|---|---|---|---|"]
    for r in results:
        sdk = f"{r['sdk_seconds']:.1f} s" if r["sdk_seconds"] is not None else "-"
        lines.append(f"| {r['shape']} | {r['seconds']:.1f} s | {r['vs_floor']:.2f}x | "
                     f"{r['answered_429']} of {r['requests']} | {r['peak_rss_mb']:.0f} MB | "
                     f"{'yes' if r['exactly_once'] else 'NO'} | {sdk} |")
    if results:
        r = results[0]
        lines.append(f"\n{r['rows']:,} rows, {r['latency'] * 1000:.0f} ms latency; floor "
                     f"{r['floor_seconds']:.1f} s at 15 requests/s. Aims: <= {AIM_RATIO}x, "
                     f"429s < {AIM_429:.0%}, peak RSS < {AIM_RSS_MB} MB.")
    return "\n".join(lines)


def missed(result: dict) -> list[str]:
    found = []
    if result["vs_floor"] and result["vs_floor"] > AIM_RATIO:
        found.append(f"{result['vs_floor']:.2f}x the floor")
    if result["share_429"] >= AIM_429:
        found.append(f"{result['share_429']:.1%} 429s")
    if result["peak_rss_mb"] >= AIM_RSS_MB:
        found.append(f"{result['peak_rss_mb']} MB")
    if not result["exactly_once"]:
        found.append("not exactly once")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.15, help="seconds per request")
    parser.add_argument("--shape", action="append", default=None,
                        help="server limiter, e.g. fixed:15/1s or bucket:15/1s,burst=3 "
                        "(',no-retry-after' to leave Retry-After out); repeatable; default: "
                        "every shape with and without Retry-After")
    parser.add_argument("--reference", action="store_true",
                        help="also time the official SDK's sequential loop")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="send batch --concurrency (default: its own)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    shapes = args.shape or [s + suffix for s in SHAPES for suffix in ("", ",no-retry-after")]
    results = []
    for shape in shapes:
        # The SDK loop never meets a limit: once per shape is enough, with Retry-After.
        reference = args.reference and not shape.endswith("no-retry-after")
        result = run(args.rows, args.latency, shape, args.concurrency, reference)
        results.append(result)
        print(f"{shape}: {result['seconds']:.1f} s, {result['vs_floor']:.2f}x, "
              f"{result['answered_429']} 429s", file=sys.stderr)
    print(json.dumps(results, indent=2) if args.json else report(results))
    failures = [f"{r['shape']}: {', '.join(missed(r))}" for r in results if missed(r)]
    if failures:
        print("missed aims: " + "; ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
