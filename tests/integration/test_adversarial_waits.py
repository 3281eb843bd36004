"""The outside review of the graph executor (adversary graph4), classes A and E, on a real engine:

- A: a depends_on edge waited for another state than its condition asks. A job that one dependent
  waits on ``service_healthy`` and another on ``service_completed_successfully`` had one target state
  (completed), so the healthy dependent started on a job that never became healthy (01: its spec's
  test, ready by exec "once the waits ended well"; 01b: its image's, waited for by nothing at all).
  Compose (the oracle) starts ``report`` and refuses ``app``: "container ... seed-1 is unhealthy".
- E: ``up`` called a container ready whose image's health check said unhealthy (03), while ``check``
  failed the same container: one judgement now (engine/readiness.runs_health_check).
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from typing import Any

import pytest
import yaml

from tests.integration.conftest import remove_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

NEVER_HEALTHY = "HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD false"


def verdicts(result: Any) -> dict[str, tuple[str, str]]:
    return {name: (r.status, r.message.split("\n")[0]) for name, r in sorted(result.services.items())}


def _image(project: Any, tag: str, healthcheck: str) -> str:
    """A local image: the test image with the health check ``healthcheck`` (removed by the caller)."""
    image = f"{project.name}-{tag}:1"
    folder = project.folder / tag
    folder.mkdir()
    (folder / "Dockerfile").write_text(f"FROM {project.image}\n{healthcheck}\n")
    subprocess.run(["docker", "build", "-q", "-t", image, str(folder)], check=True, capture_output=True, timeout=120)
    return image


def _stamp(text: str) -> datetime:
    """The engine's RFC 3339 stamp (nanoseconds, UTC) to microseconds."""
    whole, _, frac = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{whole}.{(frac + '000000')[:6]}")


def _rmi(image: str) -> None:
    subprocess.run(["docker", "rmi", "-f", image], capture_output=True, timeout=60)


def _job_waited_healthy_and_completed(project: Any, seed: dict[str, Any]) -> None:
    """``seed`` (never healthy, exits 0 after 3 s) is waited on healthy by ``app`` and completed by
    ``report``: app is never created, report starts, and seed's unhealthy verdict says why, well
    before the time limit (the evidence decided it)."""
    services = {
        "seed": seed,
        "app": project.sleeper(depends_on={"seed": {"condition": "service_healthy"}}),
        "report": project.sleeper(depends_on={"seed": {"condition": "service_completed_successfully"}}),
    }
    result = project.up(services, timeout=120)
    seen = verdicts(result)
    assert not result.ok, seen
    assert seen["seed"] == ("failed", "seed: turned unhealthy"), seen
    assert seen["app"][0] == "skipped" and seen["app"][1].startswith("not started: dependency seed"), seen
    assert seen["report"][0] == "ready", seen
    running = project.containers()
    assert "app" not in running, "app was created although seed never became healthy"
    assert running["report"]["State"] == "running"


def test_case01_a_job_waited_healthy_and_completed_is_waited_healthy(project):
    """01: the health test is the spec's (so seed is ready by exec too): ready only once it passed."""
    seed = {
        **project.sleeper(command=["sh", "-c", "sleep 3; exit 0"]),
        "restart": "no",
        "healthcheck": {"test": ["CMD", "false"], "interval": "1s", "timeout": "1s", "retries": 1},
    }
    _job_waited_healthy_and_completed(project, seed)


def test_case01b_a_job_waited_healthy_and_completed_with_its_image_check(project):
    """01b: the health test is the image's: the healthy edge waits for the engine's verdict."""
    image = _image(project, "seed", NEVER_HEALTHY)
    try:
        seed = {**project.sleeper(command=["sh", "-c", "sleep 3; exit 0"]), "image": image, "restart": "no"}
        _job_waited_healthy_and_completed(project, seed)
    finally:
        remove_project(project.engine, project.name)
        _rmi(image)


def test_case03_an_image_check_unhealthy_is_not_ready_fresh_or_kept(project):
    """03: the image's health check fails: the fresh up and the next one (the container kept) fail
    the service as ``check --no-up`` does the same container."""
    image = _image(project, "web", NEVER_HEALTHY)
    try:
        services = {"web": {**project.sleeper(), "image": image}}
        fresh = project.up(services, timeout=60)
        assert not fresh.ok and verdicts(fresh)["web"] == ("failed", "web: turned unhealthy"), verdicts(fresh)
        kept = project.up(services, timeout=60)
        assert verdicts(kept)["web"] == ("failed", "web: is unhealthy"), verdicts(kept)
        assert kept.plan.for_service("web") is None  # kept, not recreated: judged as it is
        (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services)))
        check = project.cli("check", "--no-up", "--no-progress", "--no-suites", "--no-history", timeout=120)
        assert check.returncode == 1, check.stdout[-2000:]
    finally:
        remove_project(project.engine, project.name)
        _rmi(image)


def test_an_image_check_is_waited_for_while_a_started_edge_is_not(project):
    """The other side of 03: web's image check passes after about 2 s; up waits for it (web's result
    measures healthy), while ``side``, which asks only service_started, starts before it passed."""
    image = _image(project, "web", "HEALTHCHECK --interval=1s --timeout=1s CMD test -e /tmp/ok")
    try:
        services = {
            "web": {**project.sleeper(command=["sh", "-c", "sleep 2; touch /tmp/ok; exec sleep 3600"]), "image": image},
            "side": project.sleeper(depends_on={"web": {"condition": "service_started"}}),
        }
        result = project.up(services, timeout=120)
        assert result.ok, verdicts(result)
        web = result.services["web"]
        assert web.timing is not None and web.timing.healthy is not None
        detail = project.engine.inspect(web.container)
        assert detail["State"]["Health"]["Status"] == "healthy"
        passed = [e["End"] for e in detail["State"]["Health"]["Log"] if e["ExitCode"] == 0]
        side = project.engine.inspect(result.services["side"].container)
        assert _stamp(side["State"]["StartedAt"]) < _stamp(passed[0]), (side["State"]["StartedAt"], passed)
    finally:
        remove_project(project.engine, project.name)
        _rmi(image)
