"""Service results as evidence: what a service that is not ready, or whose times are unknown, cannot
vouch for is unavailable with the reason (the engine's answers are given as data here; the real
engine case is in tests/integration/test_evidence.py)."""

from __future__ import annotations

from typing import Any

from tests.harness.specs import load_dict
from tests.metrics import key
from validator.checks.services import observed
from validator.engine import labels as L

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
    # as the engine writes them: each probe's start and end (a probe begun before StartedAt is of an
    # earlier start and no evidence of this one)
    log = [
        {
            "ExitCode": 0,
            "Start": f"2026-11-24T10:00:0{i + 1}.900000000Z",
            "End": f"2026-11-24T10:00:0{i + 2}.000000000Z",
        }
        for i in range(checks)
    ]
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
    assert results["fresh"].metrics[key("service.fresh.healthy")] == 1.0 and not results["fresh"].unavailable
    # healthy now, but its health log no longer reaches back to its start: its time is unknown
    assert results["old"].verdict == "pass" and key("service.old.healthy") not in results["old"].metrics
    assert (
        "service old is ready but its healthy time is unknown" in results["old"].unavailable[key("service.old.healthy")]
    )
    assert results["sick"].verdict == "fail" and key("service.sick.healthy") not in results["sick"].metrics
    assert results["sick"].unavailable[key("service.sick.healthy")] == "service sick is not ready (running, unhealthy)"
    assert results["gone"].unavailable == {
        key(f"service.gone.{field}"): "service gone has no container"
        for field in ("startup", "healthy", "restarts", "duration")
    }
    # the spec sets a memory limit Docker does not report: no value, and why
    assert results["capped"].unavailable == {
        key(
            "service.capped.memory_limit"
        ): "service capped is ready but Docker reports no single memory_limit for its containers"
    }


class ReplicaEngine:
    """The project's containers as replicas (name, service, replica number) and their inspect answers."""

    def __init__(self, replicas: dict[str, tuple[str, int, dict[str, Any]]]) -> None:
        self.replicas = replicas

    def containers(self, filters: Any) -> list[dict[str, Any]]:
        if "dev.validator." not in str(filters):
            return []  # nothing docker compose started
        return [
            {"Id": name, "Names": [f"/{name}"], "Labels": {L.SERVICE: service, L.REPLICA: str(number)}}
            for name, (service, number, _) in self.replicas.items()
        ]

    def inspect(self, cid: str) -> dict[str, Any]:
        return {"Name": f"/{cid}", **self.replicas[cid][2]}


def test_a_scaled_service_is_ready_only_when_every_replica_is(tmp_path):
    scaled = {"image": "x", "healthcheck": HEALTH, "deploy": {"replicas": 3}}
    loaded = load_dict(tmp_path, {"version": 1, "project": "svc", "services": {"web": scaled, "api": scaled}})
    slow = detail("healthy", 2)
    slow["State"]["Health"]["Log"] = [
        {"ExitCode": 0, "Start": f"2026-11-24T10:00:0{i - 1}.900000000Z", "End": f"2026-11-24T10:00:0{i}.000000000Z"}
        for i in (4, 5)
    ]
    slow["RestartCount"] = 2
    engine = ReplicaEngine(
        {
            "svc-web-1": ("web", 1, detail("healthy", 2)),
            "svc-web-3": ("web", 3, detail("unhealthy", 3)),  # and replica 2 is missing
            "svc-api-1": ("api", 1, detail("healthy", 2)),
            "svc-api-2": ("api", 2, slow),
            "svc-api-3": ("api", 3, {**detail("healthy", 1), "RestartCount": 1}),
        }
    )
    results, running = observed(loaded, engine)
    web, api = sorted(results, key=lambda r: r.name, reverse=True)
    assert web.verdict == "fail"
    assert web.message == "2 containers run it, the spec asks for 3; not ready: svc-web-3"
    assert web.actual == "1/2 running, healthy; 1/2 running, unhealthy"
    assert key("service.web.healthy") not in web.metrics
    assert web.unavailable[key("service.web.healthy")] == f"service web is not ready ({web.message})"
    assert api.verdict == "pass" and api.actual == "3/3 running, healthy"
    # two replicas were restarted by their policy: Created -> StartedAt spans more than one start, so
    # it is no startup, and the service's (its slowest replica's) is unknown
    assert set(api.unavailable) == {key("service.api.startup")}
    # the slowest replica's times (its first check passed 3 s after start), every replica's restarts
    assert api.metrics[key("service.api.healthy")] == 3.0 and api.metrics[key("service.api.restarts")] == 3.0
    assert running == {"web": "svc-web-1", "api": "svc-api-1"}


