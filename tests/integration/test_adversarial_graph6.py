"""Adversary graph6 (issue 25), the lead's cases, on the real engine: each fails on the code before its fix.

Case 10: a kept container disconnected from its network while ``up`` walks. The disconnect is a
network's event, not the container's, and the end-of-up look judged a kept container's State only:
``up`` said ready. Now the witness hears networks' connects and disconnects too, and a kept container
re-inspected at the end is compared with the spec as the observation compares it.
"""

from __future__ import annotations

import subprocess

import pytest

from validator.engine import reconcile as R
from validator.engine import witness as W

pytestmark = pytest.mark.docker


def test_a_kept_container_disconnected_during_up_fails_its_service(project, monkeypatch):
    services = {"web": project.sleeper(), "other": project.sleeper()}
    cold = project.up(services)
    assert cold.ok, project.lines
    web = cold.services["web"].container
    network = f"{project.name}_default"
    monkeypatch.setattr(W, "SKEW", 0.2)  # the cold up's events are not replayed as changes
    real = R.observe
    done: list[bool] = []

    def observe(engine, desired, ahead=None):
        # right after the look the plan is drawn from, as a disconnect during the walk comes
        seen = real(engine, desired)
        if not done:
            done.append(True)
            command = ["docker", "network", "disconnect", network, web]
            subprocess.run(command, check=True, capture_output=True, timeout=60)
        return seen

    monkeypatch.setattr(R, "observe", observe)
    again = project.up(services)
    assert done
    assert not again.ok
    r = again.services["web"]
    assert r.status == "failed" and r.action is None, (r, project.lines)  # kept, then judged at the end
    assert "differs from the spec" in r.message and network in r.message, r.message
    assert again.services["other"].status == "ready"
    # the next up puts it right: recreated onto its network (``done``: no second disconnect)
    fixed = project.up(services)
    assert fixed.ok and fixed.services["web"].action == "recreate", project.lines
