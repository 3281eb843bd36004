"""The second review of the graph executor (graph5), on a real engine: each case that made ``up`` say
ready or ``check`` pass on broken infrastructure, as a small project of its own."""

from __future__ import annotations

import json
import time

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_case10_a_healthy_time_of_an_earlier_start_is_not_this_starts(project, engine):
    """10: up saw api healthy on its first start (about 1 s); api crashed and its policy started it
    again, 8 s to healthy, while up still waited for ``slow``. A later check keeps api: its healthy
    time is not the first start's 1 s (the criterion passed on it), it is unknown (an error)."""
    api = {
        **project.sleeper(
            command=[
                "sh",
                "-c",
                "if [ -f /tmp/born ]; then rm -f /tmp/up; sleep 8; touch /tmp/up; exec sleep 3600; fi; "
                "touch /tmp/born /tmp/up; sleep 2; exit 1",
            ]
        ),
        "restart": "always",
        "healthcheck": {"test": ["CMD", "test", "-f", "/tmp/up"], "interval": "1s", "timeout": "1s", "retries": 30},
    }
    slow = {
        **project.sleeper(command=["sh", "-c", "sleep 6; touch /tmp/up; exec sleep 3600"]),
        "healthcheck": {"test": ["CMD", "test", "-f", "/tmp/up"], "interval": "1s", "timeout": "1s", "retries": 30},
    }
    criteria = {"fast": {"title": "api healthy within 3 s", "condition": "service.api.healthy < 3s"}}
    spec = project.spec(
        {"api": api, "slow": slow}, criteria=criteria, settings={"reports": ["json=reports/result.json"]}
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    project.cli("up", "--timeout", "60", timeout=180)
    name = f"{project.name}-api-1"
    for _ in range(60):  # bounded: its second start is healthy about 8 s after it
        state = engine.inspect(name)["State"]
        if (state.get("Health") or {}).get("Status") == "healthy" and engine.inspect(name)["RestartCount"] >= 1:
            break
        time.sleep(0.5)
    result = project.cli("check", "--no-progress", "--no-history", "--no-suites", "--timeout", "60", timeout=180)
    report = json.loads((project.folder / "reports" / "result.json").read_text())
    criterion = next(r for r in report["run"]["results"] if r["kind"] == "criterion")
    assert result.returncode == 1 and criterion["verdict"] == "error", criterion


def test_case05_an_orphan_left_running_fails_check(project):
    """05: the spec replaced ``legacy`` (alias ``db``) by a service ``db``; legacy's container still runs
    on the project network and answers for ``db``. check passed on a note; a running orphan now fails
    it, and ``--remove-orphans`` removes it (then the check passes)."""
    legacy = {**project.sleeper(), "networks": {"default": {"aliases": ["db"]}}}
    spec = project.spec({"legacy": legacy}, settings={"reports": ["json=reports/result.json"]})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    spec = project.spec({"db": project.sleeper()}, settings={"reports": ["json=reports/result.json"]})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    result = project.cli("check", "--no-progress", "--no-history", "--no-suites", "--timeout", "60", timeout=180)
    report = json.loads((project.folder / "reports" / "result.json").read_text())
    orphan = [r for r in report["run"]["results"] if r["name"].startswith("orphan ")]
    assert result.returncode == 1 and [r["verdict"] for r in orphan] == ["fail"], orphan
    args = ("check", "--no-progress", "--no-history", "--no-suites", "--remove-orphans", "--timeout", "60")
    assert project.cli(*args, timeout=180).returncode == 0


@pytest.mark.parametrize("changed", ["network", "volume"])
def test_case03_a_changed_network_or_volume_definition_is_not_kept_silently(project, changed):
    """03/03b: the spec now makes ``back`` internal (or ``data`` a tmpfs volume); the engine still holds
    the plain one. plan said "nothing to do" and check passed; now it is a conflict naming the fields:
    plan exits 1, check fails and up changes nothing."""
    service = {**project.sleeper(), "networks": ["back"], "volumes": ["data:/data"]}

    def write(network: dict[str, object], volume: dict[str, object]) -> None:
        spec = project.spec({"db": service}, networks={"back": network}, volumes={"data": volume})
        spec["settings"] = {"reports": ["json=reports/result.json"]}
        (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))

    write({}, {})
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    if changed == "network":
        write({"internal": True}, {})
    else:
        write({}, {"driver_opts": {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}})
    plan = project.cli("plan", timeout=120)
    assert plan.returncode == 1 and "differs from the spec" in plan.stdout + plan.stderr, plan.stdout
    result = project.cli("check", "--no-progress", "--no-history", "--no-suites", "--timeout", "60", timeout=180)
    assert result.returncode == 1 and "differs from the spec" in result.stdout, result.stdout[-2000:]
