#!/usr/bin/env python3
"""Benchmark: the main job — a warm ``check`` of the shipped checklist (``infra.yaml`` with
``infra.offline.yaml``; the stack already runs, so ``up`` changes nothing) — for this tree and for a
baseline revision, alternating in one run, medians of N.

Each run is a whole ``python -m validator check --no-progress`` process. Per run: wall time, when
each stage header appeared (the plain display's timestamps), the slowest probe, the suite's own
wall time, and the verdict (counts and exit code, which must be the same for both trees). The
load average is printed before and after, since the machine is shared.

Usage: .venv/bin/python bench/main_job.py [--runs 3] [--baseline-rev 916a14f]
(the baseline's ``validator`` package is taken with ``git archive`` into a temporary folder). The
baseline must know every probe kind of the shipped spec: from issue 23 on (kind ``cdc``) that is a
revision with that kind, e.g. ``--baseline-rev HEAD`` for this tree's absolute figures.
With ``--sampling``, the anchor is this tree with ``settings.sample_usage: false`` (an overlay)
instead of a baseline revision: what sampling memory and CPU over the run costs the main job.
Run it under ``flock /tmp/stack.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import compile_tree  # noqa: E402

SPEC = ["-f", "infra.yaml", "-f", "infra.offline.yaml"]
STAGE = re.compile(r"^\[\s*([\d.]+)s\] == (.+)$")


def one(tree: Path, overlay: list[str] | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    began = time.perf_counter()
    proc = subprocess.run(
        # -P: ``-m`` would otherwise put the working folder (this tree) before PYTHONPATH, and the
        # baseline would silently run this tree's code
        [sys.executable, "-P", "-m", "validator", "check", *SPEC, *(overlay or []), "--no-progress"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    wall = time.perf_counter() - began
    if proc.returncode not in (0, 1):  # 2: the tree cannot load the spec (e.g. a probe kind it predates)
        raise SystemExit(f"{tree}: check exited {proc.returncode}: {(proc.stderr or proc.stdout)[-1500:]}")
    stages = {}
    for line in proc.stdout.splitlines():
        found = STAGE.match(line)
        if found:
            stages[found.group(2).split(" (")[0]] = float(found.group(1))
    report = json.loads((ROOT / "reports" / "result.json").read_text())
    run = report["run"]
    probes = [r for r in run["results"] if r["kind"] == "probe"]
    slowest = max(probes, key=lambda r: r.get("duration") or 0.0)
    return {
        "wall": wall,
        "exit": proc.returncode,
        "counts": report["counts"],
        "stages": stages,
        "slowest_probe": (slowest["name"], slowest.get("duration") or 0.0),
        "suite": next((e["low"] for e in run["evidence"] if e["key"] == SUITE_DURATION), None),
        # the parts of the critical path: every probe over a second, the suite's groups
        "parts": {
            f"{r['kind']} {r['name']}": round(r.get("duration") or 0.0, 1)
            for r in run["results"]
            if r["kind"] in ("probe", "group") and (r.get("duration") or 0.0) > 1.0
        },
    }


SUITE_DURATION = {"family": "suite", "member": "main", "field": "duration"}


def verdict(sample: dict) -> str:
    counts = sample["counts"]  # the JSON report's verdict -> number of results
    shown = ", ".join(f"{number} {verdict}" for verdict, number in sorted(counts.items()))
    return f"{shown}; exit {sample['exit']}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-rev", default="916a14f", help="git revision whose validator/ is the baseline")
    parser.add_argument("--sampling", action="store_true", help="anchor: this tree with sample_usage off")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-main-job-") as scratch:
        anchor = "sampling off" if args.sampling else f"baseline {args.baseline_rev}"
        overlays: dict[str, list[str]] = {}
        if args.sampling:
            off = Path(scratch) / "sampling-off.yaml"
            off.write_text("settings:\n  sample_usage: false\n")
            trees = {anchor: ROOT, "this tree": ROOT}
            overlays[anchor] = ["-f", str(off)]
        else:
            archive = subprocess.run(["git", "archive", args.baseline_rev, "validator"], cwd=ROOT,
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
            trees = {anchor: Path(scratch), "this tree": ROOT}
        for tree in trees.values():
            compile_tree(tree)
        load_before = os.getloadavg()
        one(ROOT)  # a first run warms what the stack and the page cache still lack; not counted
        samples: dict[str, list[dict]] = {label: [] for label in trees}
        for _ in range(args.runs):
            for label, tree in trees.items():
                sample = one(tree, overlays.get(label))
                samples[label].append(sample)
                print(f"{label}: {sample['wall']:.1f}s, {verdict(sample)}, stages {sample['stages']}, "
                      f"slowest probe {sample['slowest_probe'][0]} {sample['slowest_probe'][1]:.1f}s, "
                      f"suite {sample['suite'] or 0:.1f}s, parts {sample['parts']}", flush=True)
        load_after = os.getloadavg()
    lines = [
        f"Warm `check` of the shipped checklist, medians of {args.runs} alternating runs (s); load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after.",
        "",
        "| tree | wall | up done | suite starts | suite | slowest probe | verdict |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    medians = {}
    for label, runs in samples.items():
        wall = statistics.median(s["wall"] for s in runs)
        medians[label] = wall
        probes_at = statistics.median(min(s["stages"].get("probes", 0.0), s["stages"].get("suite main", 0.0))
                                      for s in runs)
        suite_at = statistics.median(s["stages"].get("suite main", 0.0) for s in runs)
        suite = statistics.median(s["suite"] or 0.0 for s in runs)
        name = runs[0]["slowest_probe"][0]
        probe = statistics.median(s["slowest_probe"][1] for s in runs)
        verdicts = sorted({verdict(s) for s in runs})
        lines.append(f"| {label} | {wall:.1f} | {probes_at:.1f} | {suite_at:.1f} | {suite:.1f} | {name} {probe:.1f} | "
                     f"{' / '.join(verdicts)} |")
    base, this = medians[anchor], medians["this tree"]
    lines += ["", f"Ratio this / {anchor}: {this / base:.2f}."]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / ("main_job_sampling.md" if args.sampling else "main_job.md")).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
