"""The multi-node swarm harness itself: three engines form a swarm, run a task on a worker, and
teardown leaves nothing behind (no namespace, bridge, firewall rule, daemon or folder)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.harness import swarm as S

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _leftovers(harness: S.SwarmNodes) -> list[str]:
    found = []
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [n.netns for n in harness.make_nodes() if n.netns in netns]
    if Path(f"/sys/class/net/{harness.bridge}").exists():
        found.append(harness.bridge)
    rules = subprocess.run(["iptables", "-S", "FORWARD"], capture_output=True, text=True).stdout
    if harness.bridge in rules:
        found.append("FORWARD rule")
    found += [str(p) for p in (S.STATE_ROOT / harness.tag, S.DATA_ROOT / harness.tag) if p.exists()]
    procs = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    found += [line for line in procs.splitlines() if f"--containerd-namespace {harness.name}" in line]
    return found


def test_three_engines_form_a_swarm_and_teardown_leaves_nothing(busybox):
    if S.available():
        pytest.skip(S.available())
    harness = S.SwarmNodes(count=3)
    with harness:
        manager = S.client(harness.manager)
        nodes = manager.nodes()
        assert sorted(n["Status"]["Addr"] for n in nodes) == sorted(n.address for n in harness.nodes)
        assert all(n["Status"]["State"] == "ready" for n in nodes)
        assert sorted(n["Description"]["Hostname"] for n in nodes) == sorted(n.name for n in harness.nodes)
        assert [n["Spec"]["Role"] for n in nodes].count("manager") == 1
        # A worker reaches the manager across the bridge (the join proved it); the image moves in.
        harness.load_image(busybox, [harness.workers[0]])
        assert S.client(harness.workers[0]).inspect_image(busybox)["Id"]
        assert _leftovers(harness) != []
    assert harness.stop() == []
    assert _leftovers(harness) == []


def test_a_failing_step_undoes_what_was_built(monkeypatch):
    if S.available():
        pytest.skip(S.available())
    harness = S.SwarmNodes(count=2)

    def broken(node):
        raise S.SwarmHarnessError(f"no daemon for {node.name}")

    monkeypatch.setattr(harness, "_wait_daemon", broken)
    with pytest.raises(S.SwarmHarnessError, match="no daemon"):
        harness.start()
    assert _leftovers(harness) == []


def test_teardown_by_tag_removes_a_crashed_harness():
    if S.available():
        pytest.skip(S.available())
    harness = S.SwarmNodes(count=2)
    harness.start(swarm=False)
    harness._undo.clear()  # as if the process that built it had crashed
    assert _leftovers(harness)
    assert S.teardown_tag(harness.tag, say=lambda _m: None) == []
    assert _leftovers(harness) == []
