"""Namespaces a container shares with another (``network_mode``/``pid``/``ipc``: ``service:X`` or
``container:X``), and when a container that shares one is no longer in its owner's current one.

Rule (adversary graph6 cases 09 and 12): a container joins another's namespace when it *starts*, and
the engine records the owner by its ID at *create* (``HostConfig.NetworkMode`` is
``container:<ID>`` whatever name the body gave). A start of the owner makes it a new namespace (a
new network stack: the sharer keeps the old one, loopback only); a recreate makes it a new
container whose ID the sharer does not name. So a sharer is current only while

- the ID its ``HostConfig`` names is the owner's current ID (else: recreated, as a start of it would
  fail on the ID of a removed container, and Compose recreates it too), and
- it was started at or after the owner's current start (else: in the namespace of an earlier start of
  the owner: restarted, which joins the current one);

and any start of the owner this run makes (create, recreate, start, restart) restarts, or for a new
owner recreates, each sharer after it. ``check --no-up`` fails a sharer that is not current (the
plan's action is drift). A sharer that is not running holds no namespace: only the ID rule applies to
it (its start must find its owner). A leaf module: the planner applies ``stale``; observed.py reads
the facts (``joined``) from the inspect it takes of every container anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

NamespaceKind = Literal["network", "pid", "ipc"]
# spec key -> the HostConfig key the engine records the shared container in
HOST_KEYS: dict[NamespaceKind, str] = {"network": "NetworkMode", "pid": "PidMode", "ipc": "IpcMode"}
_PREFIX = "container:"


@dataclass(frozen=True, kw_only=True)
class SharedNamespace:
    """One namespace a service's containers share with another container."""

    kind: NamespaceKind
    container: str  # the owner's container name (a service's first replica, or container:NAME's NAME)
    service: str | None = None  # the spec service that owns it (``service:X``); None for container:NAME


@dataclass(frozen=True, kw_only=True)
class Owner:
    """What the engine says of an owner now: its ID and its current start (epoch seconds; None when
    it is not running or the stamp is unreadable)."""

    id: str
    started: float | None
    running: bool


def shares_of(
    modes: Mapping[NamespaceKind, str | None], container_of: Callable[[str], str]
) -> tuple[SharedNamespace, ...]:
    """The namespaces a service shares, from its ``network_mode``/``pid``/``ipc`` values (Compose's
    ``service:NAME`` / ``container:NAME``); ``container_of`` names a service's first container."""
    out = []
    for kind, value in modes.items():
        if not value:
            continue
        if value.startswith("service:"):
            service = value.removeprefix("service:")
            out.append(SharedNamespace(kind=kind, container=container_of(service), service=service))
        elif value.startswith(_PREFIX):
            out.append(SharedNamespace(kind=kind, container=value.removeprefix(_PREFIX)))
    return tuple(out)


def joined(detail: Mapping[str, Any] | None) -> dict[NamespaceKind, str]:
    """Kind -> the ID of the container whose namespace this one joins, as the engine recorded it at
    create (``HostConfig.NetworkMode`` etc. ``container:<ID>``)."""
    host = (detail or {}).get("HostConfig") or {}
    out: dict[NamespaceKind, str] = {}
    for kind, key in HOST_KEYS.items():
        value = host.get(key)
        if isinstance(value, str) and value.startswith(_PREFIX):
            out[kind] = value.removeprefix(_PREFIX)
    return out


Need = Literal["recreate", "restart"]


def stale(
    share: SharedNamespace,
    *,
    joined_id: str | None,
    started: float | None,
    running: bool,
    owner: Owner | None,
    owner_starts: str | None,
) -> tuple[Need, str] | None:
    """What a sharer needs so that it is in its owner's current namespace, and why; None when it is.

    ``joined_id``: the owner ID the sharer's HostConfig names (None: unknown, nothing to judge);
    ``started``/``running``: the sharer's current start and whether it runs; ``owner``: the owner now
    (None: no such container); ``owner_starts``: the plan's action that starts the owner in this run
    (create, recreate, start, restart), if any."""
    what = f"{share.kind} namespace of {share.container}"
    if owner_starts in ("create", "recreate"):
        return "recreate", f"shares the {what}, which is {owner_starts}d: it joins the new container"
    if joined_id is None:
        return None
    if owner is None:
        return "recreate", f"shares the {what}, and that container is gone"
    if owner.id != joined_id:
        return "recreate", f"shares the {what} as a removed container ({joined_id[:12]}; {owner.id[:12]} now)"
    if not running:
        return None  # holds no namespace: its start joins the owner's current one
    if owner_starts is not None:
        return "restart", f"shares the {what}, which this run {owner_starts}s: it joins the new namespace"
    if not owner.running:
        return "restart", f"shares the {what}, which is not running: its namespace is gone"
    if owner.started is not None and (started is None or started < owner.started):
        return "restart", f"shares the {what} and started before its current start: it is in the earlier one"
    return None
