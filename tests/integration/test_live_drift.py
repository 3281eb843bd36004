"""What runs, not what was asked (review 2, cases 18 and 20): validator's own containers are compared
with the spec by their live HostConfig too, not only by the configuration label written at create."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest
import yaml

from tests.integration.test_check import check

pytestmark = pytest.mark.docker


def test_a_container_changed_in_place_by_docker_update_is_drift(project):
    spec = project.spec({"web": project.sleeper(restart="always", mem_limit="256m", cpus=1.0)})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    assert project.plan(spec["services"]).actions, "nothing to create"
    first = check(project, "--no-suites")
    assert first.returncode == 0, first.stdout[-2000:]
    assert not project.plan(spec["services"]).actions  # what up made is what the spec says
    web = project.containers()["web"]["Id"]
    subprocess.run(
        ["docker", "update", "--restart", "no", "--memory", "16m", "--memory-swap", "32m", "--cpus", "0.1", web],
        check=True,
        capture_output=True,
        timeout=60,
    )
    actions = project.plan(spec["services"]).actions
    assert [a.kind for a in actions] == ["recreate"], actions
    reasons = " ".join(actions[0].reasons)
    for field in ("restart: always wanted, container has no", f"Memory: {256 * 2**20} wanted", "NanoCpus: 1000000000"):
        assert field in reasons, reasons
    drifted = check(project, "--no-up", "--no-suites", "--report", "json=r.json")
    assert drifted.returncode == 1, drifted.stdout[-2000:]
    results = json.loads((project.folder / "r.json").read_text())["run"]["results"]
    assert [(r["verdict"], r["actual"]) for r in results if r["kind"] == "drift"] == [("fail", "recreate")]
    assert project.containers()["web"]["Id"] == web  # --no-up touched nothing
    repaired = check(project, "--no-suites")  # up recreates it as the spec says
    assert repaired.returncode == 0, repaired.stdout[-2000:]
    assert not project.plan(spec["services"]).actions


def _discards_blkio_weight(engine, image: str) -> bool:
    name = f"vt-blkio-probe-{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["docker", "create", "--name", name, "--blkio-weight", "300", image, "true"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    try:
        return made.returncode == 0 and engine.inspect(name)["HostConfig"].get("BlkioWeight") != 300
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


def test_a_setting_the_engine_discards_at_create_fails_the_service_naming_it(project, engine):
    if not _discards_blkio_weight(engine, project.image):
        pytest.skip("this engine applies blkio weight: nothing is discarded")
    spec = project.spec({"web": project.sleeper(blkio_config={"weight": 300})})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    result = project.up(spec["services"])
    assert not result.ok
    message = result.services["web"].message
    assert "did not apply" in message and "BlkioWeight: 300 wanted, the container has 0" in message, message
    ran = check(project, "--no-suites")
    assert ran.returncode != 0, ran.stdout[-2000:]
