"""The files ``up`` copies into a container before its start (secrets and configs from ``content`` or
the environment, files asking for an owner or a mode), read back from the container.

Rule (adversary graph7 case 05): a copied file is evidence only when read back at the moment of the
verdict. The launch record says the copy was made; it says nothing of what the container's own
process, or a ``docker exec`` / ``docker cp``, did to the file since. So each copy is read back:

- right after the start (``apply._read_back``: before the launch record vouches for it);
- at the end of ``up``, for every container of each ready service with copies, kept ones too
  (``reconcile._end_look``): one that differs fails its service;
- by every plan (``plan``, ``up``'s own, ``check --no-up``'s), for each launched container of
  validator's of a service with copies (``with_copies``): one that differs is drift, and ``up``
  recreates it;
- at ``check``'s last observation (``checks/watched.rejudge``): one that differs fails its service.

The cost is bounded: only services with copies, one archive read per file per container.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from validator.errors import EngineError

if TYPE_CHECKING:
    from validator.engine.compose_fields import CopiedFile
    from validator.engine.desired import DesiredState
    from validator.engine.docker_api import Engine, FileBack
    from validator.engine.observed import ObservedContainer, ObservedState


def copy_differs(item: CopiedFile, back: FileBack | None) -> str | None:
    """Why the file read back is not the one copied (None: it is). Never quotes either content: a
    secret's must not leave."""
    if back is None:
        return "no file there"
    if not back.regular:
        return "not a regular file there"
    if not back.whole or back.content != item.content:
        return "its content differs"
    if back.mode != item.mode:
        return f"its mode is {back.mode:04o}, not {item.mode:04o}"
    if (back.uid, back.gid) != (item.uid, item.gid):
        return f"its owner is {back.uid}:{back.gid}, not {item.uid}:{item.gid}"
    return None


def copies_differ(engine: Engine, files: tuple[CopiedFile, ...], container: str) -> list[str]:
    """How the copies ``files`` differ in ``container`` now (empty: each holds what was copied). A
    read the engine refuses (the container removed meanwhile) counts as a difference: not read is not
    the same."""
    out = []
    for item in files:
        what = "secret" if item.secret else "config"
        try:
            back = engine.read_file(container, item.path, len(item.content))
        except EngineError as exc:
            out.append(f"the {what} copied to {item.path} could not be read back ({exc})")
            continue
        why = copy_differs(item, back)
        if why is not None:
            out.append(f"the {what} copied to {item.path} is not what was copied ({why})")
    return out


def with_copies(engine: Engine, desired: DesiredState, observed: ObservedState) -> ObservedState:
    """``observed`` with each launched container of validator's whose copies differ marked with that
    drift. A container without a launch record is recreated anyway: not read."""

    def marked(c: ObservedContainer) -> ObservedContainer:
        svc = desired.services.get(c.service or "")
        if svc is None or not svc.files or c.owner != "validator" or not c.launched:
            return c
        differs = copies_differ(engine, svc.files, c.id)
        return dataclasses.replace(c, drift=(*c.drift, *differs)) if differs else c

    if not any(svc.files for svc in desired.services.values()):
        return observed
    containers = {service: tuple(marked(c) for c in items) for service, items in observed.containers.items()}
    return dataclasses.replace(observed, containers=containers)
