"""Whether a probe that names a service would reach that service ("the probe's peer is the project's").

A probe run on this host that dials an address of this machine (loopback, its LAN address, the
docker0 gateway) reaches whatever listens there: an old build still serving the port, a developer's
server. Its answer is evidence about the service only when a
running container of the project publishes exactly what the probe dials — the same protocol (every
such probe dials TCP), the same port, and a host address that covers each address the probe may
dial. A port number published only as UDP, or on another loopback address, is someone else's TCP
port. When the probe's own service runs on the host network it publishes nothing: the process
listening there must then be one of its container's; only its own service (never an unrelated one
of the project) excuses the probe from the publishing rule.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from validator.engine.address import on_this_machine
from validator.engine.listeners import Listener, tcp_listeners
from validator.errors import FatalError
from validator.probes.base import ProbeContext
from validator.probes.registry import PROBES

_SWARM_TASK = "com.docker.swarm.task.id"


@dataclass(frozen=True, kw_only=True)
class Peer:
    """What is known of the probe's peer: why it is another process (``foreign``), or what could not
    be told (``unverified``, said with the verdict); both empty when it is the service's or no
    question arises (no service named, not this machine, run in a container)."""

    foreign: str = ""
    unverified: str = ""


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """Where a probe dials on this machine: its host as written, the addresses that may answer, the port."""

    host: str
    addresses: tuple[str, ...]
    port: int


@dataclass(frozen=True, kw_only=True)
class Published:
    """One host binding of a container: protocol, host address ("" or a wildcard: every address), port."""

    protocol: str
    address: str
    port: int


def judge(spec: Any, ctx: ProbeContext) -> Peer:
    """What is known of the peers the probe ``spec`` would reach (see the module's rule): each
    endpoint it dials on this machine (an ``http`` probe's URL; a ``spark`` probe's master and UI;
    a ``cdc`` probe's MySQL and master) is judged, and the first foreign one decides."""
    if PROBES[spec.kind].in_container:
        return Peer()
    return judge_endpoints(spec.service, loopback_endpoints(spec), ctx)


def judge_answer(spec: Any, url: str, ctx: ProbeContext) -> Peer:
    """The peer of the URL a probe's answer came from when it is not the spec's (a redirect it
    followed to another port of this machine is judged as the spec's own URL is)."""
    endpoint = _from_url(url)
    return judge_endpoints(spec.service, [endpoint] if endpoint else [], ctx)


def judge_endpoints(service: str | None, endpoints: list[Endpoint], ctx: ProbeContext) -> Peer:
    """What is known of the peers at ``endpoints`` for a probe of ``service`` (see ``judge``)."""
    if service is None or not endpoints or ctx.engine_factory is None:
        return Peer()
    try:
        engine = ctx.engine()
        own = (engine.try_inspect(ctx.running[service]) if service in ctx.running else None) or {}
        details = [engine.try_inspect(cid) or {} for cid in ctx.running.values()]
    except FatalError:
        return Peer()  # the engine is gone: the run says so
    address = getattr(engine, "address", None)  # an engine stand-in in a test may not say where it is
    if isinstance(address, str) and not on_this_machine(address):
        where = f"{endpoints[0].host}:{endpoints[0].port}"
        return Peer(
            foreign=f"{where} is on this machine, but the engine at {address} runs on another machine: "
            f"whatever answers here is not service {service} (probe the engine's host, or run it in a container)"
        )
    published = [p for detail in details for p in bindings(detail)]
    found = [_one(service, ctx.spec.project, endpoint, own, published) for endpoint in endpoints]
    foreign = next((f.foreign for f in found if f.foreign), "")
    return Peer(foreign=foreign, unverified="" if foreign else "; ".join(f.unverified for f in found if f.unverified))


def _one(service: str, project: str, endpoint: Endpoint, own: dict[str, Any], published: list[Published]) -> Peer:
    """One endpoint: published by the project (any of its services: a probe of a worker dials its
    master), else held by the probe's own host-networked container, else foreign."""
    where = f"{endpoint.host}:{endpoint.port}"
    missing = tuple(a for a in endpoint.addresses if not covered(a, endpoint.port, published))
    if not missing:
        return Peer()
    if (own.get("HostConfig") or {}).get("NetworkMode") == "host":
        unpublished = Endpoint(host=endpoint.host, addresses=missing, port=endpoint.port)
        return _host_networked(service, unpublished, own, tcp_listeners())
    if _SWARM_TASK in ((own.get("Config") or {}).get("Labels") or {}):
        # the routing mesh publishes a Swarm task's ports, not its container: the container's record
        # cannot prove or disprove the port, and the probe runs unproven on that point, saying so
        return Peer(
            unverified=f"service {service} is a Swarm task, whose ports the routing mesh publishes: "
            f"that {where} is its port was not verified"
        )
    return Peer(
        foreign=f"tcp {where} is published by no running container of project {project}"
        f"{_near(endpoint, published)}: whatever answers there is another process, not service {service} "
        "(publish the port, or probe the one it publishes)"
    )


def bindings(detail: dict[str, Any]) -> list[Published]:
    """A container's host bindings from its inspection (``NetworkSettings.Ports``)."""
    out = []
    for key, found in ((detail.get("NetworkSettings") or {}).get("Ports") or {}).items():
        # the engine keys a container port as "<port>/<protocol>" (its API's format, not a name of ours)
        protocol = str(key).partition("/")[2] or "tcp"
        for binding in found or ():
            port = str(binding.get("HostPort", ""))
            if port.isdigit():
                out.append(Published(protocol=protocol, address=str(binding.get("HostIp") or ""), port=int(port)))
    return out


def covered(address: str, port: int, published: Iterable[Published]) -> bool:
    """Whether a TCP connection to ``address``:``port`` reaches a binding of ``published``: same
    protocol and port, and a host address equal to it or the wildcard of its family ("" is every
    address). "::" counts for IPv6 only: the engine lists its IPv4 binding apart."""
    return any(p.protocol == "tcp" and p.port == port and _spans(p.address, address) for p in published)


def _spans(bound: str, address: str) -> bool:
    """Whether a socket bound to ``bound`` accepts connections to ``address``."""
    if bound == "":
        return True
    try:
        wide, one = ipaddress.ip_address(bound), ipaddress.ip_address(address)
    except ValueError:
        return False
    return wide == one or (wide.is_unspecified and wide.version == one.version)


def _may_accept(bound: str, address: str) -> bool:
    """Whether a listener on ``bound`` may take connections to ``address``: ``_spans``, or any
    unspecified address (a socket on ``::`` takes IPv4 too unless it set IPV6_V6ONLY, which the
    listing does not show: such a listener is counted, never overlooked)."""
    if _spans(bound, address):
        return True
    try:
        return ipaddress.ip_address(bound).is_unspecified
    except ValueError:
        return False


def _near(endpoint: Endpoint, published: list[Published]) -> str:
    """What the project does publish at that port number (another protocol, another address), if anything."""
    same = sorted({f"{p.address or '*'}:{p.port}/{p.protocol}" for p in published if p.port == endpoint.port})
    return f" (it publishes {', '.join(same)})" if same else ""


def _host_networked(service: str, endpoint: Endpoint, own: dict[str, Any], listening: list[Listener]) -> Peer:
    """The service's container shares this host's network and publishes nothing: every process that
    listens where the probe dials must be one of the container's."""
    where = f"{endpoint.host}:{endpoint.port}"
    holders = [
        h for h in listening if h.port == endpoint.port and any(_may_accept(h.address, a) for a in endpoint.addresses)
    ]
    root = (own.get("State") or {}).get("Pid")
    strangers = [h for h in holders if h.pid is not None and not (isinstance(root, int) and _inside(h.pid, root))]
    if strangers:
        return Peer(
            foreign=f"{where} is held by {', '.join(h.who for h in strangers)}, a process outside service "
            f"{service}'s container (which runs on the host network): its answer is not the service's"
        )
    unseen = [h for h in holders if h.pid is None]
    if unseen:
        return Peer(
            unverified=f"service {service} runs on the host network; whose process listens on {where} "
            "could not be seen by this user, so that the answer is the service's was not verified"
        )
    return Peer()  # nothing listens there (the probe finds that itself), or only the container's processes


def _inside(pid: int, root: int) -> bool:
    """Whether process ``pid`` belongs to the container whose first process is ``root``: it is that
    process or a descendant, or shares its PID namespace when that is not this host's (a process
    started with ``docker exec`` is no descendant of ``root``)."""
    import psutil  # here: only a host-networked service's probe asks

    try:
        if pid == root or root in {p.pid for p in psutil.Process(pid).parents()}:
            return True
        theirs = os.readlink(f"/proc/{root}/ns/pid")
        return theirs != os.readlink("/proc/self/ns/pid") and os.readlink(f"/proc/{pid}/ns/pid") == theirs
    except (psutil.Error, OSError):
        return False


def loopback_endpoints(spec: Any) -> list[Endpoint]:
    """Where a probe dials on this machine (see ``_local_addresses``): its ``url``, ``ui`` and
    ``master`` (a Spark master's ``spark://host:port``), and its ``host`` and ``port``; addresses
    elsewhere are left out (no container's publishing can prove or disprove them)."""
    found = [_from_url(getattr(spec, field, None)) for field in ("url", "ui", "master")]
    host, port = getattr(spec, "host", None), getattr(spec, "port", None)
    if isinstance(host, str) and isinstance(port, int) and not isinstance(port, bool):
        found.append(_endpoint(host, port))
    return [e for e in found if e is not None]


def _from_url(url: object) -> Endpoint | None:
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None  # several hosts (a Spark HA master list), or no URL: not this check's to prove
    return _endpoint(parts.hostname or "", port) if port is not None else None


def _endpoint(host: str, port: int) -> Endpoint | None:
    addresses = _local_addresses(host) if host else ()
    return Endpoint(host=host, addresses=addresses, port=port) if addresses else None


def _local_addresses(host: str) -> tuple[str, ...]:
    """The addresses of this machine a connection to ``host`` may reach, found as the connection finds
    them: ``getaddrinfo`` (so the machine's hostname, ``127.1``, ``0x7f000001`` are what the socket
    dials, not spellings), an IPv4-mapped IPv6 address as its IPv4 one, the unspecified address as its
    family's loopback (as the kernel takes it). Each that is loopback or bound on one of this machine's
    interfaces is kept (a publish on the wildcard covers the docker0 gateway and the LAN address as it
    covers 127.0.0.1; a client tries every resolved address in turn, so any may answer); any other
    address is elsewhere, where no container's publishing can prove or disprove it."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ()  # resolves to nothing: the probe cannot connect, and says so itself
    dialled = {a for a in (_dialled(str(info[4][0])) for info in found) if a is not None}
    if not dialled:
        return ()
    own = _own_addresses()
    return tuple(sorted(str(a) for a in dialled if a.is_loopback or a in own))


def _dialled(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a connection to ``text`` (one ``getaddrinfo`` answer) reaches: an IPv4-mapped IPv6
    address is its IPv4 one (Python < 3.13 does not call ``::ffff:127.0.0.1`` loopback), the
    unspecified address its family's loopback, a scope ("fe80::1%eth0") dropped."""
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified:
        return ipaddress.ip_address("127.0.0.1" if address.version == 4 else "::1")
    return address


def _own_addresses() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address bound on one of this machine's interfaces (docker0's gateway, the LAN address)."""
    import psutil  # here: only a probe that dials a resolved address asks

    try:
        interfaces = psutil.net_if_addrs()
    except (OSError, psutil.Error):
        return set()  # the interfaces cannot be listed: loopback alone is judged
    own = (_dialled(str(a.address)) for nic in interfaces.values() for a in nic if a.family in _FAMILIES)
    return {a for a in own if a is not None}


_FAMILIES = (socket.AF_INET, socket.AF_INET6)
