"""The Swarm calls the backend makes, through the connected ``Engine`` (which picks the path: the
standard library's HTTP on a local socket, the Docker SDK's session for tcp:// and ssh://, and maps
errors): swarm state, services, tasks, nodes, overlay networks, configs and secrets. Each call is
the request the SDK's own method sends (``tests/unit/engine/test_transport.py`` pins them)."""

from __future__ import annotations

import base64
from typing import Any

from validator.engine import labels as L
from validator.engine.docker_api import Engine
from validator.errors import EngineError


def require_manager(engine: Engine) -> dict[str, Any]:
    """The engine's swarm info; a clear error when it is not a swarm manager."""
    info = dict(engine.call("read the engine's swarm state", "GET", "/info"))
    swarm = info.get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active":
        raise EngineError(
            f"the engine at {engine.address} is not in a swarm (state {swarm.get('LocalNodeState') or 'inactive'}): "
            "run `docker swarm init` there, or use --orchestrator containers"
        )
    if not swarm.get("ControlAvailable"):
        raise EngineError(f"the engine at {engine.address} is a swarm worker: point --host at a manager")
    return swarm


def services(engine: Engine, project: str) -> list[dict[str, Any]]:
    filters = {"label": [f"{L.PROJECT}={project}"]}
    return list(engine.call("list swarm services", "GET", "/services", params={"filters": filters}))


def services_named(engine: Engine, names: list[str]) -> list[dict[str, Any]]:
    """Services with these exact names, whoever owns them (to find foreign ones in the way)."""
    if not names:
        return []
    found = engine.call("list swarm services", "GET", "/services", params={"filters": {"name": names}})
    return [s for s in found if s["Spec"]["Name"] in names]


# The body ``validator.swarm.desired`` built is posted as it is, so what is hashed is what is sent
# (the SDK's create_service/update_service would rebuild it from keyword arguments).
def create_service(engine: Engine, body: dict[str, Any]) -> str:
    created = engine.call(f"create service {body['Name']}", "POST", "/services/create", body=body)
    return str(created["ID"])


def update_service(engine: Engine, service_id: str, version: int, body: dict[str, Any]) -> None:
    engine.call(
        f"update service {body['Name']}",
        "POST",
        "/services/{0}/update",
        service_id,
        params={"version": version},
        body=body,
    )


def remove_service(engine: Engine, service_id: str) -> None:
    """Gone already is what removing wanted."""
    engine.call(f"remove service {service_id[:12]}", "DELETE", "/services/{0}", service_id, missing_ok=True)


def tasks(engine: Engine, service_ids: list[str]) -> list[dict[str, Any]]:
    if not service_ids:
        return []
    return list(engine.call("list swarm tasks", "GET", "/tasks", params={"filters": {"service": service_ids}}))


def nodes(engine: Engine) -> list[dict[str, Any]]:
    return list(engine.call("list swarm nodes", "GET", "/nodes"))


def create_network(engine: Engine, body: dict[str, Any]) -> None:
    """An overlay network from the fields ``validator.swarm.desired`` gives."""
    engine.create_network(
        body["name"],
        body["labels"],
        body["driver"],
        body["internal"],
        False,
        body["options"] or {},
        attachable=body["attachable"],
        scope=body["scope"],
    )


def local_node_id(engine: Engine) -> str:
    info = engine.call("read the engine's swarm state", "GET", "/info")
    return str(((info.get("Swarm") or {}).get("NodeID")) or "")


# Swarm configs and secrets share one shape: list by label, create with data, remove by ID.
def objects(engine: Engine, kind: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    return list(engine.call(f"list swarm {kind}s", "GET", f"/{kind}s", params={"filters": filters}))


def create_object(engine: Engine, kind: str, name: str, data: bytes, labels: dict[str, str]) -> str:
    body = {"Data": base64.b64encode(data).decode("ascii"), "Name": name, "Labels": labels}
    created = engine.call(f"create swarm {kind} {name}", "POST", f"/{kind}s/create", body=body)
    return str(created["ID"])


def remove_object(engine: Engine, kind: str, object_id: str) -> bool:
    """False when the engine refuses because a task still uses it (it goes with a later run) or it
    is gone already: both leave nothing to do now."""
    try:
        engine.call(f"remove swarm {kind} {object_id[:12]}", "DELETE", f"/{kind}s/{{0}}", object_id)
    except EngineError as exc:
        if "in use" in str(exc) or "not found" in str(exc).lower():
            return False
        raise
    return True


def tasks_of_removed(engine: Engine, service_ids: list[str]) -> list[dict[str, Any]]:
    """Tasks still left of services already removed (a task filter on a removed service's ID is a
    404, so every task is listed and matched here)."""
    wanted = set(service_ids)
    return [t for t in engine.call("list swarm tasks", "GET", "/tasks") if t.get("ServiceID") in wanted]
