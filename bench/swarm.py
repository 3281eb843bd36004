#!/usr/bin/env python3
"""Benchmark: ``validator up --orchestrator swarm`` against ``docker stack deploy`` plus a wait until
every task is running and healthy, on a single-node swarm.

The swarm is a throw-away engine of the test harness (tests/harness/swarm.py: its own dockerd
in a network namespace), so the host's engine never enters swarm mode. For N = 1 and 5 services of
2 replicas (busybox httpd, health check interval 1 s), alternating the two tools in one run: cold
(nothing -> all tasks healthy) and no-op (all healthy already). The anchor, measured in the same
run: one ``docker service create`` of the same service and the same wait. The wait used for the
stack and the anchor lists the tasks through the SDK every 0.1 s (a fair, fast poll: ``docker
stack deploy`` itself returns before any task runs). Writes bench/out/swarm.md and swarm.json.

Usage: .venv/bin/python bench/swarm.py [--reps 3] [--sizes 1,5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import compile_tree, timed  # noqa: E402
from tests.harness.images import ensure_busybox_image  # noqa: E402
from tests.harness.swarm import SwarmNodes, client  # noqa: E402

WAIT_BOUND = 120.0


def service(image: str, index: int) -> dict:
    return {
        "image": image,
        "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
        "init": True,
        "stop_grace_period": "1s",
        "environment": {"INDEX": str(index)},
        "healthcheck": {
            "test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"],
            "interval": "1s",
            "timeout": "900ms",
            "retries": 30,
        },
        "deploy": {"replicas": 2, "restart_policy": {"condition": "any", "delay": "1s"}},
    }


def write(folder: Path, n: int, image: str) -> None:
    services = {f"s{i}": service(image, i) for i in range(n)}
    (folder / "infra.yaml").write_text(yaml.safe_dump({"version": 1, "project": folder.name, "services": services}))
    compose = {"version": "3.8", "services": services}
    (folder / "compose.yaml").write_text(yaml.safe_dump(compose))


def run(cmd: list[str], env: dict[str, str]) -> float:
    """Wall seconds of ``cmd`` (bench/common.py's ``timed``, bounded at 300 s as every step here)."""
    return timed(cmd, env=env, timeout=300)


def wait_healthy(api, label: str, value: str, want: int) -> None:
    """Until ``want`` tasks of the labelled services are running (healthy: Swarm holds a task with a
    health check in 'starting' until it is), polling every 0.1 s, bounded."""
    deadline = time.monotonic() + WAIT_BOUND
    while time.monotonic() < deadline:
        ids = [s["ID"] for s in api.services(filters={"label": f"{label}={value}"})]
        tasks = api.tasks(filters={"service": ids, "desired-state": "running"}) if ids else []
        if sum(1 for t in tasks if t["Status"]["State"] == "running") >= want:
            return
        time.sleep(0.1)
    raise SystemExit(f"{value}: not {want} healthy tasks after {WAIT_BOUND:g}s")


def ours(folder: Path, env: dict[str, str]) -> float:
    return run(
        [sys.executable, "-m", "validator", "up", "-q", "--orchestrator", "swarm", "-f", str(folder / "infra.yaml")],
        env,
    )


def theirs(folder: Path, env: dict[str, str], api, want: int) -> float:
    began = time.perf_counter()
    run(
        [
            "docker",
            "stack",
            "deploy",
            "--detach=true",
            "--resolve-image",
            "never",
            "-c",
            str(folder / "compose.yaml"),
            folder.name + "-s",
        ],
        env,
    )
    wait_healthy(api, "com.docker.stack.namespace", folder.name + "-s", want)
    return time.perf_counter() - began


def down(tool: str, folder: Path, env: dict[str, str], api) -> None:
    if tool == "ours":
        command = [sys.executable, "-m", "validator", "down", "-q", "--orchestrator", "swarm"]
        run([*command, "-f", str(folder / "infra.yaml")], env)
    else:
        run(["docker", "stack", "rm", folder.name + "-s"], env)
    settle(api)


def in_process(folder: Path, url: str, reps: int) -> tuple[float, float, float]:
    """Medians of a cold and a no-op ``up`` called as a library (engine connected once), as ``check``
    and the pytest plugin call it: the engine work without interpreter start-up and imports. Also
    the cold ``up``'s detection latency: its return minus the last task's own "running" time (the
    manager's timestamp; both clocks are this machine's)."""
    from validator.engine.docker_api import Engine
    from validator.load import load_spec
    from validator.swarm import api as swarm_api
    from validator.swarm import reconcile as R
    from validator.swarm.tasks import timestamp

    loaded = load_spec([str(folder / "infra.yaml")])
    engine = Engine.connect(url)
    cold, noop, latency = [], [], []
    for _ in range(reps):
        began = time.perf_counter()
        assert R.up(loaded, engine, progress=lambda who, message: None).ok
        cold.append(time.perf_counter() - began)
        returned = time.time()
        ids = [s["ID"] for s in swarm_api.services(engine, loaded.spec.project)]
        running = [timestamp(t["Status"]["Timestamp"]) for t in swarm_api.tasks(engine, ids)
                   if t["Status"]["State"] == "running"]
        latency.append(returned - max(t for t in running if t is not None))
        began = time.perf_counter()
        assert R.up(loaded, engine, progress=lambda who, message: None).ok
        noop.append(time.perf_counter() - began)
        R.down(loaded, engine, progress=lambda who, message: None)
    return statistics.median(cold), statistics.median(noop), statistics.median(latency)


def startup_floor(env: dict[str, str]) -> float:
    """A process that only imports what ``up --orchestrator swarm`` imports and connects: the part
    of every CLI figure that is interpreter start-up and imports, not engine work."""
    code = (
        "import validator.swarm.reconcile, validator.load; from validator.engine.docker_api import Engine; "
        "Engine.connect().version()"
    )
    return run([sys.executable, "-c", code], env)


def anchor(image: str, env: dict[str, str], api) -> float:
    name = f"anchor{os.getpid()}"
    began = time.perf_counter()
    run(
        [
            "docker",
            "service",
            "create",
            "-d",
            "--init",
            "--stop-grace-period",
            "1s",
            "--name",
            name,
            "--replicas",
            "2",
            "--label",
            f"anchor={name}",
            "--no-resolve-image",
            "--health-cmd",
            "wget -q -O /dev/null http://127.0.0.1:8080/",
            "--health-interval",
            "1s",
            "--health-timeout",
            "900ms",
            image,
            "httpd",
            "-f",
            "-p",
            "8080",
            "-h",
            "/www",
        ],
        env,
    )
    wait_healthy(api, "anchor", name, 2)
    elapsed = time.perf_counter() - began
    run(["docker", "service", "rm", name], env)
    settle(api)
    return elapsed


def settle(api) -> None:
    """Until no container is left on the node: a run must not pay for the previous one's stops."""
    deadline = time.monotonic() + WAIT_BOUND
    while time.monotonic() < deadline and api.containers(all=True):
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sizes", default="1,5")
    args = parser.parse_args()
    compile_tree(ROOT)  # the bytecode scripts/bootstrap makes: a stale .pyc would be compiled again per command
    if shutil.which("docker") is None:
        raise SystemExit("the docker CLI is needed for `docker stack deploy`")
    image = ensure_busybox_image()
    rows, raw = [], {}
    with SwarmNodes(count=1) as harness, tempfile.TemporaryDirectory() as tmp:
        harness.load_image(image)
        # The subprocesses must run this tree's validator, whatever is installed.
        env = {**os.environ, "DOCKER_HOST": harness.manager.url, "PYTHONPATH": str(ROOT)}
        api = client(harness.manager)
        anchors: list[float] = []
        floors: list[float] = []
        libraries: list[tuple[int, float, float, float]] = []
        for n in [int(s) for s in args.sizes.split(",")]:
            folder = Path(tmp) / f"bench{n}"
            folder.mkdir()
            write(folder, n, image)
            times: dict[str, list[float]] = {k: [] for k in ("cold-ours", "cold-stack", "noop-ours", "noop-stack")}
            for rep in range(args.reps):
                # Alternate which tool goes first; each cold run starts from an idle node.
                for tool in ("ours", "stack") if rep % 2 == 0 else ("stack", "ours"):
                    if tool == "ours":
                        times["cold-ours"].append(ours(folder, env))
                        times["noop-ours"].append(ours(folder, env))
                    else:
                        times["cold-stack"].append(theirs(folder, env, api, 2 * n))
                        times["noop-stack"].append(theirs(folder, env, api, 2 * n))
                    down(tool, folder, env, api)
                anchors.append(anchor(image, env, api))
                floors.append(startup_floor(env))
            library = in_process(folder, harness.manager.url, args.reps)
            raw[f"{n}-in-process"] = {"cold": library[0], "noop": library[1], "latency": library[2]}
            libraries.append((n, *library))
            raw[str(n)] = times
            med = {k: statistics.median(v) for k, v in times.items()}
            for scenario in ("cold", "noop"):
                ratio = med[f"{scenario}-ours"] / med[f"{scenario}-stack"]
                rows.append((n, scenario, med[f"{scenario}-ours"], med[f"{scenario}-stack"], ratio))
        engine = api.version()
    cli = subprocess.run(["docker", "version", "-f", "{{.Client.Version}}"], capture_output=True, text=True)
    lines = [
        f"Single-node swarm (a harness engine {engine['Version']}, API {engine['ApiVersion']}); docker CLI "
        f"{cli.stdout.strip()}; N services of 2 replicas each (busybox httpd, health check interval 1 s); "
        f"medians of {args.reps} alternating runs; ratio = validator / stack (lower is better).",
        "",
        "| services | scenario | validator up --orchestrator swarm (s) | docker stack deploy + wait (s) | ratio |",
        "|---:|---|---:|---:|---:|",
        *[f"| {n} | {s} | {o:.2f} | {c:.2f} | {r:.2f} |" for n, s, o, c, r in rows],
        "",
        *[
            f"In-process `up` (library call, no interpreter start-up) at N = {n}: cold {c:.2f} s, no-op "
            f"{o * 1000:.0f} ms; the cold `up` returned {lat:.2f} s after its last task's own \"running\" time."
            for n, c, o, lat in libraries
        ],
        f"Anchor: one `docker service create` (2 replicas) until both tasks are healthy: median "
        f"{statistics.median(anchors):.2f} s over {len(anchors)} runs.",
        f"Start-up floor: a Python process importing what `validator up` imports and connecting to the engine: "
        f"median {statistics.median(floors):.2f} s.",
    ]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "swarm.md").write_text("\n".join(lines) + "\n")
    (out / "swarm.json").write_text(json.dumps({"raw": raw, "anchor": anchors, "floor": floors}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
