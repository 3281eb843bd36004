"""Adversary graph7 cases 05 and 06 on the real engine: evidence that was not read at the verdict.

05: a file the spec copies into a container was read back once, right after the start; the container's
own entrypoint replacing it a second later, or a hand editing it in a kept container, left ``up`` ready,
``check`` passing and ``plan`` silent. Now every plan reads each copy of a launched container back (one
that differs is drift), and ``check`` reads them again at its last observation (engine/copies.py).

06: a read-only bind of a folder past content_hash's MAX_FILES was "compared by path": an edited config
inside it left ``plan`` "nothing to do" and ``check`` passing on a service that still ran the old one.
Now each entry's size, mtime and inode stand for its content up to MAX_ENTRIES (engine/content_hash.py).
"""

from __future__ import annotations

import pytest
import yaml

from validator.engine import content_hash

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CHECK = ("check", "--no-progress", "--no-history", "--no-suites", "--timeout", "60")
PAGE = "PAGE-FROM-SPEC"


def _write(project, services, **extra) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services, **extra), sort_keys=False))


def _page(engine, container: str) -> str:
    code, out = engine.exec(container, ["cat", "/www/index.html"])
    assert code == 0, out
    return out.strip()


def _web(project, command: list[str]) -> dict:
    return project.sleeper(command=command, configs=[{"source": "page", "target": "/www/index.html"}])


def test_case05a_a_copy_the_entrypoint_replaces_after_the_start_fails_up(project, engine):
    """05 (a): the entrypoint writes its default page a second after the start, then reports healthy (as
    images that template their config at start do; the health check makes the order certain). The
    read-back right after the start sees the spec's page; the one at the end of up the default one."""
    script = "sleep 1; echo DEFAULT-PAGE > /www/index.html; touch /tmp/ready; exec sleep 3600"
    web = _web(project, ["sh", "-c", script])
    web["healthcheck"] = {"test": ["CMD", "test", "-f", "/tmp/ready"], "interval": "1s", "retries": 30}
    _write(project, {"web": web}, configs={"page": {"content": PAGE}})
    up = project.cli("up", "--timeout", "60", timeout=180)
    assert up.returncode == 1 and "by the end of up the config copied to /www/index.html" in up.stdout, up.stdout
    result = project.cli(*CHECK, timeout=180)  # plans a recreate (drift), and fails the new one the same way
    assert result.returncode == 1, result.stdout[-3000:]
    assert "config copied to /www/index.html is not what was copied (its content differs)" in result.stdout
    assert "DEFAULT-PAGE" not in result.stdout and PAGE not in result.stdout  # contents are never quoted
    assert _page(engine, project.containers()["web"]["Id"]) == "DEFAULT-PAGE"


def test_case05b_a_copy_edited_in_a_kept_container_is_drift(project, engine):
    """05 (b): the page edited by hand in a kept container: plan recreates it, check --no-up fails
    without touching it, up recreates it with the spec's page."""
    web = _web(project, ["sleep", "3600"])
    _write(project, {"web": web}, configs={"page": {"content": PAGE}})
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    assert not project.plan({"web": web}, extra={"configs": {"page": {"content": PAGE}}}).actions
    first = project.containers()["web"]["Id"]
    code, out = engine.exec(first, ["sh", "-c", "echo EDITED-BY-HAND > /www/index.html"])
    assert code == 0, out
    (action,) = project.plan({"web": web}, extra={"configs": {"page": {"content": PAGE}}}).actions
    assert action.kind == "recreate" and "/www/index.html" in " ".join(action.reasons), action
    plan = project.cli("plan", timeout=120)
    assert plan.returncode == 1 and "/www/index.html" in plan.stdout, plan.stdout[-2000:]
    no_up = project.cli(*CHECK, "--no-up", timeout=180)
    assert no_up.returncode == 1, no_up.stdout[-3000:]
    assert project.containers()["web"]["Id"] == first  # --no-up changed nothing
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    assert _page(engine, project.containers()["web"]["Id"]) == PAGE


def test_case06_an_edit_inside_a_bound_folder_past_the_content_bound_recreates(project, engine):
    """06: ./app (more than MAX_FILES entries) bound read-only; conf/page.txt OLD -> NEW after up.
    plan recreates web (exit 1), and after up the container holds NEW."""
    app = project.folder / "app"
    (app / "conf").mkdir(parents=True)
    (app / "assets").mkdir()
    for n in range(content_hash.MAX_FILES + 1):
        (app / "assets" / str(n)).touch()
    (app / "conf" / "page.txt").write_text("OLD\n")
    web = project.sleeper(
        command=["sh", "-c", "cat /app/conf/page.txt > /tmp/page; exec sleep 3600"], volumes=["./app:/app:ro"]
    )
    _write(project, {"web": web})
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    quiet = project.cli("plan", timeout=120)
    assert quiet.returncode == 0 and "compared by the size, time and inode" in quiet.stdout, quiet.stdout[-2000:]
    (app / "conf" / "page.txt").write_text("NEW\n")
    plan = project.cli("plan", timeout=120)
    assert plan.returncode == 1 and "recreate web" in plan.stdout, plan.stdout[-2000:]
    assert project.cli(*CHECK, "--no-up", timeout=180).returncode == 1
    repaired = project.cli(*CHECK, timeout=180)
    assert repaired.returncode == 0, repaired.stdout[-3000:]
    code, out = engine.exec(project.containers()["web"]["Id"], ["cat", "/tmp/page"])
    assert (code, out.strip()) == (0, "NEW")
