"""``validator plan`` on every real compose file Compose accepts (../shared/corpora), against the real
engine: a dry run that ends with a plan (exit 0/1) or a located refusal (exit 2), never an internal
error (exit 4), and that creates nothing.

``KNOWN_EXIT_4`` pins the files that still exit 4, each with its cause; a file that stops failing
makes the test fail until it is taken off the list (so the list is exact, never a blanket skip).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from validator.engine import labels as L
from validator.spec.load import load_spec
from validator.testing.corpora import Case, corpora_root, real_cases

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CORPORA = corpora_root(ROOT)
CASES = list(real_cases(CORPORA)) if CORPORA else []

# Content hashing walks a read-only bind of / or /proc in full (PermissionError on /proc/1/cwd): the
# bounded hashing of issue 24 (compose-engine) removes it.
_PROC = "hashing a read-only bind of /proc (unbounded content hash)"
KNOWN_EXIT_4: dict[str, str] = {
    "compose-real/dockprom": _PROC,
    "compose-real/otel-demo": _PROC,
    "compose-real2/uptrace": _PROC,
    "compose-real2/vegasbrianc-prometheus": _PROC,
}
_LOCATED = re.compile(r"^\S+:\d+:\d+: ")


def _compose_accepts(compose_bin: Path, run: Path, env: dict[str, str]) -> bool:
    done = subprocess.run(
        [str(compose_bin), "-f", "compose.yaml", "config", "-q"], cwd=run, env=env, capture_output=True, timeout=60
    )
    return done.returncode == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_plan_never_exits_4(case: Case, compose_bin, engine, tmp_path):
    if CORPORA is None:
        pytest.skip("no ../shared/corpora beside the checkout")
    run = case.lay_out(tmp_path)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(run), **case.environment(run)}
    if not _compose_accepts(compose_bin, run, env):
        pytest.skip("Compose refuses it too (tests/unit/test_corpora.py checks lint gives the same reason)")
    owned = _owned(engine, load_spec([str(run / "compose.yaml")], env).spec.project)
    done = subprocess.run(
        [sys.executable, "-m", "validator", "plan", "-f", "compose.yaml"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert _owned(engine, load_spec([str(run / "compose.yaml")], env).spec.project) == owned  # a dry run
    if case.id in KNOWN_EXIT_4:
        assert done.returncode == 4, f"{case.id} no longer exits 4: take it off KNOWN_EXIT_4"
        return
    assert done.returncode in (0, 1, 2), output
    if done.returncode == 2:
        assert all(_LOCATED.match(line) for line in done.stderr.splitlines() if line.strip()), done.stderr


def _owned(engine: Any, project: str) -> tuple[set[str], ...]:
    """The containers, networks and volumes labelled as this project's."""
    filters = L.project_filter(project)
    return (
        {c["Id"] for c in engine.containers(filters)},
        {n["Name"] for n in engine.networks(filters)},
        {v["Name"] for v in engine.volumes(filters)},
    )
