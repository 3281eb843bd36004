"""A check's process tree as a Linux control group (cgroup v2): membership that no child can shed.

Environment marks (children.py) travel only as far as a child passes its environment on: a suite's
fixture that starts a server with an ``env=`` of its own, in a session of its own, leaves a process
that carries none. A cgroup is inherited by every process forked inside it, whatever it does to its
environment, session or parent, and leaving it takes a write to another cgroup's ``cgroup.procs``
(root's privilege, which a suite does not use to escape). So the command-line process of a
``check`` moves *itself* into a cgroup of its run before it starts any child: every child is born
inside, and no child can fork before it is moved (there is no move of children at all).

Where: ``<cgroup2 root>/validator/<project digest>/<pid>-<start>``, the owner's pid and start time
(a pid alone is reused). Only folders under ``validator/`` with names of that form are ever read,
signalled or removed: dockerd, the containers (dockerd's children) and any other cgroup are not
validator's. A run whose owner process is gone left its members behind (a SIGKILL); the next
``check`` of the project stops them (``stop``) and removes the group. A run that ends normally
moves back to the cgroup it came from and removes its group (``leave``).

Where no cgroup2 hierarchy can be written (not root, a read-only cgroupfs in a container, no
cgroup2), there is no group: ``join`` says why, and the marks alone find what a killed run left.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FOLDER = "validator"
# the leaf's name as ``join`` writes it: the owner's pid, then its start time to the hundredth
_NAME = re.compile(r"(?P<pid>[1-9][0-9]*)-(?P<started>[0-9]+\.[0-9]{2})")
_POLL = 0.05
# Why 2 s: cgroup.kill is SIGKILL to every member at once; they are gone within milliseconds unless
# stuck in the kernel (D state), which no wait of ours would end.
_KILL_WAIT = 2.0


@dataclass(frozen=True, kw_only=True)
class RunGroup:
    path: Path  # the run's own cgroup folder
    came_from: Path  # the cgroup folder this process was in before (it goes back there on leaving)


@dataclass(frozen=True, kw_only=True)
class Joined:
    group: RunGroup | None  # None: already inside an outer run's group, which owns the whole tree
    why_not: str = ""  # no group could be made: why (the marks alone find what a killed run leaves)


def hierarchy(mountinfo: str = "/proc/self/mountinfo") -> Path | None:
    """Where the cgroup2 hierarchy's root is mounted writable, None without one."""
    try:
        with open(mountinfo) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if " - " not in line or len(fields) < 6:
            continue
        after = line.split(" - ", 1)[1].split()
        # the hierarchy's own root (field 4 "/"), not a sub-cgroup bound into a container, read-write
        if after and after[0] == "cgroup2" and fields[3] == "/" and "rw" in fields[5].split(","):
            return Path(_unescape(fields[4]))
    return None


def _unescape(path: str) -> str:
    """mountinfo writes a space, tab, newline and backslash in a path as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def own_cgroup(cgroup_file: str = "/proc/self/cgroup") -> str | None:
    """This process's cgroup in the v2 hierarchy (the ``0::`` line), as a path from its root."""
    try:
        with open(cgroup_file) as handle:
            for line in handle:
                if line.startswith("0::"):
                    return line[3:].strip()
    except OSError:
        return None
    return None


def project_folder(root: Path, project: str) -> Path:
    # a digest, not the name: a project's name may hold any character; the folder is validator's only
    digest = hashlib.sha256(project.encode()).hexdigest()[:16]
    return root / FOLDER / digest


def join(project: str, started: str, root: Path | None = None) -> Joined:
    """Move this process, which started at ``started``, into a new cgroup of its run of ``project``.
    Only ever this process: moving another one (init, say) would make it a member of a run that the
    next check stops once this process is gone."""
    pid = os.getpid()
    root = hierarchy() if root is None else root
    current = own_cgroup()
    if root is None or current is None:
        return Joined(group=None, why_not="no writable cgroup2 hierarchy")
    if current == f"/{FOLDER}" or current.startswith(f"/{FOLDER}/"):
        # a check run by a check's suite: the outer run's group holds it and all it starts (as the
        # outermost marks do); leaving it would take the inner tree out of what a sweep finds
        return Joined(group=None)
    leaf = project_folder(root, project) / f"{pid}-{started}"
    try:
        _make(leaf)
    except OSError as exc:
        return Joined(group=None, why_not=f"cannot create {leaf}: {exc.strerror or exc}")
    try:
        _write(leaf / "cgroup.procs", str(pid))
    except OSError as exc:
        with contextlib.suppress(OSError):
            leaf.rmdir()
        return Joined(group=None, why_not=f"cannot move into {leaf}: {exc.strerror or exc}")
    return Joined(group=RunGroup(path=leaf, came_from=root / current.lstrip("/")))


