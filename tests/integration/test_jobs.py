"""One-shot jobs and impossible waits on the real engine, each case run twice with the same verdict.

A container that exits 0 under a restart policy that leaves it exited is a completed job: ``up``
succeeds, ``service_completed_successfully`` dependents start, a second ``up`` does not run it again
when its exit 0 is its completion (another waits for it to complete: nothing else makes a job),
``check`` reports it completed with its duration. A job that exits non-zero fails its dependents with
its last log lines. A service nobody waits on is judged at its start, whenever it exits after (the
verdict comes from the order of the engine's events, never from when an inspect happens to run).
A ``service_healthy`` dependency with no health check at all fails its dependents at once.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest
import yaml

from tests.metrics import report_metrics

pytestmark = pytest.mark.docker


def jobs(project: Any) -> dict[str, Any]:
    def shell(script: str, **extra: Any) -> dict[str, Any]:
        return {"image": project.image, "command": ["sh", "-c", script], **extra}

    return {
        "running": project.sleeper(),
        "migrate": shell("echo migrated; sleep 0.3", depends_on=["running"]),
        "app": project.sleeper(depends_on={"migrate": {"condition": "service_completed_successfully"}}),
        "lone": shell("exit 0"),  # nobody waits for it: judged at its start, completed by check's time
        "crash": shell("exit 3"),  # nobody waits for it either: started, as Compose's up -d says
        "broken": shell("echo boom; exit 111"),
        "after": project.sleeper(depends_on={"broken": {"condition": "service_completed_successfully"}}),
        # a policy written out makes no job (adversary graph5 06): nobody waits for it to complete
        "policy": shell("exit 0", deploy={"restart_policy": {"condition": "on-failure", "max_attempts": 2}}),
    }


def verdicts(result: Any) -> dict[str, tuple[str, str]]:
    return {name: (r.status, r.message.split("\n")[0]) for name, r in sorted(result.services.items())}


def test_jobs_give_the_same_verdict_on_every_run(engine, project):
    from tests.integration.conftest import remove_project

    runs = []
    for _ in range(2):
        result = project.up(jobs(project))
        runs.append(verdicts(result))
        remove_project(engine, project.name)
    assert runs[0] == runs[1]
    seen = runs[0]
    for name in ("running", "migrate", "app", "lone", "crash", "policy"):
        assert seen[name][0] == "ready", (name, seen[name])
    assert seen["broken"] == ("failed", "broken: exited with code 111")
    assert seen["after"] == ("skipped", "not started: dependency broken broken: exited with code 111")


def test_a_failing_job_shows_its_last_log_lines(project):
    result = project.up(jobs(project))
    assert "last log lines:\n    boom" in result.services["broken"].message


def test_a_completed_job_is_not_run_again_and_check_reports_its_duration(engine, project):
    services = jobs(project)
    first = project.up(services)
    assert first.services["migrate"].status == "ready"
    (migrate,) = [
        c for c in engine.containers({"label": [f"dev.validator.project={project.name}"]}) if "migrate" in c["Names"][0]
    ]
    assert migrate["State"] == "exited" and migrate["Status"].startswith("Exited (0)")
    for _ in range(50):  # lone exits at once; bounded wait for the engine to say so (at most 5 s)
        states = {
            c["Labels"]["dev.validator.service"]: c["State"]
            for c in project.engine.containers({"label": [f"dev.validator.project={project.name}"]})
        }
        if states.get("lone") == "exited":
            break
        time.sleep(0.1)
    plan = project.plan(services)
    kinds = {(a.kind, a.service) for a in plan.actions}
    assert ("start", "migrate") not in kinds
    assert ("start", "policy") in kinds  # its written policy does not make it a job: started again
    assert ("start", "crash") in kinds  # exited 3: run again, as Compose does
    # lone: nobody waits for it to complete and only the default policy: its exit 0 is not told from a
    # server's clean stop, so it is started again, as Compose does (adversary graph4 case 02)
    assert ("start", "lone") in kinds
    assert any(note.startswith("migrate: ") and "a completed job: not run again" in note for note in plan.notes)
    second = project.up(services)
    assert second.services["migrate"].status == "ready" and second.services["migrate"].action is None
    assert second.services["app"].status == "ready"
    (again,) = [
        c for c in engine.containers({"label": [f"dev.validator.project={project.name}"]}) if "migrate" in c["Names"][0]
    ]
    assert again["Id"] == migrate["Id"] and again["Status"].startswith("Exited (0)")

    spec = project.folder / "infra.yaml"
    kept = {k: v for k, v in services.items() if k not in ("broken", "after", "crash")}
    spec.write_text(yaml.safe_dump(project.spec(kept), sort_keys=False))
    done = project.cli("check", "--no-suites", "--no-progress", "--report", "json=r.json", "-f", str(spec))
    report = json.loads((project.folder / "r.json").read_text())
    results = {r["name"]: r for r in report["run"]["results"] if r["kind"] == "service"}
    assert results["migrate"]["actual"] == "completed" and results["migrate"]["verdict"] == "pass"
    # nobody waits for policy to complete: the restart policy its spec writes does not make it a job
    assert results["policy"]["verdict"] == "fail" and "exit 0" in results["policy"]["message"], results["policy"]
    # nobody waits for lone and its spec declares no restart policy: a service that exits 0 during the run
    # is not taken for a job (a server that stopped would pass), so check fails it
    assert results["lone"]["verdict"] == "fail" and "exit 0" in results["lone"]["message"], results["lone"]
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    metrics = report_metrics(report)
    assert 0.2 < metrics["service.migrate.duration"] < 10  # it sleeps 0.3 s
    assert "service.running.duration" not in metrics  # a server has no job duration


def test_service_healthy_on_a_service_without_any_health_check_fails_at_once(engine, project):
    from tests.integration.conftest import remove_project

    services = {
        "db": project.sleeper(),  # no health check in the spec, none in the image
        "web": project.sleeper(depends_on={"db": {"condition": "service_healthy"}}),
    }
    outcomes = []
    for _ in range(2):
        began = time.monotonic()
        result = project.up(services, timeout=120)
        took = time.monotonic() - began
        outcomes.append(verdicts(result))
        assert took < 30, took  # not the up timeout
        remove_project(engine, project.name)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]["web"] == (
        "failed",
        f"not started: dependency db has no health check (neither the spec nor its image {project.image} "
        "defines one), so service_healthy can never hold",
    )
    assert outcomes[0]["db"][0] == "ready"


def test_an_image_health_check_is_waited_for_when_the_spec_names_none(engine, project):
    image = f"{project.name}-health:1"
    (project.folder / "Dockerfile").write_text(
        f"FROM {project.image}\nHEALTHCHECK --interval=1s --timeout=900ms CMD test -e /tmp/ok\n"
    )
    subprocess.run(["docker", "build", "-q", "-t", image, str(project.folder)], check=True, capture_output=True)
    try:
        services = {
            "db": {**project.sleeper(command=["sh", "-c", "sleep 1; touch /tmp/ok; exec sleep 3600"]), "image": image},
            "web": project.sleeper(depends_on={"db": {"condition": "service_healthy"}}),
        }
        result = project.up(services, timeout=120)
        assert result.ok, verdicts(result)
        db = engine.inspect(result.services["db"].container)
        web = engine.inspect(result.services["web"].container)
        assert db["State"]["Health"]["Status"] == "healthy"
        assert web["State"]["StartedAt"] > db["State"]["StartedAt"]
    finally:
        from tests.integration.conftest import remove_project

        remove_project(engine, project.name)
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)


def test_check_runs_a_completed_job_again_so_its_verdict_is_this_runs(project):
    """Review 2, case 01: a job whose inputs changed since it completed (a script in a read-write bind,
    which the configuration hash does not cover) is run again by `check`: its completion, startup and
    duration are evidence only for the run that saw them. (`up` alone keeps not rerunning it.)"""
    (project.folder / "scripts").mkdir()
    script = project.folder / "scripts" / "seed.sh"
    script.write_text("echo seeding; exit 0\n")
    seed = {"image": project.image, "command": ["sh", "/scripts/seed.sh"], "volumes": ["./scripts:/scripts"]}
    app = {**project.sleeper(), "depends_on": {"seed": {"condition": "service_completed_successfully"}}}
    spec = project.folder / "infra.yaml"
    spec.write_text(yaml.safe_dump(project.spec({"seed": seed, "app": app}), sort_keys=False))
    first = project.cli("check", "--no-suites", "--no-progress")
    assert first.returncode == 0, first.stdout[-3000:]
    script.write_text("echo seeding is now broken >&2; exit 3\n")
    second = project.cli("check", "--no-suites", "--no-progress", "--report", "json=r.json")
    report = json.loads((project.folder / "r.json").read_text())
    results = {r["name"]: r for r in report["run"]["results"] if r["kind"] == "service"}
    assert results["seed"]["verdict"] == "fail" and "exited with code 3" in results["seed"]["message"], results
    assert second.returncode == 1, second.stdout[-3000:]
