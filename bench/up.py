#!/usr/bin/env python3
"""Benchmark: ``validator up`` against Docker Compose v2 (``up -d --wait``) on the same local images.

For N = 5, 20, 50 busybox HTTP services with a 1 s health check, each publishing its own host port
(``127.0.0.1:PORT:8080``, as real stacks publish a port on almost every service; ``--no-ports`` for
the services without), alternating the two tools in one run and which of them goes first: cold
(nothing -> all healthy), no-op (all up and healthy), drift (one service's environment changed).
Also the engine floors (N containers created and started in parallel from this process until
healthy), the floor of one ``docker run -d``, and the peak RSS of our process at the largest N. The
load average is printed beside each size, since the machine may be shared. Writes a Markdown
section to bench/out/up.md and prints it.

Usage: .venv/bin/python bench/up.py [--reps 3] [--sizes 5,20,50] [--no-ports] [--no-floors] [--no-library]
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
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    RunFailed,
    compile_tree,
    compose_binary,
    free_port_block,
    load_average,
    timed_cpu,
)
from tests.harness.images import ensure_busybox_image  # noqa: E402

# A probe answers in milliseconds on a quiet machine. Fifty services probed every second keep a
# 2-core machine busy, and there a 900 ms bound failed probes until both tools gave up on an
# "unhealthy" service; 5 s lets a loaded machine delay a probe without failing it.
HEALTH_TIMEOUT = "5s"


def service(image: str, index: int, env: str, port: int | None) -> dict:
    svc = {
        "image": image, "command": ["httpd", "-f", "-p", "8080", "-h", "/www"], "init": True,
        "stop_grace_period": "1s", "environment": {"GEN": env, "INDEX": str(index)},
        "healthcheck": {"test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"],
                        "interval": "1s", "timeout": HEALTH_TIMEOUT, "retries": 30},
    }
    if port is not None:
        svc["ports"] = [f"127.0.0.1:{port}:8080"]
    return svc


def write(folder: Path, n: int, image: str, env: str, base_port: int | None) -> None:
    services = {f"s{i}": service(image, i, env if i == 0 else "base", None if base_port is None else base_port + i)
                for i in range(n)}
    (folder / "infra.yaml").write_text(yaml.safe_dump({"version": 1, "project": folder.name, "services": services}))
    (folder / "compose.yaml").write_text(yaml.safe_dump({"services": services}))


def ours(folder: Path) -> list[str]:
    return [sys.executable, "-m", "validator", "up", "-q", "-f", str(folder / "infra.yaml")]


def theirs(folder: Path) -> list[str]:
    return [compose_binary(), "-p", folder.name + "-c", "-f", str(folder / "compose.yaml"), "up", "-d", "--wait"]


def down_ours(folder: Path) -> None:
    # not checked: it also runs after a failed run, whose failure is the one recorded
    subprocess.run([sys.executable, "-m", "validator", "down", "-q", "-f", str(folder / "infra.yaml")],
                   capture_output=True, timeout=600)


def down_theirs(folder: Path) -> None:
    subprocess.run([compose_binary(), "-p", folder.name + "-c", "-f", str(folder / "compose.yaml"), "down", "-t", "1"],
                   capture_output=True, timeout=600)


def scenarios(folder: Path, n: int, image: str, base_port: int | None, rep: int,
              cmd: Callable[[Path], list[str]], down: Callable[[Path], None]) -> dict[str, float]:
    """One tool's cold, no-op and drift ``up`` (wall seconds, and CPU seconds under ``cpu-``), then its
    ``down`` whatever happened, so a failed run leaves nothing behind for the next."""
    out: dict[str, float] = {}
    try:
        for scenario, env in (("cold", "a"), ("noop", None), ("drift", f"b{rep}")):
            if env is not None:  # the no-op runs the files the cold run left
                write(folder, n, image, env, base_port)
            out[scenario], out[f"cpu-{scenario}"] = timed_cpu(cmd(folder), folder)
        return out
    finally:
        down(folder)


class Library:
    """validator's ``up`` called in-process, as ``check`` and the pytest plugin call it: imports done and
    the engine connected once, the spec read and validated at each call (a drift changes it). Its times
    against the command's are what the interpreter's start-up and imports cost; against Compose's, the
    best ratio validator's engine work allows with no start-up at all."""

    def __init__(self) -> None:
        from validator.engine.docker_api import Engine

        self.engine = Engine.connect()

    def scenarios(self, folder: Path, n: int, image: str, base_port: int | None, rep: int) -> dict[str, float]:
        from validator.engine.reconcile import up
        from validator.load import load_spec

        out: dict[str, float] = {}
        try:
            for scenario, env in (("cold", "a"), ("noop", None), ("drift", f"b{rep}")):
                if env is not None:
                    write(folder, n, image, env, base_port)
                began, cpu = time.perf_counter(), time.process_time()
                result = up(load_spec([str(folder / "infra.yaml")]), self.engine, progress=lambda who, message: None)
                out[scenario], out[f"cpu-{scenario}"] = time.perf_counter() - began, time.process_time() - cpu
                if not result.ok:
                    raise RunFailed(f"in-process up ({scenario}) did not converge")
            return out
        finally:
            down_ours(folder)


