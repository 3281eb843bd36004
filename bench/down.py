#!/usr/bin/env python3
"""Benchmark: ``validator down`` against Docker Compose v2 (``down``) on the same running services.

N busybox HTTP services that ignore SIGTERM (httpd as PID 1, no init) with ``stop_grace_period``
2 s, as many real services are slow to stop: each tool brings its own copy up (not timed), then
its ``down`` is timed; the tools alternate within every repetition. Two shapes: independent
services, and a fan (every service but s0 depends on s0, so s0 stops one grace period later).
Floor: ``docker stop`` + ``docker rm`` of one such container, measured in the same run. Each shape is
taken down twice per repetition and tool: from its file (``-f``), and by name alone (``-p NAME``, no
file: validator from its labels, Compose from its own).

Start-up, in the same run: each tool's ``down`` with nothing to stop (its start, spec and one list
call), and what a Python process pays before it could call the engine at all (the interpreter, then
``http.client`` + ``json`` + ``yaml``, then also ``pydantic``: the least a Python client that
validates its spec with pydantic loads). From these: the ratio of the phases after start-up
((validator - its start) / (Compose - its start)), and the best ratio any such Python client could
reach ((Compose - Compose's start + the Python floor) / Compose).
Writes bench/out/down.md and down.json and prints the table.

Usage: .venv/bin/python bench/down.py [--reps 5] [--services 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import compile_tree, compose_binary, timed  # noqa: E402
from validator.testing.images import ensure_busybox_image  # noqa: E402

GRACE = "2s"


def service(image: str, index: int, fan: bool) -> dict:
    svc: dict = {"image": image, "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
                 "stop_grace_period": GRACE, "environment": {"INDEX": str(index)}}
    if fan and index > 0:
        svc["depends_on"] = ["s0"]
    return svc


def write(folder: Path, n: int, image: str, fan: bool) -> None:
    services = {f"s{i}": service(image, i, fan) for i in range(n)}
    (folder / "infra.yaml").write_text(yaml.safe_dump({"version": 1, "project": folder.name, "services": services}))
    (folder / "compose.yaml").write_text(yaml.safe_dump({"services": services}))


def ours(folder: Path, verb: str) -> list[str]:
    if verb == "down -p":  # no spec: the engine's labels alone
        return [sys.executable, "-m", "validator", "down", "-q", "-p", folder.name]
    return [sys.executable, "-m", "validator", verb, "-q", "-f", str(folder / "infra.yaml")]


def theirs(folder: Path, verb: str) -> list[str]:
    if verb == "down -p":  # Compose without a file: its project from the containers' labels
        return [compose_binary(), "-p", folder.name + "-c", "down"]
    tail = ["up", "-d", "--wait"] if verb == "up" else ["down"]
    return [compose_binary(), "-p", folder.name + "-c", "-f", str(folder / "compose.yaml"), *tail]


def floor(image: str) -> float:
    name = f"bench-down-floor-{time.monotonic_ns()}"
    subprocess.run(["docker", "run", "-d", "--name", name, "--stop-timeout", GRACE.rstrip("s"), image,
                    "httpd", "-f", "-p", "8080", "-h", "/www"], check=True, capture_output=True)
    try:
        return timed(["docker", "stop", name]) + timed(["docker", "rm", name])
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


# What a Python client loads before its first engine call, cheapest first.
PYTHON_FLOORS = {
    "interpreter": "pass",
    "+ http.client, json, yaml": "import http.client, json, yaml",
    "+ pydantic": "import http.client, json, yaml, pydantic",
}


def start_costs(folder: Path, reps: int) -> dict[str, list[float]]:
    """Alternating, ``reps`` times: each tool's down with nothing to stop, and the Python floors."""
    cmds = {
        "validator down, nothing to stop": ours(folder, "down"),
        "compose down, nothing to stop": theirs(folder, "down"),
        **{f"python: {k}": [sys.executable, "-c", code] for k, code in PYTHON_FLOORS.items()},
    }
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(reps):
        for key, cmd in cmds.items():
            times[key].append(timed(cmd))
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--services", type=int, default=5)
    args = parser.parse_args()
    compile_tree(ROOT)  # the bytecode scripts/bootstrap makes: a stale .pyc would be compiled again per command
    image = ensure_busybox_image()
    n = args.services
    raw: dict[str, dict[str, list[float]]] = {}
    floors: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for shape in ("independent", "fan"):
            folder = Path(tmp) / f"benchdown-{shape}"
            folder.mkdir()
            write(folder, n, image, shape == "fan")
            times: dict[str, list[float]] = {"ours": [], "compose": [], "ours -p": [], "compose -p": []}
            for _ in range(args.reps):
                for tool, cmd in (("ours", ours), ("compose", theirs)):
                    for verb in ("down", "down -p"):
                        timed(cmd(folder, "up"))
                        times[tool if verb == "down" else f"{tool} -p"].append(timed(cmd(folder, verb)))
                floors.append(floor(image))
            raw[shape] = times
        empty = Path(tmp) / "benchdown-empty"
        empty.mkdir()
        write(empty, n, image, False)
        starts = start_costs(empty, max(args.reps, 7))
    start = {k: statistics.median(v) for k, v in starts.items()}
    v0, c0 = start["validator down, nothing to stop"], start["compose down, nothing to stop"]
    python_floor = start["python: + pydantic"]
    med_floor = statistics.median(floors)
    engine = subprocess.run(["docker", "version", "-f", "{{.Server.Version}} (API {{.Server.APIVersion}})"],
                            capture_output=True, text=True).stdout.strip()
    version = subprocess.run([compose_binary(), "version", "--short"], capture_output=True, text=True).stdout.strip()
    rows = []
    for shape, times in raw.items():
        o, c = statistics.median(times["ours"]), statistics.median(times["compose"])
        rows.append(f"| {n} {shape}, -f FILE | {o / c:.2f} | {o:.2f} | {c:.2f} | {o / med_floor:.2f} | "
                    f"{(o - v0) / (c - c0):.2f} | {(c - c0 + python_floor) / c:.3f} |")
        o, c = statistics.median(times["ours -p"]), statistics.median(times["compose -p"])
        rows.append(f"| {n} {shape}, -p NAME (no file) | {o / c:.2f} | {o:.2f} | {c:.2f} | {o / med_floor:.2f} "
                    "| | |")
    lines = [
        f"Engine {engine}; Compose {version}; {n} busybox httpd services ignoring SIGTERM, stop_grace_period "
        f"{GRACE}; medians of {args.reps} alternating runs; ratio = validator / Compose (lower is better).",
        "",
        "| services | ratio | validator down (s) | compose down (s) | validator / floor "
        "| after start-up: validator / Compose | best ratio for a Python client |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Start-up (medians of {max(args.reps, 7)}, alternating): "
        + "; ".join(f"{k} {1000 * v:.0f} ms" for k, v in start.items()) + ".",
        "",
        f"Floor: `docker stop` + `docker rm` of one such container: median {med_floor:.2f} s "
        "(the fan's floor is two grace periods).",
    ]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "down.md").write_text("\n".join(lines) + "\n")
    (out / "down.json").write_text(json.dumps({"raw": raw, "floor": floors, "start": starts}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
