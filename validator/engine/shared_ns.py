"""Namespaces a container shares with another (``network_mode``/``pid``/``ipc``: ``service:X`` or
``container:X``) and the volumes it takes from another (``volumes_from``), and when a container that
shares one is no longer in its owner's current one.

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
it (its start must find its owner).

``volumes_from`` (case 13) binds the source's volumes at the sharer's *create*: a recreate of the
source recreates the sharer (as Compose does), and a kept sharer holding, at a target the source
mounts, another volume or bind than the source's current one is recreated; a start of the source
changes nothing there. A leaf module: the planner applies ``stale``; observed.py reads
the facts (``joined``) from the inspect it takes of every container anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from validator.engine.stamps import engine_time

# what is shared: a namespace (joined at start), or the volumes ``volumes_from`` takes (bound at create)
NamespaceKind = Literal["network", "pid", "ipc", "volumes"]
# spec key -> the HostConfig key the engine records the shared container in
HOST_KEYS: dict[str, str] = {"network": "NetworkMode", "pid": "PidMode", "ipc": "IpcMode"}
_PREFIX = "container:"


@dataclass(frozen=True, kw_only=True)
class SharedNamespace:
    """One namespace a service's containers share with another container."""

    kind: NamespaceKind
    container: str  # the owner's container name (a service's first replica, or container:NAME's NAME)
    service: str | None = None  # the spec service that owns it (``service:X``); None for container:NAME
    # volumes: the targets the sharer mounts itself (its own mount wins over the one it would take)
    own_targets: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Owner:
    """What the engine says of an owner now: its ID and its current start (epoch seconds; None when
    it is not running or the stamp is unreadable)."""

    id: str
    started: float | None
    running: bool
    mounts: dict[str, str] = field(default_factory=dict)  # its volumes and binds (``mounts``)


def shares_of(
    modes: Mapping[NamespaceKind, str | None],
    container_of: Callable[[str], str],
    *,
    volumes_from: Iterable[str] = (),
    own_targets: Iterable[str] = (),
) -> tuple[SharedNamespace, ...]:
    """What a service shares, from its ``network_mode``/``pid``/``ipc`` values (Compose's
    ``service:NAME`` / ``container:NAME``) and its ``volumes_from`` (``SERVICE[:MODE]`` /
    ``container:NAME[:MODE]``); ``container_of`` names a service's first container."""
    out = []
    for entry in volumes_from:
        if entry.startswith(_PREFIX):
            name = entry.removeprefix(_PREFIX).partition(":")[0]
            out.append(SharedNamespace(kind="volumes", container=name, own_targets=tuple(own_targets)))
        else:
            service = entry.partition(":")[0]
            share = SharedNamespace(
                kind="volumes", container=container_of(service), service=service, own_targets=tuple(own_targets)
            )
            out.append(share)
    for kind, value in modes.items():
        if not value:
            continue
        if value.startswith("service:"):
            service = value.removeprefix("service:")
            out.append(SharedNamespace(kind=kind, container=container_of(service), service=service))
        elif value.startswith(_PREFIX):
            out.append(SharedNamespace(kind=kind, container=value.removeprefix(_PREFIX)))
    return tuple(out)


def joined(detail: Mapping[str, Any] | None) -> dict[str, str]:
    """Kind -> the ID of the container whose namespace this one joins, as the engine recorded it at
    create (``HostConfig.NetworkMode`` etc. ``container:<ID>``)."""
    host = (detail or {}).get("HostConfig") or {}
    out: dict[str, str] = {}
    for kind, key in HOST_KEYS.items():
        value = host.get(key)
        if isinstance(value, str) and value.startswith(_PREFIX):
            out[kind] = value.removeprefix(_PREFIX)
    return out


def owner_of(detail: Mapping[str, Any] | None) -> Owner | None:
    """The owner as its inspect shows it (None: no such container)."""
    if not detail:
        return None
    state = detail.get("State") or {}
    return Owner(
        id=str(detail.get("Id")),
        started=engine_time(state.get("StartedAt")),
        running=bool(state.get("Running")),
        mounts=mounts(detail) or {},
    )


def mounts(detail: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Target -> what is mounted there (``volume NAME`` / ``bind SOURCE``; tmpfs left out: never
    shared), as the engine reports it; None when there is no inspect."""
    if not detail:
        return None
    out: dict[str, str] = {}
    for mount in detail.get("Mounts") or []:
        kind = mount.get("Type")
        if kind in ("volume", "bind"):
            source = mount.get("Name") if kind == "volume" else mount.get("Source")
            out[str(mount.get("Destination"))] = f"{kind} {source}"
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
    taken: Mapping[str, str] | None = None,
) -> tuple[Need, str] | None:
    """What a sharer needs so that it is in its owner's current namespace, and why; None when it is.

    ``joined_id``: the owner ID the sharer's HostConfig names (None: unknown, nothing to judge);
    ``started``/``running``: the sharer's current start and whether it runs; ``owner``: the owner now
    (None: no such container); ``owner_starts``: the plan's action that starts the owner in this run
    (create, recreate, start, restart), if any; ``taken``: the sharer's mounts (``mounts``)."""
    if share.kind == "volumes":
        return _stale_volumes(share, taken=taken, owner=owner, owner_starts=owner_starts)
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


def _stale_volumes(
    share: SharedNamespace, *, taken: Mapping[str, str] | None, owner: Owner | None, owner_starts: str | None
) -> tuple[Need, str] | None:
    """``volumes_from`` binds the source's volumes at create: a new source (its anonymous volumes new
    unless carried over) or any target the sharer holds another volume at than the source's current
    one is a recreate; a restart of the source changes nothing."""
    what = f"volumes of {share.container}"
    if owner_starts in ("create", "recreate"):
        return "recreate", f"takes the {what}, which is {owner_starts}d: it takes the new container's"
    if taken is None or owner is None:
        return None
    differ = sorted(t for t, m in owner.mounts.items() if t not in share.own_targets and taken.get(t) != m)
    if differ:
        return "recreate", f"takes the {what}, yet holds another volume than that container's at {', '.join(differ)}"
    return None