def peak_rss_mb(cmd: list[str], cwd: Path) -> float:
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], cwd=cwd, capture_output=True, text=True)
    return int(result.stderr.strip().splitlines()[-1]) / 1024


def in_process_noop(folder: Path, runs: int) -> float:
    """Median of a no-op ``up`` called as a library (spec loaded, engine connected once), as the pytest
    plugin's --infra-up and ``check`` call it: what the engine work costs without process start-up."""
    from validator.engine.docker_api import Engine
    from validator.engine.reconcile import up
    from validator.load import load_spec

    loaded = load_spec([str(folder / "infra.yaml")])
    engine = Engine.connect()
    up(loaded, engine, progress=lambda who, message: None)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = up(loaded, engine, progress=lambda who, message: None)
        times.append(time.perf_counter() - began)
        assert result.ok
    return statistics.median(times)


def floor(image: str) -> float:
    name = f"bench-floor-{os.getpid()}"
    began = time.perf_counter()
    subprocess.run(["docker", "run", "-d", "--init", "--name", name, "--health-cmd",
                    "wget -q -O /dev/null http://127.0.0.1:8080/", "--health-interval", "1s",
                    "--health-timeout", HEALTH_TIMEOUT,
                    image, "httpd", "-f", "-p", "8080", "-h", "/www"], check=True, capture_output=True)
    events = subprocess.Popen(["docker", "events", "--filter", f"container={name}", "--filter",
                               "event=health_status", "--format", "{{.Status}}"], stdout=subprocess.PIPE, text=True)
    state = subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}", name], capture_output=True,
                           text=True).stdout.strip()
    if state != "healthy":
        assert events.stdout is not None
        for line in events.stdout:
            if "healthy" in line and "unhealthy" not in line:
                break
    elapsed = time.perf_counter() - began
    events.kill()
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    return elapsed