def _make(leaf: Path) -> None:
    # bounded: another run's ``leave`` may remove the (empty) project folder between our two steps
    for attempt in range(3):
        try:
            leaf.parent.mkdir(parents=True, exist_ok=True)
            leaf.mkdir()
            return
        except FileNotFoundError:
            if attempt == 2:
                raise


def leave(group: RunGroup) -> list[int]:
    """This run is over: go back to the cgroup it came from, kill what is still in the group (its
    children were stopped already: anything left escaped every other way) and remove it. Returns
    the pids killed. A failure leaves the group to the next check's sweep (its owner will be gone)."""
    try:
        _write(group.came_from / "cgroup.procs", str(os.getpid()))
    except OSError:
        return []
    left = members(group.path)
    if left:
        _kill([group.path])
    _remove([group.path])
    return left


def dead_runs(project: str, alive: Callable[[int, str], bool], root: Path | None = None) -> list[Path]:
    """The groups of ``project``'s runs whose owner ``alive`` says is gone, except the one this
    process is in (a check run by a killed check's suite is still that run's: it does not stop itself)."""
    root = hierarchy() if root is None else root
    if root is None:
        return []
    own = own_cgroup()
    mine = root / own.lstrip("/") if own is not None else None
    folder = project_folder(root, project)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    out = []
    for name in names:
        found = _NAME.fullmatch(name)
        if found is None or not (folder / name).is_dir():
            continue  # not a name validator writes: not ours to touch
        if (folder / name) != mine and not alive(int(found.group("pid")), found.group("started")):
            out.append(folder / name)
    return out


def members(group: Path) -> list[int]:
    try:
        text = (group / "cgroup.procs").read_text()
    except OSError:
        return []
    return sorted({int(word) for word in text.split()})


def stop(groups: list[Path], grace: float) -> list[int]:
    """Stop every member of ``groups``: SIGTERM, up to ``grace`` seconds, then ``cgroup.kill`` (what
    forked meanwhile is a member too); then remove the groups. Returns the pids that were members."""
    found = sorted({pid for group in groups for pid in members(group)})
    for group in groups:
        _signal(group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(_populated(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(_POLL)
    busy = [g for g in groups if _populated(g)]
    if busy:
        _kill(busy)
    _remove(groups)
    return found


def _signal(group: Path, sig: signal.Signals) -> None:
    """``sig`` to each member of ``group``, through a pidfd of the process seen in the group: a pid
    read from ``cgroup.procs`` may belong to another process by the time it is signalled (the member
    ended, the pid was reused); the pidfd holds the one whose cgroup was then read."""
    for pid in members(group):
        try:
            handle = os.pidfd_open(pid)
        except OSError:
            continue  # gone already
        try:
            where = own_cgroup(f"/proc/{pid}/cgroup") or ""
            if where.startswith(f"/{FOLDER}/") and str(group).endswith(where):
                signal.pidfd_send_signal(handle, sig)
        except OSError:
            pass  # ended meanwhile
        finally:
            os.close(handle)


def _kill(groups: list[Path]) -> None:
    for group in groups:
        try:
            _write(group / "cgroup.kill", "1")
        except OSError:  # before Linux 5.14: each member on its own
            _signal(group, signal.SIGKILL)
    deadline = time.monotonic() + _KILL_WAIT
    while any(_populated(g) for g in groups) and time.monotonic() < deadline:
        time.sleep(_POLL)


def _populated(group: Path) -> bool:
    try:
        text = (group / "cgroup.events").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        return bool(members(group))
    return "populated 1" in text.splitlines()


def _remove(groups: list[Path]) -> None:
    """Remove the (empty) groups, then their project folder and validator's if nothing else is in them."""
    for group in groups:
        with contextlib.suppress(OSError):
            group.rmdir()
    for folder in {g.parent for g in groups}:
        with contextlib.suppress(OSError):  # another run's group is still in it: it stays
            folder.rmdir()
            folder.parent.rmdir()


def _write(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)
