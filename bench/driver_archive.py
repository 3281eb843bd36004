#!/usr/bin/env python3
"""Benchmark: a Spark driver's start with and without the class-data archive
(``validator/stack/jvm_archive.py``), alternating, medians of N.

One sample is one process: the suite's session settings (the ``spark_session`` fixture's, from the
shipped spec, on the running stack's master), the session built, then the suite's first Delta step
(a 5-row ``format("delta")`` write through the executor and its read back): the part of the main
job's critical path that the suite's 7 Delta tests wait for before their first result. "without"
drops ``-XX:SharedArchiveFile`` from the driver's options; everything else is the same.

Usage: flock /tmp/stack.lock flock /tmp/validator-stack-tests.lock .venv/bin/python bench/driver_archive.py --runs 3
(the stack up: ``validator up -f infra.yaml -f infra.offline.yaml``; the archive built:
``python -m validator.stack.jvm_archive configs/spark/spark-defaults.conf``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = [str(ROOT / "infra.yaml"), str(ROOT / "infra.offline.yaml")]

ONE = r"""
import json, shutil, sys, tempfile, time, uuid
from validator.load import load_spec
from validator.stack.endpoints import Endpoints
from validator.stack.spark import build_session
from validator import pytest_fixtures

class Config:  # what spark_conf reads of pytest's config
    def getoption(self, key):
        return {"--infra": SPEC, "--infra-spark-delta": "auto"}[key]

SPEC = json.loads(sys.argv[1])
infra = Endpoints(load_spec(SPEC))
scratch = tempfile.mkdtemp()
conf, _ = pytest_fixtures.spark_conf(infra, Config(), scratch)
if sys.argv[2] == "without":
    options = conf["spark.driver.extraJavaOptions"].split()
    conf["spark.driver.extraJavaOptions"] = " ".join(o for o in options if "SharedArchiveFile" not in o)
began = time.perf_counter()
spark = build_session(conf)
built = time.perf_counter()
path = str(infra.delta_tables() / f"test_{uuid.uuid4().hex}")
try:
    spark.range(5).write.format("delta").save(path)
    assert spark.read.format("delta").load(path).count() == 5
    done = time.perf_counter()
finally:
    spark.stop()
    shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
print("BENCH " + json.dumps({"session": built - began, "first_delta": done - built, "total": done - began}))
"""


def one(mode: str) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", ONE, json.dumps(SPEC), mode], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            result: dict[str, float] = json.loads(line[6:])
            return result
    raise SystemExit(f"{mode}: no result (exit {proc.returncode}): {(proc.stderr or proc.stdout)[-1500:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    samples: dict[str, list[dict[str, float]]] = {"with": [], "without": []}
    for _ in range(args.runs):
        for mode in samples:
            sample = one(mode)
            samples[mode].append(sample)
            print(f"{mode}: " + ", ".join(f"{k} {v:.1f}s" for k, v in sample.items()), flush=True)
    load_after = os.getloadavg()[0]
    print(f"medians of {args.runs} alternating runs; load average {load_before:.1f} before, {load_after:.1f} after")
    for mode, runs in samples.items():
        print(f"| {mode} archive | " + " | ".join(f"{statistics.median(s[k] for s in runs):.1f}"
                                                   for k in ("session", "first_delta", "total")) + " |")
    ratio = statistics.median(s["total"] for s in samples["with"]) / statistics.median(
        s["total"] for s in samples["without"])
    print(f"Ratio with / without: {ratio:.2f}")


if __name__ == "__main__":
    main()
