#!/usr/bin/env python3
"""Benchmark: what sampling memory and CPU (issue 26) costs.

1. The engine's side, the choice ``engine/stats.py`` made: N idle busybox containers, sampled for a
   window either not at all, by one-shot calls (``stream=0&one-shot=1``, one round a second), or by
   one stats stream per container; per mode the engine's CPU (dockerd, containerd and the shims,
   from /proc) over the window, the samples received, and the latency of a one-shot call.
   Alternating, medians of ``--reps``.
2. ``check``'s side: a project of N busybox services with health checks and a suite that lasts a few
   seconds, a warm ``check`` (nothing to change) with ``settings.sample_usage`` on and off,
   alternating, medians of wall time; the ratio on / off.

Usage: .venv/bin/python bench/usage.py [--containers 6] [--window 15] [--reps 3] [--runs 5]
       [--engine-root DIR] (with DOCKER_HOST=unix://DIR/docker.sock: a private engine, whose
       processes alone are counted)
The machine is shared: the load average is printed before and after, and figures move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import compile_tree  # noqa: E402
from tests.harness.images import ensure_busybox_image  # noqa: E402
from validator.engine import labels as L  # noqa: E402
from validator.engine.docker_api import Engine  # noqa: E402

ENGINE_PROCESSES = ("dockerd", "containerd", "containerd-shim-runc-v2", "containerd-shim")


# With --engine-root (a private engine: its dockerd, containerd and shims name that folder on their
# command lines), only that engine's processes count; else every engine process on the machine.
ENGINE_ROOT = ""


def engine_cpu() -> dict[int, float]:
    """CPU seconds each of the engine's processes (dockerd, containerd, the shims) has used so far."""
    out, tick = {}, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes() if ENGINE_ROOT else b""
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if ENGINE_ROOT and ENGINE_ROOT.encode() not in command:
            continue
        if name in ENGINE_PROCESSES or name.startswith("containerd-shim"):
            fields = stat[stat.rindex(")") + 2 :].split()
            out[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def used_since(before: dict[int, float]) -> float:
    """CPU seconds the engine used since ``before``, process by process: a shim that ended in between
    (another session's container) must not count as negative (what it used in between is lost)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in engine_cpu().items())


def idle(engine: Engine, ids: list[str], stop: threading.Event, out: dict) -> None:
    stop.wait()


def one_shot(engine: Engine, ids: list[str], stop: threading.Event, out: dict) -> None:
    while not stop.is_set():
        began = time.monotonic()
        for cid in ids:
            if stop.is_set():
                return
            asked = time.monotonic()
            engine.call("stats", "GET", "/containers/{0}/stats", cid, params={"stream": False, "one-shot": True})
            out["latency"].append(time.monotonic() - asked)
            out["samples"] += 1
        stop.wait(max(0.0, 1.0 - (time.monotonic() - began)))


def streams(engine: Engine, ids: list[str], stop: threading.Event, out: dict) -> None:
    opened = [engine.stats(cid) for cid in ids]
    lock = threading.Lock()

    def read(stream: object) -> None:
        for _ in stream:  # type: ignore[attr-defined]
            with lock:
                out["samples"] += 1

    readers = [threading.Thread(target=read, args=(s,), daemon=True) for s in opened]
    for reader in readers:
        reader.start()
    stop.wait()
    for stream in opened:
        stream.close()


def measure(engine: Engine, ids: list[str], mode, window: float) -> dict:
    out: dict = {"samples": 0, "latency": []}
    stop = threading.Event()
    worker = threading.Thread(target=mode, args=(engine, ids, stop, out), daemon=True)
    cpu, began = engine_cpu(), time.monotonic()
    worker.start()
    time.sleep(window)
    stop.set()
    elapsed = time.monotonic() - began
    out["engine_cpu"] = used_since(cpu) / elapsed  # share of one core
    out["rate"] = out["samples"] / elapsed
    worker.join(timeout=10)
    return out


def engine_side(engine: Engine, image: str, count: int, window: float, reps: int) -> list[str]:
    project = f"bench-usage-{uuid.uuid4().hex[:6]}"
    ids = []
    try:
        for i in range(count):
            run = ["docker", "run", "-d", "--label", f"{L.PROJECT}={project}", "--name", f"{project}-{i}",
                   "--memory", "64m", image, "sleep", "3600"]
            ids.append(subprocess.run(run, capture_output=True, text=True, check=True).stdout.strip())
        time.sleep(2)
        modes = {"no sampling": idle, "one-shot calls, a round a second": one_shot, "a stream per container": streams}
        results: dict[str, list[dict]] = {name: [] for name in modes}
        for _ in range(reps):
            for name, mode in modes.items():
                sample = measure(engine, ids, mode, window)
                results[name].append(sample)
                print(f"{name}: engine {100 * sample['engine_cpu']:.1f}% of a core, {sample['rate']:.2f} samples/s",
                      flush=True)
    finally:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)
    lines = [
        f"Engine side: {count} idle containers, a {window:g} s window per mode, medians of {reps} alternating reps.",
        "",
        "| mode | engine CPU (% of a core) | over no sampling | samples / s | one-shot call latency |",
        "|---|---:|---:|---:|---:|",
    ]
    base = statistics.median(s["engine_cpu"] for s in results["no sampling"])
    for name, samples in results.items():
        cpu = statistics.median(s["engine_cpu"] for s in samples)
        rate = statistics.median(s["rate"] for s in samples)
        latencies = [x for s in samples for x in s["latency"]]
        latency = f"{statistics.median(latencies):.2f} s" if latencies else "-"
        lines.append(f"| {name} | {100 * cpu:.1f} | {100 * (cpu - base):+.1f} | {rate:.2f} | {latency} |")
    return lines


def check_side(image: str, count: int, runs: int) -> list[str]:
    folder = Path(tempfile.mkdtemp(prefix="bench-usage-check-"))
    project = f"bench-usage-check-{uuid.uuid4().hex[:6]}"
    health = {"test": ["CMD", "true"], "interval": "1s", "retries": 30}
    services = {f"s{i}": {"image": image, "command": ["sleep", "3600"], "init": True, "stop_grace_period": "1s",
                          "mem_limit": "64m", "healthcheck": health} for i in range(count)}
    wait = {"runner": "junit", "junit": "junit.xml", "command": [
        "sh", "-c", "sleep 5 && printf '<testsuite tests=\"1\"><testcase classname=\"a\" name=\"b\"/></testsuite>' "
        "> junit.xml"]}
    for sampling in (True, False):
        spec = {"version": 1, "project": project, "services": services, "suites": {"wait": wait},
                "settings": {"sample_usage": sampling, "history": "h.db", "reports": ["json=result.json"]}}
        (folder / f"on-{sampling}.yaml").write_text(json.dumps(spec))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def one(sampling: bool) -> float:
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-P", "-m", "validator", "check", "-f", f"on-{sampling}.yaml",
                               "--no-progress"], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
        elapsed = time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(f"check failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
        return elapsed

    try:
        one(True)  # creates the containers; then every run is warm (nothing to change)
        walls: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(runs):
            for sampling in (True, False):
                walls[sampling].append(one(sampling))
                print(f"check, sampling {'on' if sampling else 'off'}: {walls[sampling][-1]:.2f}s", flush=True)
    finally:
        subprocess.run([sys.executable, "-m", "validator", "down", "-f", "on-True.yaml", "-q"], cwd=folder, env=env,
                       capture_output=True, timeout=300)
    on, off = statistics.median(walls[True]), statistics.median(walls[False])
    return [
        f"`check` side: {count} services, warm, a 5 s suite, medians of {runs} alternating runs.",
        "",
        "| sampling | wall (s) |",
        "|---|---:|",
        f"| on | {on:.2f} |",
        f"| off (anchor) | {off:.2f} |",
        "",
        f"Ratio on / off: {on / off:.2f} (spread on {min(walls[True]):.2f}-{max(walls[True]):.2f} s, "
        f"off {min(walls[False]):.2f}-{max(walls[False]):.2f} s).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--containers", type=int, default=6)
    parser.add_argument("--window", type=float, default=15.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engine-root", default="", help="a private engine's folder: count only its processes")
    args = parser.parse_args()
    global ENGINE_ROOT
    ENGINE_ROOT = args.engine_root
    compile_tree(ROOT)
    image = ensure_busybox_image()
    engine = Engine.connect()
    load_before = os.getloadavg()
    lines = engine_side(engine, image, args.containers, args.window, args.reps)
    lines += ["", *check_side(image, args.containers, args.runs)]
    load_after = os.getloadavg()
    lines += ["", f"Load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (2 cores, shared machine)."]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "usage.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
