"""The Swarm calls the backend makes, through the connected ``Engine`` (which owns the SDK and
maps its errors): swarm state, services, tasks, nodes, overlay networks."""

from __future__ import annotations

from typing import Any

from validator.engine import labels as L
from validator.engine.docker_api import Engine
from validator.errors import EngineError


def require_manager(engine: Engine) -> dict[str, Any]:
    """The engine's swarm info; a clear error when it is not a swarm manager."""
    with engine.errors("read the engine's swarm state"):
        info = dict(engine.api.info())
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
    with engine.errors("list swarm services"):
        return list(engine.api.services(filters={"label": f"{L.PROJECT}={project}"}))


def services_named(engine: Engine, names: list[str]) -> list[dict[str, Any]]:
    """Services with these exact names, whoever owns them (to find foreign ones in the way)."""
    with engine.errors("list swarm services"):
        found = engine.api.services(filters={"name": names}) if names else []
    return [s for s in found if s["Spec"]["Name"] in names]


# The SDK's create_service/update_service rebuild the body from keyword arguments and objects;
# posting the body ``validator.swarm.desired`` built keeps what is hashed exactly what is sent.
def create_service(engine: Engine, body: dict[str, Any]) -> str:
    with engine.errors(f"create service {body['Name']}"):
        response = engine.api._post_json(engine.api._url("/services/create"), data=body)
        return str(engine.api._result(response, True)["ID"])


def update_service(engine: Engine, service_id: str, version: int, body: dict[str, Any]) -> None:
    with engine.errors(f"update service {body['Name']}"):
        url = engine.api._url("/services/{0}/update", service_id)
        response = engine.api._post_json(url, data=body, params={"version": version})
        engine.api._raise_for_status(response)


def remove_service(engine: Engine, service_id: str) -> None:
    from docker.errors import NotFound

    try:
        engine.api.remove_service(service_id)
    except NotFound:
        return
    except Exception as exc:  # noqa: BLE001
        engine._raise(exc, f"remove service {service_id[:12]}")


def tasks(engine: Engine, service_ids: list[str]) -> list[dict[str, Any]]:
    if not service_ids:
        return []
    with engine.errors("list swarm tasks"):
        return list(engine.api.tasks(filters={"service": service_ids}))


def nodes(engine: Engine) -> list[dict[str, Any]]:
    with engine.errors("list swarm nodes"):
        return list(engine.api.nodes())


def create_network(engine: Engine, body: dict[str, Any]) -> None:
    with engine.errors(f"create network {body['name']}"):
        engine.api.create_network(
            body["name"],
            driver=body["driver"],
            internal=body["internal"],
            labels=body["labels"],
            options=body["options"],
            attachable=body["attachable"],
            scope=body["scope"],
            check_duplicate=True,
        )


def local_node_id(engine: Engine) -> str:
    with engine.errors("read the engine's swarm state"):
        return str(((engine.api.info().get("Swarm") or {}).get("NodeID")) or "")


# Swarm configs and secrets share one shape: list by label, create with data, remove by ID.
def objects(engine: Engine, kind: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    with engine.errors(f"list swarm {kind}s"):
        return list(getattr(engine.api, f"{kind}s")(filters=filters))


def create_object(engine: Engine, kind: str, name: str, data: bytes, labels: dict[str, str]) -> str:
    with engine.errors(f"create swarm {kind} {name}"):
        created = getattr(engine.api, f"create_{kind}")(name, data, labels=labels)
        return str(created["ID"])


def remove_object(engine: Engine, kind: str, object_id: str) -> bool:
    """False when the engine refuses because a task still uses it (it goes with a later run)."""
    try:
        getattr(engine.api, f"remove_{kind}")(object_id)
    except Exception as exc:  # noqa: BLE001 - in use or gone: both leave nothing to do now
        if "in use" in str(exc) or "not found" in str(exc).lower():
            return False
        engine._raise(exc, f"remove swarm {kind} {object_id[:12]}")
    return True


def tasks_of_removed(engine: Engine, service_ids: list[str]) -> list[dict[str, Any]]:
    """Tasks still left of services already removed (a task filter on a removed service's ID is a
    404, so every task is listed and matched here)."""
    wanted = set(service_ids)
    with engine.errors("list swarm tasks"):
        return [t for t in engine.api.tasks() if t.get("ServiceID") in wanted]
