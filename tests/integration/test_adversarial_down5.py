"""The outside review adversary graph5, cases 09 and 01: ``down -v`` left the containers' anonymous
volumes (and their data) behind, and kept containers taken off a network of theirs, or put on one the
spec does not give them, were "ready" and PASS. Each fails on the code reviewed."""

from __future__ import annotations

import contextlib
import json
import subprocess

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _compose(project, services, **extra) -> None:
    (project.folder / "compose.yaml").write_text(yaml.safe_dump({"name": project.name, "services": services, **extra}))


def _docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60)


def _networks(container: str) -> set[str]:
    shown = _docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", container)
    return set(json.loads(shown.stdout))


def test_case09_down_volumes_removes_the_anonymous_volumes_of_the_containers(project):
    """09: ``volumes: ["/data"]`` makes an anonymous volume; ``down -v`` said "0 volume(s)" and left it,
    with what db wrote, for good. Compose's ``down -v`` removes it; without -v it stays (as there)."""
    db = {
        "image": project.image,
        "command": ["sh", "-c", "echo secret-rows > /data/table && exec sleep 3600"],
        "volumes": ["/data"],
        "stop_grace_period": "1s",
    }
    _compose(project, {"db": db})
    left: list[str] = []
    try:
        for flags in ([], ["--volumes"]):
            assert project.cli("up", "-q", "-f", "compose.yaml", timeout=120).returncode == 0
            shown = _docker("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", f"{project.name}-db-1")
            volume = shown.stdout.strip()
            assert volume, shown.stderr
            left.append(volume)
            down = project.cli("down", "-f", "compose.yaml", *flags, timeout=120)
            assert down.returncode == 0, down.stdout + down.stderr
            exists = _docker("volume", "inspect", volume).returncode == 0
            if flags:
                assert not exists, f"down -v left {volume} behind"
                assert "removed 1 container(s), 1 network(s), 1 volume(s)" in down.stdout, down.stdout
            else:
                assert exists, "down without -v removed the anonymous volume (Compose keeps it)"
                assert "0 volume(s)" in down.stdout, down.stdout
    finally:
        for volume in left:  # the ones this test made, by name
            _docker("volume", "rm", volume)


def test_case01_a_kept_container_off_or_on_other_networks_than_the_spec_says_is_drift(project):
    """01: web taken off ``back`` (it cannot reach db), db put on a network the spec never gives it:
    the second up kept both ("0 changed"), check --no-up passed. Now both are drift: plan exits 1,
    check --no-up fails naming the networks, up recreates them onto exactly the spec's networks."""
    httpd = {"image": project.image, "command": ["httpd", "-f", "-p", "8080", "-h", "/"], "stop_grace_period": "1s"}
    _compose(
        project,
        {"db": {**httpd, "networks": ["back"]}, "web": {**httpd, "networks": ["back", "front"]}},
        networks={"back": {}, "front": {}},
    )
    outside = f"{project.name}-outside"
    web, db = f"{project.name}-web-1", f"{project.name}-db-1"
    back, front = f"{project.name}_back", f"{project.name}_front"
    try:
        assert project.cli("up", "-q", "-f", "compose.yaml", timeout=120).returncode == 0
        assert _networks(web) == {back, front}
        assert _docker("network", "disconnect", back, web).returncode == 0
        assert _docker("network", "create", outside).returncode == 0
        assert _docker("network", "connect", outside, db).returncode == 0
        plan = project.cli("plan", "-f", "compose.yaml", timeout=120)
        assert plan.returncode == 1, plan.stdout + plan.stderr
        assert f"networks: not attached to {back}" in plan.stdout, plan.stdout
        assert f"networks: attached to {outside}, which the spec does not give it" in plan.stdout, plan.stdout
        check = project.cli(
            "check", "-f", "compose.yaml", "--no-up", "--no-suites", "--no-history", "--no-progress", timeout=180
        )
        assert check.returncode == 1, check.stdout[-2000:]
        up = project.cli("up", "-f", "compose.yaml", timeout=180)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "2 changed" in up.stdout, up.stdout
        assert _networks(web) == {back, front} and _networks(db) == {back}
        again = project.cli("plan", "-f", "compose.yaml", timeout=120)
        assert again.returncode == 0, again.stdout + again.stderr
    finally:
        with contextlib.suppress(Exception):
            _docker("network", "disconnect", "-f", outside, db)
        _docker("network", "rm", outside)
