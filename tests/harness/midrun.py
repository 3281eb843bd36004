"""Run ``validator`` as a subprocess and act while it runs: at the first output line holding a marker,
call an action (a container dies, a file changes), then read the rest. Bounded: the command ends by its
own ``--timeout``, and the wait for it by ``timeout``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def run_acting(
    folder: Path, args: list[str], marker: str, action: Callable[[], None], timeout: float = 180
) -> tuple[int, str]:
    """``python -m validator ARGS`` in ``folder``: ``action()`` once a line holds ``marker``; its exit
    status and its whole output."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "validator", *args],
        cwd=folder,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if marker in line:
                break
        action()
        lines.extend(proc.stdout)
        code = proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    return code, "".join(lines)
