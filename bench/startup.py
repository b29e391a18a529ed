"""Start-up time of the CLI: median wall time of N runs of each command, side by side.

    python bench/startup.py            # 20 runs each, a table on stdout
    python bench/startup.py --runs 50 --check   # exit 1 when over budget
    python bench/startup.py --json

Budgets (a 2-core machine): --version and TAB completion under 100 ms,
--help of any group under 200 ms. `python -c pass` is the floor.
Runs are interleaved (one of each, then again) so background load hits every
command alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def entry_point() -> list[str]:
    """The installed `mailtrap` script next to this Python, else `python -m mailtrap_cli`."""
    script = Path(sys.executable).parent / "mailtrap"
    if script.exists():
        return [str(script)]
    found = shutil.which("mailtrap")
    return [found] if found else [sys.executable, "-m", "mailtrap_cli"]


def cases() -> list[dict]:
    cli = entry_point()
    tab = {"_MAILTRAP_COMPLETE": "complete_bash", "COMP_WORDS": "mailtrap sandbox m",
           "COMP_CWORD": "2"}
    tab_option = {"_MAILTRAP_COMPLETE": "complete_bash",
                  "COMP_WORDS": "mailtrap sandbox messages list --l", "COMP_CWORD": "4"}
    return [
        {"name": "python -c pass", "argv": [sys.executable, "-c", "pass"], "budget": None},
        {"name": "mailtrap --version", "argv": [*cli, "--version"], "budget": 100,
         "expect": "mailtrap-cli "},
        {"name": "TAB: mailtrap sandbox m<TAB>", "argv": cli, "env": tab, "budget": 100,
         "expect": "messages"},
        {"name": "TAB: ... messages list --l<TAB>", "argv": cli, "env": tab_option,
         "budget": 100, "expect": "--limit"},
        {"name": "mailtrap --help", "argv": [*cli, "--help"], "budget": 200,
         "expect": "Commands"},
        {"name": "mailtrap sandbox --help", "argv": [*cli, "sandbox", "--help"], "budget": 200,
         "expect": "messages"},
    ]


def run_once(case: dict, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(case["argv"], env={**env, **case.get("env", {})},
                          capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    return elapsed, proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else \
        f"exit {proc.returncode}: {proc.stderr.decode('utf-8', 'replace')[-500:]}"


def measure(runs: int, warmup: int = 2) -> list[dict]:
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILTRAP_", "_MAILTRAP"))}
        env.update({"MAILTRAP_CONFIG_DIR": home, "MAILTRAP_DATA_DIR": home,
                    "PYTHONDONTWRITEBYTECODE": ""})
        all_cases = cases()
        for case in all_cases:
            _, output = run_once(case, env)
            expect = case.get("expect")
            if expect and expect not in output:
                raise SystemExit(f"{case['name']}: expected {expect!r} in its output, got "
                                 f"{output[:500]!r}")
            case["sample"] = output.split("\n")[:6]
            for _ in range(warmup - 1):
                run_once(case, env)
        times: dict[str, list[float]] = {c["name"]: [] for c in all_cases}
        for _ in range(runs):
            for case in all_cases:
                times[case["name"]].append(run_once(case, env)[0])
    results = []
    for case in all_cases:
        samples = times[case["name"]]
        median = statistics.median(samples) * 1000
        results.append({
            "command": case["name"], "median_ms": round(median, 1),
            "min_ms": round(min(samples) * 1000, 1), "max_ms": round(max(samples) * 1000, 1),
            "budget_ms": case["budget"],
            "ok": case["budget"] is None or median <= case["budget"],
        })
    return results


def table(results: list[dict], runs: int) -> str:
    header = ("command", "median ms", "min ms", "max ms", "budget ms", "")
    rows = [header] + [
        (r["command"], f"{r['median_ms']:.1f}", f"{r['min_ms']:.1f}", f"{r['max_ms']:.1f}",
         "-" if r["budget_ms"] is None else str(r["budget_ms"]),
         "" if r["budget_ms"] is None else ("ok" if r["ok"] else "OVER"))
        for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"median wall time of {runs} runs, {os.cpu_count()} CPUs, "
             f"Python {sys.version.split()[0]}"]
    for row in rows:
        cells = [cell.ljust(w) if i == 0 else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when over budget")
    args = parser.parse_args()
    results = measure(max(1, args.runs))
    print(json.dumps(results, indent=2) if args.json else table(results, args.runs))
    if args.check and not all(r["ok"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