def test_a_scale_zero_service_passes_only_while_no_container_runs_it_and_measures_nothing(tmp_path):
    from validator.catalog import catalog

    off = {"image": "x", "healthcheck": HEALTH, "mem_limit": "64m", "scale": 0}
    loaded = load_dict(tmp_path, {"version": 1, "project": "svc", "services": {"off": off, "on": {"image": "x"}}})
    # only the Swarm counts (0 tasks wanted is measurable there), none of a container's
    swarm = {
        key("service.off.replicas_desired"),
        key("service.off.replicas_running"),
        key("service.off.replicas_healthy"),
    }
    assert {m for m in catalog(loaded.spec) if m.family == "service" and m.member == "off"} == swarm
    assert key("service.on.startup") in catalog(loaded.spec)
    results = {r.name: r for r in observed(loaded, ReplicaEngine({}))[0]}
    assert results["off"].verdict == "pass" and results["off"].actual == "no container"
    assert not results["off"].metrics and not results["off"].unavailable
    assert results["on"].verdict == "fail"  # the control: a service that should run and does not
    still = ReplicaEngine({"svc-off-1": ("off", 1, detail("healthy", 2))})
    left = {r.name: r for r in observed(loaded, still)[0]}["off"]
    assert (left.verdict, left.message) == ("fail", "svc-off-1 still run it")
    assert not left.metrics


def test_a_criterion_naming_a_scale_zero_services_metric_is_a_lint_error(tmp_path):
    from tests.harness.specs import write_spec
    from validator.load import lint_files

    def lint(condition: str) -> list[str]:
        spec = {
            "version": 1,
            "project": "svc",
            "services": {"off": {"image": "x", "scale": 0}, "on": {"image": "x"}},
            "criteria": {"C": {"title": "c", "condition": condition}},
        }
        return [f.message for f in lint_files([str(write_spec(tmp_path, spec))], environ={})]

    assert lint("service.off.startup < 30s") == [
        "'service.off.startup' is not measured: startup is measured only for services that run a container"
    ]
    assert lint("service.on.startup < 30s") == []
    assert lint("service.*.startup < 30s") == []  # the wildcard ranges over the services that run


def test_a_scale_zero_service_passes_after_up_only_when_up_reached_it(tmp_path):
    from validator.checks.services import from_up
    from validator.engine.apply import ServiceResult, UpResult
    from validator.engine.planner import Plan

    loaded = load_dict(tmp_path, {"version": 1, "project": "svc", "services": {"off": {"image": "x", "scale": 0}}})

    class Inspects:
        def try_inspect(self, cid: str) -> None:
            raise AssertionError(f"no container to inspect, asked for {cid}")

    def judged(result: ServiceResult):
        up = UpResult(
            plan=Plan(actions=(), conflicts=(), notes=(), order=("off",), unchanged=()), services={"off": result}
        )
        ((only,), running) = from_up(loaded, up, Inspects())  # type: ignore[arg-type]
        assert running == {} and not only.metrics
        return only

    ready = judged(ServiceResult(name="off", status="ready", message="runs no container (scale 0)"))
    assert (ready.verdict, ready.actual) == ("pass", "no container")
    # up never got to it (a dependency failed, or the run was cancelled): no pass
    skipped = judged(ServiceResult(name="off", status="skipped", message="not started: dependency db timed out"))
    assert (skipped.verdict, skipped.message) == ("fail", "not started: dependency db timed out")
    cancelled = judged(ServiceResult(name="off", status="failed", message="cancelled"))
    assert cancelled.verdict == "fail"
