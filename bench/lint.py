#!/usr/bin/env python3
"""Benchmark: ``validator lint infra.yaml`` as a whole process, beside ``check-jsonschema`` with the
committed schema on the same file, alternating, in one run. Medians of N runs; writes bench/out/lint.md.

Usage: .venv/bin/python bench/lint.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> float:
    began = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"{cmd} failed: {result.stdout.decode()} {result.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    ours = [sys.executable, "-m", "validator", "lint", "infra.yaml"]
    script = [str(bindir / "validator"), "lint", "infra.yaml"]
    theirs = [str(bindir / "check-jsonschema"), "--schemafile", "schema/infra.schema.json", "infra.yaml"]
    floor = [sys.executable, "-c", "import pydantic, yaml"]
    times: dict[str, list[float]] = {"ours": [], "script": [], "theirs": [], "floor": []}
    for _ in range(2):  # warm the page cache
        timed(ours), timed(theirs)
    for _ in range(args.runs):
        times["ours"].append(timed(ours))
        times["script"].append(timed(script))
        times["theirs"].append(timed(theirs))
        times["floor"].append(timed(floor))
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    lines = [
        f"`infra.yaml` ({len((ROOT / 'infra.yaml').read_text().splitlines())} lines), whole processes, median of "
        f"{args.runs} alternating runs.",
        "",
        "| command | median (ms) | ratio to check-jsonschema |",
        "|---|---:|---:|",
        f"| `python -m validator lint infra.yaml` (schema + semantic rules) | {med['ours']:.0f} | {med['ours'] / med['theirs']:.2f} |",
        f"| `validator lint infra.yaml` (console script) | {med['script']:.0f} | {med['script'] / med['theirs']:.2f} |",
        f"| `check-jsonschema --schemafile schema/infra.schema.json infra.yaml` (schema only) | {med['theirs']:.0f} | 1.00 |",
        f"| floor: `python -c 'import pydantic, yaml'` | {med['floor']:.0f} | {med['floor'] / med['theirs']:.2f} |",
    ]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "lint.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
