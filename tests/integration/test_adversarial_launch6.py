"""The outside review of the graph executor (adversary graph6), class C: evidence from another moment.
Case 04: a launch record vouched for a container ID, so for every later start of it too, including one
its ``post_start`` hooks never ran on (``docker restart``, its restart policy after a crash). Now the
record names the start the hooks ran on (engine/launches.py): a container with hooks on another start
is restarted by ``up`` through its start step, hooks included, and failed by ``check --no-up``; one
without hooks loses nothing on a restart and is kept. Each test fails on the code reviewed."""

from __future__ import annotations

import subprocess
import time

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PAGE = "CONFIGURED-BY-POST-START"


def _web(project, **extra):
    """httpd serving /srv, a tmpfs (empty at every start), the page written by its post_start hook."""
    return {
        "image": project.image,
        "command": ["httpd", "-f", "-p", "8080", "-h", "/srv"],
        "tmpfs": ["/srv", "/run"],
        "stop_grace_period": "1s",
        "post_start": [{"command": ["sh", "-c", f"echo {PAGE} > /srv/index.html"]}],
        **extra,
    }


def _page(engine, cid: str) -> str:
    _code, out = engine.exec(
        cid, ["sh", "-c", "wget -qO- http://127.0.0.1:8080/ 2>/dev/null || echo NO-PAGE"], timeout=10
    )
    return out.strip()


def _write(project, services) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services)))


def _check_no_up(project):
    return project.cli("check", "--no-up", "--no-progress", "--no-suites", "--no-history", timeout=120)


def test_case04_a_restart_by_hand_is_not_a_launch_up_restarts_it_through_its_hooks(project, engine):
    services = {"web": _web(project), "side": project.sleeper()}
    first = project.up(services, timeout=60)
    assert first.ok, {n: r.message for n, r in first.services.items()}
    web = project.containers()["web"]["Id"]
    side = project.containers()["side"]["Id"]
    assert _page(engine, web) == PAGE
    for name in (f"{project.name}-web-1", f"{project.name}-side-1"):
        subprocess.run(["docker", "restart", "-t", "1", name], check=True, capture_output=True, timeout=60)
    assert _page(engine, web) == "NO-PAGE"  # the new start ran no hook: the page is gone
    _write(project, services)
    check = _check_no_up(project)
    assert check.returncode == 1, check.stdout[-3000:]
    assert "started again outside up" in check.stdout and "post_start hooks ran on" in check.stdout
    second = project.up(services, timeout=60)
    assert second.ok, {n: r.message for n, r in second.services.items()}
    (action,) = second.plan.actions  # side has no hook: its restart lost nothing, it is kept
    assert (action.kind, action.service) == ("restart", "web")
    assert second.services["side"].action in (None, "unchanged", "")
    assert project.containers()["web"]["Id"] == web and project.containers()["side"]["Id"] == side
    assert _page(engine, web) == PAGE  # restarted through its start step: the hook ran on this start
    assert project.plan(services).empty
    again = _check_no_up(project)
    assert again.returncode == 0, again.stdout[-3000:]


def test_case04_a_restart_by_its_restart_policy_is_judged_the_same(project, engine):
    """The engine restarts web after a crash (restart: on-failure): no hook runs on that start either
    (Compose's own up leaves such a container running without it; its restart runs the hooks again)."""
    crash = "httpd -f -p 8080 -h /srv & while [ ! -f /run/crash ]; do sleep 0.2; done; exit 3"
    services = {"web": _web(project, command=["sh", "-c", crash], restart="on-failure", init=True)}
    assert project.up(services, timeout=60).ok
    web = project.containers()["web"]["Id"]
    engine.exec(web, ["touch", "/run/crash"], timeout=10)  # /run is a tmpfs: the next start does not crash
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = engine.inspect(web)
        # "Running" is also true while the engine is still restarting it (Status "restarting"): an exec
        # then is refused (409), so wait for the new start itself
        if int(state.get("RestartCount") or 0) >= 1 and state["State"]["Status"] == "running":
            break
        time.sleep(0.3)
    else:
        pytest.fail("the engine did not restart web within 30 s")
    assert _page(engine, web) == "NO-PAGE"
    (action,) = project.plan(services).actions
    assert action.kind == "restart" and "started again outside up" in action.reasons[0]
    second = project.up(services, timeout=60)
    assert second.ok and _page(engine, web) == PAGE
    assert project.containers()["web"]["Id"] == web


def test_case06_report_after_a_configs_file_changed_is_no_verdict(project):
    """06: a check passed; the file a ``configs:`` entry names then changed (plan: "recreate web: mounted
    file page.html changed"). `report` showed "last check: PASSED" and exited 0: the recorded spec hash
    covered the spec's text and model only. Now it covers the content the spec points at."""
    (project.folder / "page.html").write_text("GOOD\n")
    web = project.http_service(configs=[{"source": "page", "target": "/www/index.html"}])
    (project.folder / "infra.yaml").write_text(
        yaml.safe_dump(project.spec({"web": web}, configs={"page": {"file": "./page.html"}}))
    )
    check = project.cli("check", "--no-progress", "--no-suites", "--timeout", "60", timeout=180)
    assert check.returncode == 0, check.stdout[-3000:]
    assert project.cli("report", timeout=60).returncode == 0
    (project.folder / "page.html").write_text("BROKEN\n")
    report = project.cli("report", timeout=60)
    assert report.returncode == 1, report.stderr
    assert "PASSED" in report.stderr
    assert "a file it points at, or an image a service names has changed since this run" in report.stderr
