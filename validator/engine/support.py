"""Which service fields each orchestrator honours, and the located refusal for those it cannot.

A field an orchestrator would silently drop is refused instead (exit 2, ``file:line:col``): a
spec asking for one task per node must not pass ``check`` on one container, and a port published on
127.0.0.1 must not end up on every interface of every Swarm node. docs/spec.md has the same
table in prose; ``tests/unit/test_support.py`` pins it.
"""

from __future__ import annotations

from collections.abc import Callable

from validator.spec.load import LoadedSpec
from validator.spec.location import Finding
from validator.spec.service import Service

ORCHESTRATORS = ("containers", "swarm")

# (path inside the service, present?, why the orchestrator refuses it)
Rule = tuple[tuple[str, ...], Callable[[Service], bool], str]

# (deploy.mode global is one container here: one engine is one node, and docker compose runs one)
_CONTAINERS: list[Rule] = []

_SWARM: list[Rule] = [
    (("build",), lambda s: s.build is not None, "Swarm does not build images: build it first and name it in 'image'"),
    (
        ("container_name",),
        lambda s: s.container_name is not None,
        "Swarm names task containers itself (<stack>_<service>.<slot>.<task>)",
    ),
    (("privileged",), lambda s: s.privileged, "Swarm services cannot run privileged"),
    (
        ("restart",),
        lambda s: s.restart != "no",
        "Swarm ignores 'restart': use deploy.restart_policy (condition none, on-failure or any)",
    ),
    (
        ("ports",),
        lambda s: any(b.host_ip for p in s.ports for b in p.bindings()),
        "Swarm publishes ports on every interface of every node: a host IP cannot be kept (drop it in a swarm overlay)",
    ),
    (("memswap_limit",), lambda s: s.memswap_limit is not None, "Swarm services have no swap limit"),
    (("cpu_shares",), lambda s: s.cpu_shares is not None, "Swarm services have no CPU shares (use deploy.resources)"),
    (("shm_size",), lambda s: s.shm_size is not None, "Swarm services on engine API 1.41 have no shm_size"),
    (
        ("depends_on",),
        lambda s: any(d.condition != "service_started" for d in s.depends_on.values()),
        "Swarm starts services in no order: depends_on conditions cannot be honoured",
    ),
]

# Swarm's scheduling fields mean nothing to one engine: `docker compose up` ignores them, and so do
# plain containers (a warning says so; refusing them would reject valid compose files written for both).
_CONTAINERS_IGNORED: list[Rule] = [
    (
        ("deploy", "placement"),
        lambda s: s.deploy is not None and s.deploy.placement is not None,
        "placement chooses Swarm nodes",
    ),
    (
        ("deploy", "update_config"),
        lambda s: s.deploy is not None and s.deploy.update_config is not None,
        "update_config drives Swarm rolling updates",
    ),
    (
        ("deploy", "rollback_config"),
        lambda s: s.deploy is not None and s.deploy.rollback_config is not None,
        "rollback_config drives Swarm rollbacks",
    ),
    (
        ("deploy", "restart_policy", "delay"),
        lambda s: s.deploy is not None and s.deploy.restart_policy is not None and s.deploy.restart_policy.delay
        is not None,
        "restart_policy.delay paces Swarm's restarts (the engine has no such setting)",
    ),
    (
        ("deploy", "restart_policy", "window"),
        lambda s: s.deploy is not None and s.deploy.restart_policy is not None and s.deploy.restart_policy.window
        is not None,
        "restart_policy.window is Swarm's (the engine has no such setting)",
    ),
    (
        ("deploy", "endpoint_mode"),
        lambda s: s.deploy is not None and s.deploy.endpoint_mode is not None,
        "endpoint_mode is a Swarm service's",
    ),
]

RULES: dict[str, list[Rule]] = {"containers": _CONTAINERS, "swarm": _SWARM}
IGNORED: dict[str, list[Rule]] = {"containers": _CONTAINERS_IGNORED, "swarm": []}


def refusals(loaded: LoadedSpec, orchestrator: str) -> list[Finding]:
    """One located finding per field of a service this orchestrator cannot honour (an error), or
    ignores as Compose does (a warning)."""
    out = []
    for name, service in loaded.spec.services.items():
        for path, present, why in RULES[orchestrator]:
            if present(service):
                out.append(loaded.doc.finding(("services", name, *path), f"{why} [{orchestrator}]", key=True))
        for path, present, why in IGNORED[orchestrator]:
            if present(service):
                message = f"{why}: ignored by plain containers, as docker compose ignores it [{orchestrator}]"
                out.append(loaded.doc.finding(("services", name, *path), message, key=True, severity="warning"))
    if orchestrator == "swarm":
        # Swarm objects are made from files here; a value from a variable or inline content is not yet.
        for section in ("configs", "secrets"):
            for key, obj in getattr(loaded.spec, section).items():
                for field in ("environment", "content"):
                    if getattr(obj, field, None) is not None:
                        message = f"a {section[:-1]} from '{field}' is not supported yet on Swarm (use file)"
                        out.append(loaded.doc.finding((section, key, field), f"{message} [swarm]", key=True))
    if orchestrator == "containers":
        # An external config or secret lives in a swarm; a plain container has no file to mount.
        for section in ("configs", "secrets"):
            for key, obj in getattr(loaded.spec, section).items():
                if obj.external:
                    message = f"an external {section[:-1]} exists only in a swarm: needs --orchestrator swarm"
                    out.append(loaded.doc.finding((section, key, "external"), f"{message} [containers]", key=True))
    return out
