#!/usr/bin/env python3
"""Benchmark: what a warm Spark driver would leave of the suite's Delta group — the example's 7 Delta
tests run ROUNDS times in one pytest session, so in one driver JVM and one executor (the project's
``spark_session`` fixture, on the running stack), each round's test time summed.

Round 1 is what every ``check`` pays today (a fresh driver and executor: class loading, JIT, Delta's
first use); later rounds are the same tests on a JVM that has run them before — the floor a driver
kept alive between checks could reach. If the later rounds alone exceed a time goal for the whole
main job, no amount of start-up work meets that goal with these tests on this machine.

Usage: flock /tmp/stack.lock .venv/bin/python bench/delta_rounds.py [--rounds 3]
(the stack must be up: ``validator up -f infra.yaml -f infra.offline.yaml``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cdc-platform"
DURATION = re.compile(r"^([\d.]+)s (?:call|setup|teardown)\s+test_r(\d+)_")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-delta-rounds-") as scratch:
        for number in range(1, args.rounds + 1):
            for test in sorted((EXAMPLE / "tests" / "delta").glob("test_*.py")):
                shutil.copy(test, Path(scratch) / f"test_r{number}_{test.name}")
        env = {**os.environ, "VALIDATOR_SPEC_FILES": os.pathsep.join(
            str(ROOT / name) for name in ("infra.yaml", "infra.offline.yaml"))}
        load_before = os.getloadavg()[0]
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", scratch, "-q", "-p", "no:cacheprovider", "--durations=0",
             "-o", "addopts=", "--rootdir", scratch],
            cwd=scratch, env=env, capture_output=True, text=True, timeout=1800,
        )
    if proc.returncode != 0:
        raise SystemExit(f"pytest exited {proc.returncode}:\n{proc.stdout[-3000:]}")
    rounds: dict[int, float] = defaultdict(float)
    for line in proc.stdout.splitlines():
        found = DURATION.match(line)
        if found:
            rounds[int(found.group(2))] += float(found.group(1))
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print("| round | the 7 Delta tests (s) |\n|---:|---:|")
    for number in sorted(rounds):
        print(f"| {number} | {rounds[number]:.1f} |")


if __name__ == "__main__":
    main()
