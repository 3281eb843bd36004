"""The service family's metrics (``METRICS``): what each service measures, declared apart from the
stage that measures them (``checks/services.py``), so that lint reads the declarations (through
``validator.catalog``) without loading the engine the stage uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.core.metrics import Declared, Family
from validator.engine.compose_fields import completes

if TYPE_CHECKING:
    from validator.spec.model import Spec


def _services(spec: Spec) -> Mapping[str, Any]:
    return spec.services


def _runs(svc: Any) -> bool:
    """Whether the service has a container to measure (``scale: 0`` has none)."""
    return bool(svc.replicas > 0)


def health_checked(svc: Any) -> bool:
    return svc.healthcheck is not None and not svc.healthcheck.disabled


def may_complete(svc: Any) -> bool:
    """A container of it that exits 0 stays exited, so a duration may be measured. Which services are
    jobs (whose exit 0 is success) is ``compose_fields.jobs``' rule, not this one."""
    return _runs(svc) and completes(svc)


METRICS = Family(
    name="service",
    members=_services,
    metrics=(
        Declared(
            field="startup",
            dimension="time",
            meaning="seconds from create (or start) to running",
            applies=_runs,
            when="that run a container",
        ),
        Declared(
            field="healthy",
            dimension="time",
            meaning="seconds from running to healthy",
            applies=lambda svc: _runs(svc) and health_checked(svc),
            when="with a health check that run a container",
        ),
        Declared(
            field="restarts",
            dimension="",
            meaning="times the engine restarted its containers (during the run, or by policy since started by hand)",
            applies=_runs,
            when="that run a container",
        ),
        Declared(
            field="duration",
            dimension="time",
            meaning="seconds a one-shot job ran, from its start to its exit 0 (the engine's StartedAt and FinishedAt)",
            applies=may_complete,
            when="whose restart policy leaves a container that exits 0 exited (no, on-failure)",
        ),
        Declared(
            field="memory_limit",
            dimension="size",
            meaning="the memory limit Docker enforces",
            applies=lambda svc: _runs(svc) and svc.memory_limit is not None,
            when="with a memory limit that run a container",
        ),
        Declared(
            field="cpus",
            dimension="",
            meaning="the CPU limit Docker enforces",
            applies=lambda svc: _runs(svc) and svc.cpu_limit is not None,
            when="with a CPU limit that run a container",
        ),
        # measured over the whole run by the usage sampler (engine/stats.py, judged in checks/usage.py)
        Declared(
            field="memory_peak",
            dimension="size",
            meaning="the most memory one of its containers used during the run, as `docker stats` counts it "
            "(sampled every second)",
            applies=_runs,
            when="that run a container",
        ),
        Declared(
            field="memory_peak_ratio",
            dimension="",
            meaning="memory_peak over the memory limit (the highest of its containers)",
            applies=lambda svc: _runs(svc) and svc.memory_limit is not None,
            when="with a memory limit that run a container",
        ),
        Declared(
            field="cpu_peak",
            dimension="",
            meaning="the most CPU one of its containers used during the run, in cores over one second",
            applies=_runs,
            when="that run a container",
        ),
        Declared(
            field="oom_kills",
            dimension="",
            meaning="times the engine killed one of its containers for lack of memory during the run",
            applies=_runs,
            when="that run a container",
        ),
        # measured by the Swarm backend (validator/swarm/reconcile.py) only: on plain containers a
        # criterion reading them has no evidence and is an error, never a pass
        Declared(
            field="replicas_desired", dimension="", meaning="Swarm tasks the service wants (--orchestrator swarm)"
        ),
        Declared(field="replicas_running", dimension="", meaning="Swarm tasks running (--orchestrator swarm)"),
        Declared(
            field="replicas_healthy", dimension="", meaning="Swarm tasks running and healthy (--orchestrator swarm)"
        ),
    ),
    doc="seconds from create to running, from running to healthy (the slowest task on Swarm); restarts; limits "
    "Docker enforces; memory and CPU peaks and OOM kills over the run; Swarm tasks desired, running and healthy",
)
