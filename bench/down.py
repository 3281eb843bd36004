#!/usr/bin/env python3
"""Benchmark: ``validator down`` against Docker Compose v2 (``down``) on the same running services.

N busybox HTTP services (N = 5 and 50 by default) that ignore SIGTERM (httpd as PID 1, no init)
with ``stop_grace_period`` 2 s, as many real services are slow to stop, each publishing its own
host port (``127.0.0.1:PORT:8080``; ``--no-ports`` for none): each tool brings its own copy up (not
timed), then its ``down`` is timed; the tools alternate within every repetition, and which goes
first alternates too. Two shapes: independent services, and a fan (every service but s0 depends on
s0, so s0 stops one grace period later). The load average is printed beside each size.
Floor: ``docker stop`` + ``docker rm`` of one such container, measured in the same run.
Each shape is taken down twice per repetition and tool: from its file (``-f``), and by name alone
(``-p NAME``, no file: validator from its labels, Compose from its own).

Start-up, in the same run: each tool's ``down`` with nothing to stop (its start, spec and one list
call), and what a Python process pays before it could call the engine at all (the interpreter, then
``http.client`` + ``json`` + ``yaml``, then also ``pydantic``: the least a Python client that
validates its spec with pydantic loads). From these: the ratio of the phases after start-up
((validator - its start) / (Compose - its start)), and the best ratio any such Python client could
reach ((Compose - Compose's start + the Python floor) / Compose).
Writes bench/out/down.md and down.json and prints the table.

Usage: .venv/bin/python bench/down.py [--reps 3] [--sizes 5,50] [--no-ports]
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

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RunFailed, compile_tree, compose_binary, free_port_block, load_average, timed  # noqa: E402
from tests.harness.images import ensure_busybox_image  # noqa: E402

GRACE = "2s"


def service(image: str, index: int, fan: bool, port: int | None) -> dict:
    svc: dict = {"image": image, "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
                 "stop_grace_period": GRACE, "environment": {"INDEX": str(index)}}
    if fan and index > 0:
        svc["depends_on"] = ["s0"]
    if port is not None:
        svc["ports"] = [f"127.0.0.1:{port}:8080"]
    return svc


def write(folder: Path, n: int, image: str, fan: bool, base_port: int | None = None) -> None:
    services = {f"s{i}": service(image, i, fan, None if base_port is None else base_port + i) for i in range(n)}
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
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sizes", default="5,50")
    parser.add_argument("--no-ports", action="store_true", help="services publish no host port")
    args = parser.parse_args()
    compile_tree(ROOT)  # the bytecode scripts/bootstrap makes: a stale .pyc would be compiled again per command
    image = ensure_busybox_image()
    sizes = [int(n) for n in args.sizes.split(",")]
    raw: dict[str, dict[str, list[float]]] = {}
    measured: list[tuple[int, str, dict[str, list[float]]]] = []  # (services, shape, times)
    loads: dict[int, str] = {}
    failures: list[str] = []
    floors: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            base_port = None if args.no_ports else free_port_block(n)
            before = load_average()
            for shape in ("independent", "fan"):
                folder = Path(tmp) / f"benchdown{n}-{shape}-{os.getpid()}"  # names no earlier run left
                folder.mkdir()
                write(folder, n, image, shape == "fan", base_port)
                times: dict[str, list[float]] = {"ours": [], "compose": [], "ours -p": [], "compose -p": []}
                for rep in range(args.reps):
                    tools = [("ours", ours), ("compose", theirs)]
                    for tool, cmd in tools if rep % 2 == 0 else tools[::-1]:  # which goes first alternates too
                        try:
                            for verb in ("down", "down -p"):
                                timed(cmd(folder, "up"))
                                times[tool if verb == "down" else f"{tool} -p"].append(timed(cmd(folder, verb)))
                        except RunFailed as exc:  # counted and shown; what it left is taken down
                            failures.append(f"{n} {shape}, run {rep + 1}, {tool}: {str(exc).strip().splitlines()[-1]}")
                            print(failures[-1], file=sys.stderr)
                            subprocess.run(cmd(folder, "down"), capture_output=True, timeout=600)
                    floors.append(floor(image))
                raw[f"{n} {shape}"] = times
                measured.append((n, shape, times))
            loads[n] = f"{before}-{load_average()}"
        empty = Path(tmp) / f"benchdown-empty-{os.getpid()}"
        empty.mkdir()
        write(empty, sizes[0], image, False)
        starts = start_costs(empty, max(args.reps, 7))
    start = {k: statistics.median(v) for k, v in starts.items()}
    v0, c0 = start["validator down, nothing to stop"], start["compose down, nothing to stop"]
    python_floor = start["python: + pydantic"]
    med_floor = statistics.median(floors)
    engine = subprocess.run(["docker", "version", "-f", "{{.Server.Version}} (API {{.Server.APIVersion}})"],
                            capture_output=True, text=True).stdout.strip()
    version = subprocess.run([compose_binary(), "version", "--short"], capture_output=True, text=True).stdout.strip()
    rows = []
    for n, shape, times in measured:
        if not times["ours"] or not times["compose"]:
            rows.append(f"| {n} {shape} | (a tool failed every run: see below) | | | | | | {loads[n]} |")
            continue
        o, c = statistics.median(times["ours"]), statistics.median(times["compose"])
        rows.append(f"| {n} {shape}, -f FILE | {o / c:.2f} | {o:.2f} | {c:.2f} | {o / med_floor:.2f} | "
                    f"{(o - v0) / (c - c0):.2f} | {(c - c0 + python_floor) / c:.3f} | {loads[n]} |")
        if times["ours -p"] and times["compose -p"]:
            o, c = statistics.median(times["ours -p"]), statistics.median(times["compose -p"])
            rows.append(f"| {n} {shape}, -p NAME (no file) | {o / c:.2f} | {o:.2f} | {c:.2f} | {o / med_floor:.2f} "
                        f"| | | {loads[n]} |")
    published = "no published port" if args.no_ports else "each publishing its own host port"
    lines = [
        f"Engine {engine}; Compose {version}; busybox httpd services ignoring SIGTERM, stop_grace_period "
        f"{GRACE}, {published}; medians of {args.reps} runs alternating the tools and which goes first; "
        f"ratio = validator / Compose (lower is better).",
        "",
        "| services | ratio | validator down (s) | compose down (s) | validator / floor "
        "| after start-up: validator / Compose | best ratio for a Python client | load average |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"Start-up (medians of {max(args.reps, 7)}, alternating): "
        + "; ".join(f"{k} {1000 * v:.0f} ms" for k, v in start.items()) + ".",
        "",
        f"Floor: `docker stop` + `docker rm` of one such container: median {med_floor:.2f} s "
        "(the fan's floor is two grace periods).",
        *([f"Failed runs (left out of the medians): {len(failures)}"] + [f"- {f}" for f in failures]
          if failures else []),
    ]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "down.md").write_text("\n".join(lines) + "\n")
    summary = {"raw": raw, "floor": floors, "start": starts, "load": loads, "failures": failures}
    (out / "down.json").write_text(json.dumps(summary, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
