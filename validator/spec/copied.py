"""The secrets and configs that plain containers get as files copied in, where each lands, and the
mounts made at the start that hide such a file (the rule behind lint/copied_files.py).

Compose without Swarm (and ``up`` as it does) copies a secret or config from ``content`` or
``environment`` (and, beyond Compose, a file asking for an owner or a mode) into the *created*
container, before its start, through the engine's archive API. That API writes into the image layer,
a volume or a bind (the engine mounts volumes and binds for it), but never into a tmpfs: a tmpfs (the
service's ``tmpfs`` or a ``volumes`` entry of type tmpfs) exists only in the container's own mount
namespace, mounted at the start, and so are the runtime's ``/proc``, ``/sys`` and ``/dev`` (with
``/dev/shm``, ``/dev/mqueue``) and the engine's ``/etc/hosts``, ``/etc/hostname`` and
``/etc/resolv.conf``, bound at the start over whatever the layer holds. A file copied beneath one of
them is hidden at the start: the container never sees it, although the copy call succeeded (measured
on engine 20.10: docker compose 2.40 hides it the same way, silently). Worse, the archive API reads the
layer under a tmpfs too, so no read-back through it can tell; the spec must be refused instead.

The innermost mount at or above the target decides: a volume mounted inside a tmpfs holds the file.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from validator.spec.model import Spec
from validator.spec.resources import ConfigSpec
from validator.spec.service import Service
from validator.spec.service_parts import ServiceFile

# What the runtime and the engine mount in every container at its start, beneath which the archive
# API of a created container writes into the image layer (each checked against engine 20.10)
RUNTIME_MOUNTS = ("/proc", "/sys", "/dev", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf")

Kind = Literal["secrets", "configs"]


@dataclass(frozen=True, kw_only=True)
class Copied:
    """One secret or config entry of a service that is copied in (not bind-mounted)."""

    kind: Kind
    index: int  # its place in the service's list
    source: str
    path: str  # where it lands in the container


@dataclass(frozen=True, kw_only=True)
class Cover:
    """The mount that decides what the container sees at a path."""

    target: str
    what: str  # how a message names it: "the tmpfs /www", "the runtime's /dev"
    hides: bool  # mounted at the start where the archive API does not write


def owned(ref: ServiceFile) -> bool:
    """Whether the entry asks for an owner or a mode: then a file-based one is copied in with them (a
    bind mount keeps the host file's); Compose 2.40 ignores them on a file with a warning."""
    return ref.uid is not None or ref.gid is not None or ref.mode is not None


def placed(ref: ServiceFile, secret: bool) -> str:
    """Where Compose puts it without Swarm: a secret under /run/secrets unless the target is absolute,
    a config at its target or ``/<name>``."""
    if secret:
        target = ref.target or ref.source
        return target if target.startswith("/") else f"/run/secrets/{target}"
    target = ref.target or f"/{ref.source}"
    return target if target.startswith("/") else f"/{target}"


def copied(spec: Spec, svc: Service) -> Iterator[Copied]:
    """The service's secrets and configs that are copied in: from ``content`` or ``environment``, or a
    file asking for an owner or a mode (undeclared ones are another rule's)."""
    for kind in ("secrets", "configs"):
        declared = spec.secrets if kind == "secrets" else spec.configs
        for index, ref in enumerate(svc.secrets if kind == "secrets" else svc.configs):
            entry = declared.get(ref.source)
            if entry is None:
                continue
            inline = isinstance(entry, ConfigSpec) and entry.content is not None
            if inline or entry.environment is not None or (entry.file is not None and owned(ref)):
                yield Copied(kind=kind, index=index, source=ref.source, path=placed(ref, kind == "secrets"))


def covers(spec: Spec, svc: Service) -> list[Cover]:
    """Every mount of the service's containers by target: the runtime's, its tmpfs mounts (hiding),
    its volumes and binds and bind-mounted files (holding what is copied beneath them)."""
    out = [Cover(target=path, what=f"the runtime's {path}", hides=True) for path in RUNTIME_MOUNTS]
    for spelled in svc.tmpfs:
        target = spelled.partition(":")[0]
        out.append(Cover(target=target, what=f"the tmpfs {target}", hides=True))
    for mount in svc.volumes:
        hides = mount.type == "tmpfs"
        what = f"the tmpfs {mount.target}" if hides else f"the {mount.type} at {mount.target}"
        out.append(Cover(target=mount.target, what=what, hides=hides))
    for kind in ("secrets", "configs"):
        declared = spec.secrets if kind == "secrets" else spec.configs
        for ref in svc.secrets if kind == "secrets" else svc.configs:
            resource = declared.get(ref.source)
            if resource is not None and resource.file is not None and not owned(ref):
                target = placed(ref, kind == "secrets")
                out.append(Cover(target=target, what=f"the bound file {target}", hides=False))
    return out


def covering(path: str, mounts: list[Cover]) -> Cover | None:
    """The innermost of ``mounts`` at or above ``path`` (None: the image layer holds it)."""
    path = posixpath.normpath(path)
    best: Cover | None = None
    for mount in mounts:
        target = posixpath.normpath(mount.target)
        above = target == "/" or path == target or path.startswith(target + "/")
        if above and (best is None or len(target) >= len(posixpath.normpath(best.target))):
            best = mount  # later entries win a tie, as a later mount goes over an earlier one
    return best


def hidden(spec: Spec, svc: Service) -> Iterator[tuple[Copied, Cover]]:
    """Each copied file of the service that a mount made at the start hides, with that mount."""
    mounts = covers(spec, svc)
    for item in copied(spec, svc):
        cover = covering(item.path, mounts)
        if cover is not None and cover.hides:
            yield item, cover
