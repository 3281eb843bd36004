"""``plan``, ``up``, ``down`` and the service results of ``check`` on a Swarm manager (the backend
interface of ``validator.backends.protocol``).

Images are pinned so that every node runs the same one and no node tries a registry for an image
that only exists locally: a registry image by its repository digest, a local-only image by its
ID (the executor skips the pull for an ID and uses the node's copy).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from validator import __version__
from validator.core.metrics import metric_name
from validator.core.result import Result, locate
from validator.engine import labels as L
from validator.engine.apply import ServiceResult
from validator.engine.desired import desired_state
from validator.engine.docker_api import Engine
from validator.engine.lock import ProjectLock
from validator.engine.reconcile import DownResult
from validator.engine.timings import state_path
from validator.engine.waiter import Timing
from validator.errors import EngineError
from validator.spec.load import LoadedSpec
from validator.spec.resources import ConfigSpec, SecretSpec
from validator.swarm import api
from validator.swarm.desired import STACK_LABEL, SwarmState, network_body, service_spec, swarm_state
from validator.swarm.plan import ObservedSwarm, SwarmAction, SwarmPlan, plan
from validator.swarm.tasks import (
    ServiceView,
    TaskView,
    healthy_of,
    load_seen,
    node_names,
    record,
    save_seen,
    startup_of,
    view,
)
from validator.swarm.wait import wait

Progress = Callable[[str, str], None]
PAST = {"create-service": "created", "update-service": "updated"}


@dataclass(kw_only=True)
class Planned:
    engine: Engine
    desired: SwarmState
    observed: ObservedSwarm
    plan: SwarmPlan


@dataclass(kw_only=True)
class SwarmUpResult:
    plan: SwarmPlan
    services: dict[str, ServiceResult] = field(default_factory=dict)
    views: dict[str, ServiceView] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.status == "ready" for r in self.services.values())


def _state(loaded: LoadedSpec) -> SwarmState:
    declared: dict[str, Mapping[str, SecretSpec | ConfigSpec]] = {
        "configs": loaded.spec.configs,
        "secrets": loaded.spec.secrets,
    }
    return swarm_state(desired_state(loaded, refuse_unsupported=False), loaded.spec.services, declared, loaded.base_dir)


def seen_path(loaded: LoadedSpec) -> Path:
    return state_path(loaded.base_dir, f"{loaded.spec.project}.swarm")


def pin_image(engine: Engine, ref: str) -> str | None:
    """What the tasks run: ``repo@sha256:...`` for a registry image, the image ID for a local one,
    None when the manager does not have it (then each node pulls ``ref`` itself)."""
    image = engine.inspect_image(ref)
    if image is None:
        return None
    digests = image.get("RepoDigests") or []
    return str(digests[0]) if digests else str(image["Id"])


def observe(engine: Engine, state: SwarmState) -> ObservedSwarm:
    api.require_manager(engine)
    observed = ObservedSwarm()
    for service in api.services(engine, state.project):
        name = (service["Spec"].get("Labels") or {}).get(L.SERVICE)
        if name in state.services and service["Spec"]["Name"] == state.services[name].service_name:
            observed.services[name] = service
        else:
            observed.orphans.append(service)
    owned = {s["ID"] for s in observed.services.values()} | {s["ID"] for s in observed.orphans}
    wanted = [s.service_name for s in state.services.values()]
    observed.foreign_services = [s["Spec"]["Name"] for s in api.services_named(engine, wanted) if s["ID"] not in owned]
    observed.networks = {n["Name"] for n in engine.networks(L.project_filter(state.project))}
    for net in state.networks.values():
        if (
            net.name not in observed.networks
            and not net.external
            and any(n["Name"] == net.name for n in engine.networks({"name": [net.name]}))
        ):
            observed.foreign_networks.add(net.name)
    for kind in ("config", "secret"):
        if any(k == kind for k, _ in state.objects):
            observed.objects.update({o["Spec"]["Name"]: o["ID"] for o in api.objects(engine, kind, {})})
    for image in sorted({svc.image for svc in state.services.values()}):
        pin = pin_image(engine, image)
        if pin is not None:
            observed.pins[image] = pin
    return observed


def make_plan(
    loaded: LoadedSpec,
    engine: Engine,
    *,
    remove_orphans: bool = False,
    force_recreate: bool = False,
    build: bool = False,
) -> Planned:
    state = _state(loaded)
    observed = observe(engine, state)
    the_plan = plan(state, observed, remove_orphans=remove_orphans, force_recreate=force_recreate)
    return Planned(engine=engine, desired=state, observed=observed, plan=the_plan)


def up(
    loaded: LoadedSpec,
    engine: Engine,
    *,
    progress: Progress,
    remove_orphans: bool = False,
    force_recreate: bool = False,
    build: bool = False,
    timeout: float | None = None,
    lock_wait: float = 600.0,
    say: Callable[[str], None] | None = None,
    lock: bool = True,
) -> SwarmUpResult:
    guard = (
        ProjectLock(project=loaded.spec.project, engine=engine, wait=lock_wait, say=say, what="up")
        if lock
        else nullcontext()
    )
    with guard:
        started = time.monotonic()
        planned = make_plan(loaded, engine, remove_orphans=remove_orphans, force_recreate=force_recreate)
        the_plan, state, observed = planned.plan, planned.desired, planned.observed
        if the_plan.conflicts:
            raise EngineError("; ".join(the_plan.conflicts))
        for note in the_plan.notes:
            progress("note", note)
        ids = {name: s["ID"] for name, s in observed.services.items()}
        for action in the_plan.actions:
            _apply(engine, action, state, observed, ids)
            progress(action.service or action.target, action.kind.replace("-", " "))
        _prune_objects(engine, state)
        seen_at = seen_path(loaded)
        seen = load_seen(seen_at)
        bound = timeout if timeout is not None else loaded.spec.settings.up_timeout
        outcomes = wait(engine, state.services, ids, seen, progress, bound)
        save_seen(seen_at, seen, {t.id for o in outcomes.values() for t in o.view.tasks})
        result = SwarmUpResult(plan=the_plan)
        local = _local_containers(engine, ids)
        for name in the_plan.order:
            outcome = outcomes[name]
            done = the_plan.for_service(name)
            result.services[name] = ServiceResult(
                name=name,
                status="ready" if outcome.ok else "failed",
                action=done.kind if done else None,
                timing=_timing(outcome.view),
                message=outcome.message,
                container=local.get(name),
            )
            result.views[name] = outcome.view
        result.duration = time.monotonic() - started
        return result


def _apply(
    engine: Engine, action: SwarmAction, state: SwarmState, observed: ObservedSwarm, ids: dict[str, str]
) -> None:
    """One planned action on the swarm (``ids``: service name -> Swarm service ID, updated here)."""
    if action.kind == "remove-orphan":
        orphan = next(o for o in observed.orphans if o["Spec"]["Name"] == action.target)
        api.remove_service(engine, orphan["ID"])
    elif action.kind == "create-network":
        net = next(n for n in state.networks.values() if n.name == action.target)
        api.create_network(engine, network_body(state.project, net))
    elif action.kind in ("create-config", "create-secret"):
        kind = "config" if action.kind == "create-config" else "secret"
        obj = state.objects[(kind, action.target)]
        assert obj.path is not None
        labels = {L.PROJECT: state.project, STACK_LABEL: state.project}
        observed.objects[obj.name] = api.create_object(engine, kind, obj.name, obj.path.read_bytes(), labels)
    else:
        assert action.service is not None
        svc = state.services[action.service]
        pin = observed.pins.get(svc.image, svc.image)
        body = service_spec(
            svc,
            project=state.project,
            image=pin,
            spec_files=state.spec_files,
            version=__version__,
            key=state.key,
            object_ids=observed.objects,
        )
        if action.kind == "create-service":
            ids[svc.name] = api.create_service(engine, body)
        else:
            current = observed.services[svc.name]
            if "--force-recreate" in action.reasons:
                old = current["Spec"]["TaskTemplate"].get("ForceUpdate", 0)
                body["TaskTemplate"]["ForceUpdate"] = int(old) + 1
            api.update_service(engine, current["ID"], current["Version"]["Index"], body)


def down(
    loaded: LoadedSpec,
    engine: Engine,
    *,
    volumes: bool = False,
    remove_orphans: bool = False,
    progress: Progress,
    lock_wait: float = 600.0,
    say: Callable[[str], None] | None = None,
) -> DownResult:
    """Remove the stack's services (and its networks once no service of the project is left).
    Named volumes live on each node; ``--volumes`` removes them on this engine only."""
    project = loaded.spec.project
    with ProjectLock(project=project, engine=engine, wait=lock_wait, say=say, what="down"):
        api.require_manager(engine)
        wanted = set(loaded.spec.services)
        removed, kept, removed_ids = [], [], []
        for service in api.services(engine, project):
            name = service["Spec"]["Name"]
            if (service["Spec"].get("Labels") or {}).get(L.SERVICE) not in wanted and not remove_orphans:
                kept.append(name)
                continue
            api.remove_service(engine, service["ID"])
            removed.append(name)
            removed_ids.append(service["ID"])
            progress(name, "removed")
        _wait_tasks_gone(engine, removed_ids)
        networks: list[str] = []
        if not kept:
            networks = _remove_networks(engine, project, progress)
            for kind in ("config", "secret"):
                for obj in api.objects(engine, kind, {"label": f"{L.PROJECT}={project}"}):
                    api.remove_object(engine, kind, obj["ID"])
                    progress(kind, f"{obj['Spec']['Name']} removed")
        removed_volumes = []
        if volumes:
            for vol in engine.volumes(L.project_filter(project)):
                engine.remove_volume(vol["Name"])
                removed_volumes.append(vol["Name"])
                progress("volume", f"{vol['Name']} removed")
        return DownResult(containers=removed, networks=networks, volumes=removed_volumes, kept_orphans=kept)


def _wait_tasks_gone(engine: Engine, service_ids: list[str]) -> None:
    """Until the removed services' tasks are gone (bounded): their containers hold endpoints on
    the stack's networks, and a network removed under them lingers on the nodes, slowing the
    next ``up`` that creates one of the same name."""
    deadline = time.monotonic() + NETWORK_REMOVE_WAIT
    while service_ids and time.monotonic() < deadline and api.tasks_of_removed(engine, service_ids):
        time.sleep(0.2)


def _prune_objects(engine: Engine, state: SwarmState) -> None:
    """Remove the project's configs and secrets no desired service names any more (older
    contents). One still used by a task that is being replaced stays until a later run."""
    wanted = {obj.name for obj in state.objects.values()}
    for kind in ("config", "secret"):
        for obj in api.objects(engine, kind, {"label": f"{L.PROJECT}={state.project}"}):
            if obj["Spec"]["Name"] not in wanted:
                api.remove_object(engine, kind, obj["ID"])


# A removed service's task containers go away asynchronously and hold their network endpoints
# until then, so removing the network is retried for a bounded while.
NETWORK_REMOVE_WAIT = 30.0


def _remove_networks(engine: Engine, project: str, progress: Progress) -> list[str]:
    removed = []
    for net in engine.networks(L.project_filter(project)):
        deadline = time.monotonic() + NETWORK_REMOVE_WAIT
        while True:
            try:
                engine.remove_network(net["Name"])
                break
            except EngineError:
                # Gone meanwhile (a manager lists a removed swarm network for a moment): done.
                if not any(n["Name"] == net["Name"] for n in engine.networks({"name": [net["Name"]]})):
                    break
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        removed.append(net["Name"])
        progress("network", f"{net['Name']} removed")
    # The manager keeps listing a removed overlay network until its node let go of it; an `up`
    # right after `down` would take it for existing and fail to attach a service to it.
    deadline = time.monotonic() + NETWORK_REMOVE_WAIT
    while removed and time.monotonic() < deadline:
        if not {n["Name"] for n in engine.networks(L.project_filter(project))} & set(removed):
            break
        time.sleep(0.2)
    return removed


def current_views(loaded: LoadedSpec, engine: Engine) -> tuple[dict[str, ServiceView], dict[str, str]]:
    """``--no-up``: each service's replicas as they are now (nothing changes)."""
    state = _state(loaded)
    api.require_manager(engine)
    found = {
        (s["Spec"].get("Labels") or {}).get(L.SERVICE): s
        for s in api.services(engine, state.project)
        if s["Spec"]["Name"] in {x.service_name for x in state.services.values()}
    }
    ids = {name: s["ID"] for name, s in found.items() if name}
    tasks = api.tasks(engine, list(ids.values()))
    seen = load_seen(seen_path(loaded))
    record(seen, tasks)
    names = node_names(api.nodes(engine))
    views = {}
    for name, svc in state.services.items():
        mine = [t for t in tasks if t.get("ServiceID") == ids.get(name)]
        views[name] = view(name, svc.replicas, svc.healthcheck, mine, names, seen)
    return views, ids


