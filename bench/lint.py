#!/usr/bin/env python3
"""Benchmark: ``validator lint infra.yaml`` as a whole process, beside ``check-jsonschema`` with the
committed schema on the same file, alternating, in one run. Medians of N runs; writes bench/out/lint.md.

Usage: .venv/bin/python bench/lint.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402


def timed(cmd: list[str]) -> float:
    return common.timed(cmd, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    common.compile_tree(ROOT)  # the bytecode scripts/bootstrap makes: a stale .pyc would be compiled again per command
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
        *(f"| {label} | {med[key]:.0f} | {med[key] / med['theirs']:.2f} |" for key, label in (
            ("ours", "`python -m validator lint infra.yaml` (schema + semantic rules)"),
            ("script", "`validator lint infra.yaml` (console script)"),
            ("theirs", "`check-jsonschema --schemafile schema/infra.schema.json infra.yaml` (schema only)"),
            ("floor", "floor: `python -c 'import pydantic, yaml'`"),
        )),
    ]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "lint.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
