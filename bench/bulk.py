"""`send batch` throughput and memory against the built-in server, beside the rate-limit floor.

    python bench/bulk.py                       # 100,000 rows, 150 ms latency, 150 per 10 s
    python bench/bulk.py --rows 300000
    python bench/bulk.py --rows 10000 --latency 0.05 --rate 150/10 --json

The server runs in its own process (`mailtrap local serve --port 0 --db :memory:`)
with injected latency and the API's rate limit; N rows go to a temporary CSV;
`mailtrap send batch --csv` runs as a subprocess. Reported: wall time, rows/s,
requests/s, 429s received, the peak RSS of the send process (wait4 rusage), and
the floor: the fastest any client could go, R = ceil(N / 500) requests of which
at most COUNT start per WINDOW, each taking LATENCY, so the last one ends at
((R - 1) // COUNT) * WINDOW + LATENCY. Every row is then checked on the server
for exactly-once delivery.

Aims: within 1.3x of the floor; peak RSS flat in N (< 100 MB at 100,000 rows).
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


def write_rows(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("email,name,code,plan\n")
        for i in range(1, rows + 1):
            handle.write(f"user{i}@example.com,User {i},{i:08d},pro\n")


def floor_seconds(requests_needed: int, count: int, window: float, latency: float) -> float:
    if requests_needed == 0:
        return 0.0
    return ((requests_needed - 1) // count) * window + latency


def parse_rate(text: str) -> tuple[int, float]:
    count, _, window = text.partition("/")
    return int(count), float(window.rstrip("s") or 1)


def run(rows: int, latency: float, rate: str, concurrency: int | None) -> dict:
    count, window = parse_rate(rate)
    with tempfile.TemporaryDirectory(prefix="mailtrap-bench-") as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILTRAP_")}
        env.update(MAILTRAP_CONFIG_DIR=str(folder / "config"),
                   MAILTRAP_DATA_DIR=str(folder / "data"),
                   MAILTRAP_LOCAL_DB=str(folder / "data" / "local.sqlite3"))
        server, url = start_server(env)
        try:
            http = requests.Session()
            http.headers["Authorization"] = "Bearer bench"
            http.post(url + "/_local/config", json={"latency": latency,
                                                    "rate_limit": [count, window]},
                      timeout=10).raise_for_status()
            csv_path = folder / "rows.csv"
            write_rows(csv_path, rows)
            argv = [sys.executable, "-m", "mailtrap_cli", "send", "batch", "--csv",
                    str(csv_path), "--from", "Bench <bench@example.com>", "--subject",
                    "Hello", "--text", "Hi there", "--rate", f"{count}/{window:g}s"]
            if concurrency:
                argv += ["--concurrency", str(concurrency)]
            send_env = dict(env, MAILTRAP_PROFILE="local", MAILTRAP_BASE_URL=url)
            started = time.perf_counter()
            proc = subprocess.Popen(argv, env=send_env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            out, err = proc.communicate()
            elapsed = time.perf_counter() - started
            # communicate() reaped the child; its rusage is in RUSAGE_CHILDREN, which
            # holds only this one (the server is still running).
            import resource

            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
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
        finally:
            server.terminate()
            server.wait(timeout=10)
    needed = math.ceil(rows / CHUNK)
    floor = floor_seconds(needed, count, window, latency)
    return {
        "rows": rows,
        "requests": summary["requests"],
        "answered_429": sum(1 for entry in log if entry["status"] == 429),
        "seconds": round(elapsed, 3),
        "rows_per_s": round(rows / elapsed, 1),
        "requests_per_s": round(summary["requests"] / elapsed, 2),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "client_cpu_s": round(client_cpu, 2),
        "server_cpu_s": round(server_cpu, 2) if server_cpu is not None else None,
        "floor_seconds": round(floor, 3),
        "floor_rows_per_s": round(rows / floor, 1) if floor else None,
        "vs_floor": round(elapsed / floor, 3) if floor else None,
        "delivered": delivered["count"],
        "exactly_once": delivered == {"count": rows, "recipients": rows},
        "latency": latency,
        "rate": f"{count}/{window:g}s",
    }


def report(result: dict) -> str:
    ratio = result["vs_floor"]
    lines = [
        f"rows             {result['rows']:,}",
        f"requests         {result['requests']} ({result['answered_429']} answered 429)",
        f"wall time        {result['seconds']:.2f} s",
        f"rows/s           {result['rows_per_s']:,.0f}",
        f"requests/s       {result['requests_per_s']:.2f}",
        f"peak RSS         {result['peak_rss_mb']:.1f} MB (the send batch process; aim "
        f"< {AIM_RSS_MB} MB)",
        f"CPU              send batch {result['client_cpu_s']:.2f} s, server "
        f"{result['server_cpu_s'] or 0:.2f} s",
        f"floor            {result['floor_seconds']:.2f} s = "
        f"{result['floor_rows_per_s'] or 0:,.0f} rows/s ({result['rate']}, "
        f"{result['latency']:g} s latency)",
        f"vs floor         {ratio:.2f}x (aim <= {AIM_RATIO}x)" if ratio else "vs floor         -",
        f"delivered        {result['delivered']:,}"
        + (" exactly once" if result["exactly_once"] else "  NOT EXACTLY ONCE"),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.15, help="seconds per request")
    parser.add_argument("--rate", default="150/10", help="COUNT/WINDOW seconds (server and "
                        "client)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="send batch --concurrency (default: its own)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = run(args.rows, args.latency, args.rate, args.concurrency)
    print(json.dumps(result, indent=2) if args.json else report(result))
    if not result["exactly_once"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
