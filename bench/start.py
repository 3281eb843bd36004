#!/usr/bin/env python3
"""Benchmark: what each command pays before its first useful call — imports, per command, for this
tree and for a baseline tree (another checkout's ``validator`` package), alternating in one run.

For each command: the sum of ``python -X importtime`` self times (ms) and which heavy packages it
loaded (the Docker SDK, requests, rich, pyspark), and the whole process's wall time. Medians of N.
``plan`` reads the engine but changes nothing; ``lint`` and ``schema`` never contact it.

Usage: .venv/bin/python bench/start.py [--runs 7] --baseline DIR   (DIR holds a validator/ package)
Both trees get their bytecode compiled first (``bench.common.compile_tree``), as bootstrap does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import compile_tree  # noqa: E402

HEAVY = ("docker", "requests", "rich", "pyspark", "pydantic")
COMMANDS = {
    "lint": ["lint", "infra.yaml"],
    "schema": ["schema"],
    "plan": ["plan", "-f", "infra.yaml", "-f", "infra.offline.yaml"],
}


def measure(tree: Path, argv: list[str]) -> tuple[float, float, set[str]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    began = time.perf_counter()
    # -P: ``-m`` would otherwise put the working folder (this tree) before PYTHONPATH, so the
    # baseline would run this tree's code
    result = subprocess.run([sys.executable, "-P", "-X", "importtime", "-m", "validator", *argv], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    wall = time.perf_counter() - began
    if result.returncode not in (0, 1):
        raise SystemExit(f"{argv} under {tree} failed ({result.returncode}): {result.stderr[-2000:]}")
    total, loaded = 0, set()
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, _, name = (part.strip() for part in line.replace("import time:", "|", 1).split("|"))
        total += int(self_us)
        top = name.split(".")[0]
        if top in HEAVY:
            loaded.add(top)
    return total / 1000, wall, loaded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path, required=True, help="folder holding the baseline validator/")
    args = parser.parse_args()
    trees = {"baseline": args.baseline.resolve(), "this": ROOT}
    for tree in trees.values():
        compile_tree(tree)
    data: dict[tuple[str, str], list[tuple[float, float]]] = {}
    heavy: dict[tuple[str, str], set[str]] = {}
    for _ in range(args.runs):
        for command, argv in COMMANDS.items():
            for label, tree in trees.items():
                imports, wall, loaded = measure(tree, argv)
                data.setdefault((label, command), []).append((imports, wall))
                heavy[(label, command)] = loaded
    lines = [
        f"Imports and wall time per command, medians of {args.runs} alternating runs (ms); "
        "ratio = this tree / baseline.",
        "",
        "| command | imports this | imports baseline | ratio | wall this | wall baseline | ratio | heavy (this) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for command in COMMANDS:
        mine = data[("this", command)]
        base = data[("baseline", command)]
        im, ib = statistics.median(x[0] for x in mine), statistics.median(x[0] for x in base)
        wm, wb = statistics.median(x[1] for x in mine) * 1000, statistics.median(x[1] for x in base) * 1000
        lines.append(f"| {command} | {im:.0f} | {ib:.0f} | {im / ib:.2f} | {wm:.0f} | {wb:.0f} | {wm / wb:.2f} | "
                     f"{', '.join(sorted(heavy[('this', command)])) or '-'} |")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "start.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
