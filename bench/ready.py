#!/usr/bin/env python3
"""Benchmark: cold ``up`` of a dependency chain to all healthy — validator with readiness by exec
(the default), validator with ``settings.ready_by_exec: false``, and Compose v2 ``up -d --wait`` —
alternating in one run on the same busybox images.

The chain: s0 <- s1 <- s2, each waiting on the one before with ``service_healthy``, health check
interval 3 s (engine 20.10 runs the first probe one interval after start, so a waiting service idles
up to an interval per link). Writes bench/out/ready.md and prints it.

Usage: .venv/bin/python bench/ready.py [--reps 3] [--interval 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import compile_tree, compose_binary, timed  # noqa: E402
from tests.harness.images import ensure_busybox_image  # noqa: E402

LINKS = 3


def services(image: str, interval: float) -> dict:
    out = {}
    for i in range(LINKS):
        svc: dict = {
            "image": image, "command": ["httpd", "-f", "-p", "8080", "-h", "/www"], "init": True,
            "stop_grace_period": "1s",
            "healthcheck": {"test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"],
                            "interval": f"{interval:g}s", "timeout": "900ms", "retries": 30},
        }
        if i:
            svc["depends_on"] = {f"s{i - 1}": {"condition": "service_healthy"}}
        out[f"s{i}"] = svc
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--interval", type=float, default=3.0)
    args = parser.parse_args()
    compile_tree(ROOT)  # the bytecode scripts/bootstrap makes: a stale .pyc would be compiled again per command
    image = ensure_busybox_image()
    times: dict[str, list[float]] = {"exec": [], "engine": [], "compose": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "benchready"
        folder.mkdir()
        svcs = services(image, args.interval)
        for mode in ("exec", "engine"):
            spec = {"version": 1, "project": f"benchready-{mode}", "services": svcs,
                    "settings": {"ready_by_exec": mode == "exec"}}
            (folder / f"{mode}.yaml").write_text(yaml.safe_dump(spec))
        (folder / "compose.yaml").write_text(yaml.safe_dump({"services": svcs}))
        compose = [compose_binary(), "-p", "benchready-c", "-f", str(folder / "compose.yaml")]
        for _ in range(args.reps):
            for mode in ("exec", "engine"):
                ours = [sys.executable, "-m", "validator"]
                times[mode].append(timed([*ours, "up", "-q", "-f", str(folder / f"{mode}.yaml")]))
                timed([*ours, "down", "-q", "-f", str(folder / f"{mode}.yaml")])
            times["compose"].append(timed([*compose, "up", "-d", "--wait"]))
            timed([*compose, "down", "-t", "1"])
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        f"Chain of {LINKS} busybox services (each waits on the previous with service_healthy), health interval "
        f"{args.interval:g} s; cold up to all healthy; medians of {args.reps} alternating runs.",
        "",
        "| tool | ratio to Compose | median (s) |",
        "|---|---:|---:|",
        f"| validator up (ready_by_exec, default) | {med['exec'] / med['compose']:.2f} | {med['exec']:.2f} |",
        f"| validator up (ready_by_exec: false) | {med['engine'] / med['compose']:.2f} | {med['engine']:.2f} |",
        f"| compose up -d --wait | 1.00 | {med['compose']:.2f} |",
    ]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ready.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
