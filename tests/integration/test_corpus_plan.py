"""Every real compose file of the shared corpora that Compose accepts plans without an internal error
(exit 4): read-only binds of /proc, /sys, / or /usr (dockprom, otel-demo, uptrace...) are compared by
path, never walked in full (engine/content_hash.py). ``plan`` changes nothing; its exit is 0 or 1, or
2 with located findings for what validator refuses."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.corpora import Case, real_files

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CASES = list(real_files())


@pytest.mark.skipif(not CASES, reason="the shared corpora are not beside the checkout (VALIDATOR_CORPORA)")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_plan_never_exits_4_on_a_file_compose_accepts(case: Case, compose_bin, engine, tmp_path):
    file = case.lay_out(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    accepted = subprocess.run(
        [str(compose_bin), "-f", str(file), "config", "-q"], cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    if accepted.returncode != 0:
        pytest.skip("Compose refuses this file as saved (a companion file is not in the corpus)")
    done = subprocess.run(
        [sys.executable, "-m", "validator", "plan", "-f", str(file)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1, 2), done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    if done.returncode == 2:  # a refusal is located
        assert all(":" in line for line in done.stderr.splitlines() if line.strip()), done.stderr[-2000:]
