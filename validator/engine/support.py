"""Which service fields plain containers honour, and the located refusal for those they cannot
(the Swarm backend's are in swarm/support.py).

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

# (path inside the service, present?, why the orchestrator refuses it)
Rule = tuple[tuple[str, ...], Callable[[Service], bool], str]

# (deploy.mode global is one container here: one engine is one node, and docker compose runs one)
_CONTAINERS: list[Rule] = []

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
        lambda s: (
            s.deploy is not None and s.deploy.restart_policy is not None and s.deploy.restart_policy.delay is not None
        ),
        "restart_policy.delay paces Swarm's restarts (the engine has no such setting)",
    ),
    (
        ("deploy", "restart_policy", "window"),
        lambda s: (
            s.deploy is not None and s.deploy.restart_policy is not None and s.deploy.restart_policy.window is not None
        ),
        "restart_policy.window is Swarm's (the engine has no such setting)",
    ),
    (
        ("deploy", "endpoint_mode"),
        lambda s: s.deploy is not None and s.deploy.endpoint_mode is not None,
        "endpoint_mode is a Swarm service's",
    ),
]


def container_refusals(loaded: LoadedSpec) -> list[Finding]:
    """One located finding per field plain containers cannot honour (an error), or ignore as Compose
    does (a warning)."""
    out = field_refusals(loaded, "containers", refused=_CONTAINERS, ignored=_CONTAINERS_IGNORED)
    # An external config or secret lives in a swarm; a plain container has no file to mount.
    for section in ("configs", "secrets"):
        for key, obj in getattr(loaded.spec, section).items():
            if obj.external:
                message = f"an external {section[:-1]} exists only in a swarm: needs --orchestrator swarm"
                out.append(loaded.doc.finding((section, key, "external"), f"{message} [containers]", key=True))
    return out


def field_refusals(
    loaded: LoadedSpec, orchestrator: str, *, refused: list[Rule], ignored: tuple[Rule, ...] | list[Rule] = ()
) -> list[Finding]:
    """A finding per service field ``refused`` names (an error) or ``ignored`` names (a warning)."""
    out = []
    for name, service in loaded.spec.services.items():
        for path, present, why in refused:
            if present(service):
                out.append(loaded.doc.finding(("services", name, *path), f"{why} [{orchestrator}]", key=True))
        for path, present, why in ignored:
            if present(service):
                message = f"{why}: ignored by plain containers, as docker compose ignores it [{orchestrator}]"
                out.append(loaded.doc.finding(("services", name, *path), message, key=True, severity="warning"))
    return out