def service_results(
    loaded: LoadedSpec,
    engine: Engine,
    views: dict[str, ServiceView],
    actions: dict[str, str | None],
    messages: dict[str, str],
    ids: dict[str, str],
) -> tuple[list[Result], dict[str, str]]:
    """One result per service with its replica metrics; an under-replicated service fails,
    naming the missing tasks and the engine's reasons."""
    results, running = [], {}
    local = _local_containers(engine, ids)
    for name, svc in loaded.spec.services.items():
        where = locate(loaded, ("services", name))
        current = views.get(name)
        if current is None or name not in ids:
            results.append(
                Result(
                    kind="service",
                    name=name,
                    verdict="fail",
                    expected="a swarm service",
                    actual="no service",
                    message="run without --no-up to create it",
                    location=where,
                )
            )
            continue
        healthcheck = svc.healthcheck is not None and not svc.healthcheck.disabled
        metrics = {
            metric_name("service", name, "replicas_desired"): float(current.desired),
            metric_name("service", name, "replicas_running"): float(current.running),
            metric_name("service", name, "replicas_healthy"): float(current.healthy),
        }
        startup, health = startup_of(current), healthy_of(current)
        if startup is not None:
            metrics[metric_name("service", name, "startup")] = startup
        if health is not None:
            metrics[metric_name("service", name, "healthy")] = health
        if name in local:
            running[name] = local[name]
        nodes = ", ".join(_task_text(t) for t in current.tasks)
        done = actions.get(name)
        message = messages.get(name) or current.describe()
        if current.ready:
            message = f"{PAST.get(done or '', 'unchanged')}; tasks {nodes}"
        results.append(
            Result(
                kind="service",
                name=name,
                verdict="pass" if current.ready else "fail",
                expected=f"{current.desired} task(s) {'healthy' if healthcheck else 'running'}",
                actual=f"{current.healthy} {'healthy' if healthcheck else 'running'}",
                message=message,
                location=where,
                metrics=metrics,
            )
        )
    return results, running


