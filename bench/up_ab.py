#!/usr/bin/env python3
"""Benchmark: this tree's ``validator up`` against another tree's, no-op and drift, on one project.

One project of N busybox HTTP services (bench/up.py's, each publishing a host port) brought up by this
tree; then no-op ``up``s of each tree alternating which goes first, then drift ``up``s (one service's
environment changed before each run), wall and CPU seconds of each process. Both trees act on the same
containers in the same minutes, so a loaded machine weighs on both alike: the A/B when a quiet run
against Compose cannot be had.

Usage: .venv/bin/python bench/up_ab.py --other /work/main [--n 50] [--noops 4] [--drifts 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import compile_tree, free_port_block, load_average, timed_cpu  # noqa: E402
from bench.up import down_ours, write  # noqa: E402
from tests.harness.images import ensure_busybox_image  # noqa: E402


def up(tree: Path, spec: str) -> tuple[float, float]:
    return timed_cpu([str(tree / ".venv" / "bin" / "python"), "-m", "validator", "up", "-q", "-f", spec], tree)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--other", required=True, help="the other tree (a checkout with its .venv)")
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--noops", type=int, default=4)
    parser.add_argument("--drifts", type=int, default=3)
    args = parser.parse_args()
    trees = {"this": ROOT, "other": Path(args.other).resolve()}
    # this tree's bytecode only: the other checkout is not ours to write into (its scripts/bootstrap
    # made its own; without it, the other tree pays a compile per command, which the figures would show)
    compile_tree(ROOT)
    image = ensure_busybox_image()
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {(t, s): [] for t in trees for s in ("noop", "drift")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / f"ab{args.n}-{os.getpid()}"
        folder.mkdir()
        base = free_port_block(args.n)
        spec = str(folder / "infra.yaml")
        write(folder, args.n, image, "a", base)
        before = load_average()
        try:
            up(trees["this"], spec)
            time.sleep(3)  # past the witness's look back: the steady no-op
            for scenario, count in (("noop", args.noops), ("drift", args.drifts)):
                for i in range(count):
                    for name in list(trees) if i % 2 == 0 else list(trees)[::-1]:
                        if scenario == "drift":
                            write(folder, args.n, image, f"d{i}{name}", base)
                        runs[(name, scenario)].append(up(trees[name], spec))
        finally:
            down_ours(folder)
    print(f"N = {args.n}, this tree {ROOT} against {trees['other']}, load {before}-{load_average()}")
    for (name, scenario), values in runs.items():
        walls = [w for w, _ in values]
        print(f"{scenario:5s} {name:5s} wall median {statistics.median(walls):.2f} s, CPU median "
              f"{statistics.median(c for _, c in values):.2f} s, walls {[round(w, 2) for w in walls]}")


if __name__ == "__main__":
    main()
