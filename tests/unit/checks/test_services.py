"""Service results as evidence: what a service that is not ready, or whose times are unknown, cannot
vouch for is unavailable with the reason (the engine's answers are given as data here; the real
engine case is in tests/integration/test_evidence.py)."""

from __future__ import annotations

from typing import Any

from validator.checks.services import observed
from validator.engine import labels as L
from validator.testing.specs import load_dict

HEALTH = {"test": ["CMD", "true"], "interval": "1s", "timeout": "500ms"}


class Engine:
    """The two answers ``observed`` asks of the engine: the project's containers, and one inspect."""

    def __init__(self, details: dict[str, dict[str, Any]]) -> None:
        self.details = details

    def containers(self, filters: Any) -> list[dict[str, Any]]:
        return [{"Id": cid, "Labels": {L.SERVICE: cid}} for cid in self.details]

    def inspect(self, cid: str) -> dict[str, Any]:
        return self.details[cid]


def detail(health: str, checks: int) -> dict[str, Any]:
    log = [{"ExitCode": 0, "End": f"2026-11-24T10:00:0{i + 2}.000000000Z"} for i in range(checks)]
    return {
        "Created": "2026-11-24T10:00:00.000000000Z",
        "State": {
            "Status": "running",
            "Running": True,
            "StartedAt": "2026-11-24T10:00:01.000000000Z",
            "Health": {"Status": health, "Log": log},
        },
        "HostConfig": {},
        "RestartCount": 0,
    }


def test_unknown_and_unready_health_times_are_unavailable_with_the_reason(tmp_path):
    loaded = load_dict(
        tmp_path,
        {
            "version": 1,
            "project": "svc",
            "services": {
                "fresh": {"image": "x", "healthcheck": HEALTH},
                "old": {"image": "x", "healthcheck": HEALTH},
                "sick": {"image": "x", "healthcheck": HEALTH},
                "gone": {"image": "x", "healthcheck": HEALTH},
                "capped": {"image": "x", "healthcheck": HEALTH, "mem_limit": "64m"},
            },
        },
    )
    engine = Engine(
        {
            "fresh": detail("healthy", 2),
            "old": detail("healthy", 5),
            "sick": detail("unhealthy", 3),
            "capped": detail("healthy", 2),
        }
    )
    results = {r.name: r for r in observed(loaded, engine)[0]}
    assert results["fresh"].metrics["service.fresh.healthy"] == 1.0 and not results["fresh"].unavailable
    # healthy now, but its health log no longer reaches back to its start: its time is unknown
    assert results["old"].verdict == "pass" and "service.old.healthy" not in results["old"].metrics
    assert "service old is ready but its healthy time is unknown" in results["old"].unavailable["service.old.healthy"]
    assert results["sick"].verdict == "fail" and "service.sick.healthy" not in results["sick"].metrics
    assert results["sick"].unavailable["service.sick.healthy"] == "service sick is not ready (running, unhealthy)"
    assert results["gone"].unavailable == {
        f"service.gone.{field}": "service gone has no container" for field in ("startup", "healthy", "restarts")
    }
    # the spec sets a memory limit Docker does not report: no value, and why
    assert results["capped"].unavailable == {
        "service.capped.memory_limit": "service capped is ready but Docker reports no memory_limit for its container"
    }