def _task_text(task: TaskView) -> str:
    """``2@node-1 running (0.78s + 1.91s healthy)``: slot, node, state, startup and health seconds."""
    text = f"{task.slot or '-'}@{task.node} {task.state}"
    if task.startup is not None:
        text += f" ({task.startup:.2f}s" + (f" + {task.healthy:.2f}s healthy" if task.healthy is not None else "") + ")"
    return text


def _timing(current: ServiceView) -> Timing | None:
    startup, health = startup_of(current), healthy_of(current)
    if startup is None:
        return None
    return Timing(requested_at=time.time(), startup=startup, healthy=health)


def _local_containers(engine: Engine, ids: dict[str, str]) -> dict[str, str]:
    """Per service, a running task's container on this very engine (probes that exec in a
    container or read its logs use it); services with no task here are left out."""
    here = api.local_node_id(engine)
    by_service = {service_id: name for name, service_id in ids.items()}
    out: dict[str, str] = {}
    for task in api.tasks(engine, list(ids.values())):
        status = task.get("Status") or {}
        container = (status.get("ContainerStatus") or {}).get("ContainerID")
        name = by_service.get(task.get("ServiceID") or "")
        if name and container and task.get("NodeID") == here and status.get("State") == "running":
            out.setdefault(name, str(container))
    return out