def engine_floor(image: str, n: int, network: bool = False, base_port: int | None = None) -> float:
    """The engine's own floor at N services: N containers (the benchmark's service, health interval 1 s)
    created and started in parallel from this process, with no tool start-up and no spec, until the
    engine reports every one healthy. ``network``: as both tools run a project, on a bridge network
    created first (its creation timed too), each container under its service's alias. ``base_port``:
    container i publishes 127.0.0.1:base_port+i, as the tools' services do."""
    import threading

    import docker

    api = docker.APIClient(version="auto", **docker.utils.kwargs_from_env())  # DOCKER_HOST, as both tools
    tag = f"bench-floor-{os.getpid()}-{time.monotonic_ns()}"
    health = {"test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"],
              "interval": 1_000_000_000, "timeout": 5_000_000_000, "retries": 30}
    since = time.time()
    began = time.perf_counter()
    if network:
        api.create_network(tag, driver="bridge", labels={"bench.floor": tag})

    def one(index: int) -> None:
        joined = {}
        if network:
            joined = {"networking_config": api.create_networking_config(
                {tag: api.create_endpoint_config(aliases=[f"s{index}"])})}
        published = {} if base_port is None else {"port_bindings": {8080: ("127.0.0.1", base_port + index)}}
        cid = api.create_container(image, ["httpd", "-f", "-p", "8080", "-h", "/www"], name=f"{tag}-{index}",
                                   labels={"bench.floor": tag}, healthcheck=health,
                                   ports=[8080] if published else None,
                                   host_config=api.create_host_config(init=True, network_mode=tag if network
                                                                      else None, **published), **joined)["Id"]
        api.start(cid)

    workers = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for worker in workers:
        worker.start()
    healthy: set[str] = set()
    try:
        for event in api.events(decode=True, since=since, until=since + 120,
                                filters={"event": "health_status", "label": f"bench.floor={tag}"}):
            if event.get("status", "").endswith(": healthy"):
                healthy.add(event["id"])
                if len(healthy) == n:
                    break
        elapsed = time.perf_counter() - began
    finally:
        for worker in workers:
            worker.join(30)
        for found in api.containers(all=True, filters={"label": f"bench.floor={tag}"}):
            api.remove_container(found["Id"], force=True)
        if network:
            api.remove_network(tag)
    if len(healthy) != n:
        raise SystemExit(f"engine floor: only {len(healthy)} of {n} containers became healthy within 120 s")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sizes", default="5,20,50")
    parser.add_argument("--no-ports", action="store_true", help="services publish no host port")
    parser.add_argument("--no-floors", action="store_true", help="skip the engine floors (quicker)")
    parser.add_argument("--no-library", action="store_true", help="skip validator's up called in-process")
    args = parser.parse_args()
    compile_tree(ROOT)  # the bytecode scripts/bootstrap makes: a stale .pyc would be compiled again per command
    image = ensure_busybox_image()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    floors_at: dict[int, float] = {}
    network_floors_at: dict[int, float] = {}
    loads: dict[int, str] = {}
    failures: list[str] = []
    raw: dict[str, dict[str, list[float]]] = {}
    library_tool = None if args.no_library else Library()
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            base_port = None if args.no_ports else free_port_block(n)
            folder = Path(tmp) / f"bench{n}-{os.getpid()}"  # a project name no earlier run left behind
            folder.mkdir()
            times: dict[str, list[float]] = {f"{prefix}{scenario}-{tool}": [] for prefix in ("", "cpu-")
                                             for scenario in ("cold", "noop", "drift")
                                             for tool in ("ours", "compose", "library")}
            before = load_average()
            tools = ["ours", "compose"] + ([] if library_tool is None else ["library"])
            for rep in range(args.reps):
                turn = rep % len(tools)  # which tool goes first rotates too
                for tool in tools[turn:] + tools[:turn]:
                    try:
                        if tool == "library" and library_tool is not None:
                            run = library_tool.scenarios(folder, n, image, base_port, rep)
                        else:
                            cmd, down = (ours, down_ours) if tool == "ours" else (theirs, down_theirs)
                            run = scenarios(folder, n, image, base_port, rep, cmd, down)
                        for scenario, seconds in run.items():
                            times[f"{scenario}-{tool}"].append(seconds)
                    except RunFailed as exc:  # counted and shown: a median over the runs that finished
                        failures.append(f"N = {n}, run {rep + 1}, {tool}: {str(exc).strip().splitlines()[-1]}")
                        print(failures[-1], file=sys.stderr)
            if not args.no_floors:
                times["floor"], times["floor-network"] = [], []
                for _ in range(args.reps):  # alternating, like the tools
                    for key, network in (("floor", False), ("floor-network", True)):
                        try:
                            times[key].append(engine_floor(image, n, network=network, base_port=base_port))
                        except SystemExit as exc:
                            failures.append(f"N = {n}, {key}: {exc}")
            loads[n] = f"{before}-{load_average()}"
            raw[str(n)] = times
            partial = ROOT / "bench" / "out" / "up.partial.json"  # what a later failure would lose
            partial.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps({"raw": raw, "load": loads, "failures": failures}, indent=1))
            med = {k: statistics.median(v) if v else float("nan") for k, v in times.items()}
            floors_at[n] = med.get("floor", 0.0)
            network_floors_at[n] = med.get("floor-network", 0.0)
            for scenario in ("cold", "noop", "drift"):
                rows.append((n, scenario, med[f"{scenario}-ours"], med[f"{scenario}-compose"],
                             med[f"{scenario}-ours"] / med[f"{scenario}-compose"],
                             med[f"cpu-{scenario}-ours"], med[f"cpu-{scenario}-compose"],
                             med[f"{scenario}-library"], med[f"cpu-{scenario}-library"]))
        largest = max(sizes)
        folder = Path(tmp) / f"benchmem-{os.getpid()}"
        folder.mkdir()
        write(folder, largest, image, "a", None if args.no_ports else free_port_block(largest))
        try:
            rss = peak_rss_mb(ours(folder), folder)
            library = in_process_noop(folder, 10)
        except (AssertionError, RunFailed) as exc:
            failures.append(f"peak RSS and in-process no-op at N = {largest}: {exc!r}")
            rss = library = float("nan")
        finally:
            down_ours(folder)
    floors = [floor(image) for _ in range(args.reps)]
    engine = subprocess.run(["docker", "version", "-f", "{{.Server.Version}} (API {{.Server.APIVersion}})"],
                            capture_output=True, text=True).stdout.strip()
    compose_version = subprocess.run([compose_binary(), "version", "--short"], capture_output=True,
                                     text=True).stdout.strip()

    def floor_cells(n: int, scenario: str, o: float, c: float) -> str:
        if scenario != "cold" or args.no_floors:
            return " | |"
        return (f"{o / floors_at[n]:.2f} (floor {floors_at[n]:.2f} s) | "
                f"{o / network_floors_at[n]:.2f} (floor {network_floors_at[n]:.2f} s) | "
                f"{network_floors_at[n] / c:.2f}")

    published = "no published port" if args.no_ports else "each publishing its own host port (127.0.0.1:PORT:8080)"
    lines = [
        f"Engine {engine}; Compose {compose_version}; "
        f"busybox httpd services, {published}, health check interval 1 s; medians of {args.reps} runs "
        f"alternating the tools and which goes first; ratio = validator / Compose (lower is better).",
        "",
        "| services | scenario | validator up (s) | compose up -d --wait (s) | ratio | validator / engine floor "
        "| validator / floor on a project network | that floor / Compose (best ratio, no start-up at all) "
        "| CPU s: validator, Compose | in-process up (s) | in-process / Compose (no start-up) "
        "| in-process CPU s | load average |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|",
        *[f"| {n} | {s} | {o:.2f} | {c:.2f} | {r:.2f} | {floor_cells(n, s, o, c)} | {oc:.2f}, {cc:.2f} "
          f"| {lw:.2f} | {lw / c:.2f} | {lc:.2f} | {loads[n]} |"
          for n, s, o, c, r, oc, cc, lw, lc in rows],
        "",
        "Engine floor at N: N such containers created and started in parallel from the benchmark's own",
        "process (no tool start-up, no spec, the default bridge), until the engine reports all healthy;",
        "on a project network: a bridge network created first (timed too) and every container on it under",
        "its service's alias, as both tools run a project; medians, alternating the two floors.",
        "CPU s: user + system seconds of the tool's process and its children (medians): steadier than",
        "wall time on a shared machine, where a process also waits for the CPU.",
        "In-process up: validator's `up` called as a library in the benchmark's process (imports done and the",
        "engine connected once; the spec read at each call), a third tool in the same rotation: the command's",
        "time less this is what the interpreter's start-up and imports cost.",
        f"Floor: one `docker run -d` until its first health check passes: median {statistics.median(floors):.2f} s.",
        f"Peak RSS of `validator up` at N = {largest} (cold): {rss:.0f} MB.",
        f"No-op `up` at N = {largest} called in-process (no interpreter start-up or imports): "
        f"median {library * 1000:.0f} ms.",
        *([f"Failed runs (left out of the medians): {len(failures)}"] + [f"- {f}" for f in failures]
          if failures else []),
    ]
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "up.md").write_text("\n".join(lines) + "\n")
    summary = {"raw": raw, "floor": floors, "floor_at": floors_at, "network_floor_at": network_floors_at,
               "rss_mb": rss, "load": loads, "ports": not args.no_ports, "failures": failures}
    (out / "up.json").write_text(json.dumps(summary, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
