"""`contacts import` of N rows against the built-in server: time beside the rate floor, memory.

    python bench/contacts_import.py                    # 1,000,000 rows
    python bench/contacts_import.py --rows 100000 --json

The server runs in its own process (`mailtrap local serve --port 0 --db :memory:`)
with the contacts API's rate limit (200 requests per 60 s, as upstream, when
the server supports it; see --rate) and 150 ms per request; N rows (email and
two typed fields) go to a temporary CSV; `mailtrap contacts import FILE
--wait` runs as a subprocess. Reported: wall time, rows/s, the import requests,
the peak RSS of the import process (wait4 rusage), CPU of both processes, and
the floor: R = ceil(N / 50,000) imports, each a POST and two polls (the
server answers `started` once), at most COUNT requests per WINDOW, each taking
LATENCY; the server's own processing (its CPU) comes on top. Every contact is
then counted on the server.

Aims: peak RSS flat in N (< 150 MB at 1,000,000 rows); client time well under
the server's processing time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bulk import floor_seconds, parse_rate, process_cpu, start_server  # noqa: E402

CHUNK = 50_000
AIM_RSS_MB = 150


def write_rows(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("email,first_name,score\n")
        for i in range(1, rows + 1):
            handle.write(f"user{i}@example.com,User {i},{i}\n")


def run(rows: int, latency: float, rate: str) -> dict:
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
            http.post(url + "/_local/config", json={"latency": latency},
                      timeout=10).raise_for_status()
            # The contacts limit, where the server enforces family limits.
            http.post(url + "/_local/config", json={
                "family_limits": {"contacts": f"sliding:{count}/{window:g}s"}}, timeout=10)
            for name, kind in (("first_name", "text"), ("score", "integer")):
                http.post(url + "/api/contacts/fields", json={
                    "name": name, "data_type": kind, "merge_tag": name}, timeout=10)
            csv_path = folder / "rows.csv"
            write_rows(csv_path, rows)
            argv = [sys.executable, "-m", "mailtrap_cli", "contacts", "import", str(csv_path),
                    "--wait", "--interval", "0.2", "--timeout", "7200", "-o", "json"]
            run_env = dict(env, MAILTRAP_PROFILE="local", MAILTRAP_BASE_URL=url)
            started = time.perf_counter()
            proc = subprocess.Popen(argv, env=run_env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            out, err = proc.communicate()
            elapsed = time.perf_counter() - started
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            server_cpu = process_cpu(server.pid)
            if proc.returncode != 0:
                raise SystemExit(f"contacts import exited {proc.returncode}:\n"
                                 f"{err.decode(errors='replace')[-2000:]}")
            summary = json.loads(out)
            log = http.get(url + "/_local/requests", params={"path": "/api/contacts"},
                           timeout=60).json()
        finally:
            server.terminate()
            server.wait(timeout=10)
    imports = math.ceil(rows / CHUNK)
    floor = floor_seconds(imports * 3, count, window, latency) + (imports * 3 - 1) * latency
    return {
        "rows": rows,
        "imports": len(summary["imports"]),
        "requests": len(log),
        "answered_429": sum(1 for entry in log if entry["status"] == 429),
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "server_cpu_s": round(server_cpu, 2) if server_cpu is not None else None,
        "floor_seconds": round(floor, 2),
        "created": summary.get("created"),
        "all_counted": summary.get("created") == rows,
        "latency": latency, "rate": f"{count}/{window:g}s",
    }


def report(result: dict) -> str:
    return "\n".join([
        f"rows             {result['rows']:,} in {result['imports']} imports",
        f"requests         {result['requests']} ({result['answered_429']} answered 429)",
        f"wall time        {result['seconds']:.2f} s ({result['rows_per_s']:,.0f} rows/s)",
        f"peak RSS         {result['peak_rss_mb']:.1f} MB (the import process; aim "
        f"< {AIM_RSS_MB} MB)",
        f"CPU              import {result['client_cpu_s']:.2f} s, server "
        f"{result['server_cpu_s'] or 0:.2f} s",
        f"rate floor       {result['floor_seconds']:.2f} s ({result['rate']}, "
        f"{result['latency']:g} s latency), plus the server's processing",
        f"created          {result['created']:,}"
        + ("" if result["all_counted"] else "  NOT ALL COUNTED"),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--latency", type=float, default=0.15, help="seconds per request")
    parser.add_argument("--rate", default="200/60", help="contacts limit COUNT/WINDOW")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = run(args.rows, args.latency, args.rate)
    print(json.dumps(result, indent=2) if args.json else report(result))
    if not result["all_counted"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
