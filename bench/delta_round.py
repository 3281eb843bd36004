#!/usr/bin/env python3
"""Benchmark: the spark-delta probe's job (a session with Delta on the cluster, the plain jobs, the
Delta round: write, read, MERGE, time travel, change feed) with the short-lived-JVM flags
(``validator.stack.spark.SHORT_LIVED_JVM``) against the same job without them (the anchor),
alternating in one run, medians of N. Each run is a whole child process, as the probe runs it.

Needs a running cluster of the local images and a folder its workers mount at the same absolute
path: e.g. the shipped stack (``--master spark://127.0.0.1:7077 --shared
/var/tmp/cdc-platform/delta-tables``, under ``flock /tmp/stack.lock``).

Usage: .venv/bin/python bench/delta_round.py --master URL --shared DIR [--driver-host ADDR] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from validator.stack.maven import default_local_repository, resolve_packages  # noqa: E402
from validator.stack.spark import read_defaults, session_conf, with_resolution  # noqa: E402

NO_FLAGS = {"spark.driver.extraJavaOptions": "", "spark.executor.extraJavaOptions": ""}


def one(master: str, driver_host: str, shared: str, extra: dict[str, str]) -> dict[str, float]:
    defaults = read_defaults(ROOT / "configs" / "spark" / "spark-defaults.conf")
    with tempfile.TemporaryDirectory(prefix="bench-delta-") as scratch:
        conf = session_conf(master, driver_host, "bench-delta-round", defaults, True, [], extra, scratch)
        resolution = resolve_packages(conf["spark.jars.packages"], default_local_repository(), [])
        if resolution.problem:
            raise SystemExit(resolution.problem)
        job = {"conf": with_resolution(conf, resolution, scratch), "ui": None, "delta_path": shared}
        began = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "validator.stack.spark_job"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            cwd=scratch,
            timeout=900,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        wall = time.perf_counter() - began
    line = next((row for row in proc.stdout.splitlines() if row.startswith("VALIDATOR-RESULT ")), None)
    if line is None:
        raise SystemExit(f"the job failed:\n{proc.stdout[-2000:]}")
    result = json.loads(line.split(" ", 1)[1])
    return {"wall": wall, "session": result["session_seconds"], "delta": result["delta"]["delta_seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--master", required=True)
    parser.add_argument("--shared", required=True, help="a folder the workers mount at the same absolute path")
    parser.add_argument("--driver-host", default="172.17.0.1", help="where executors reach this host")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    variants = {"short-lived JVM flags (shipped)": {}, "JVM defaults (anchor)": NO_FLAGS}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        for name, extra in variants.items():
            sample = one(args.master, args.driver_host, args.shared, extra)
            samples[name].append(sample)
            print(f"{name}: {sample}", flush=True)
    load_after = os.getloadavg()[0]
    lines = [
        f"spark-delta probe's job, medians of {args.runs} alternating runs (s); load average {load_before:.1f} "
        f"before, {load_after:.1f} after.",
        "",
        "| variant | wall | session | Delta round |",
        "|---|---:|---:|---:|",
    ]
    medians = {}
    for name, runs in samples.items():
        medians[name] = {key: statistics.median(run[key] for run in runs) for key in ("wall", "session", "delta")}
        m = medians[name]
        lines.append(f"| {name} | {m['wall']:.1f} | {m['session']:.1f} | {m['delta']:.1f} |")
    shipped, anchor = (medians[name]["wall"] for name in variants)
    lines += ["", f"Ratio shipped / anchor (wall): {shipped / anchor:.2f}."]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "delta_round.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
