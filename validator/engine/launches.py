"""Launch records: which containers ``up`` launched in full (create, copy files, connect, start and
``post_start`` hooks, every one done).

A container's labels are written at create and cannot change after, so they cannot say whether the
steps after the create succeeded. The record says it: one small file per container, named by its ID,
in ``<state folder>/launched/<engine ID>/`` (the state folder of labels.state_folder, which holds the
label key). It is written atomically only once the container's last launch step succeeded, dropped
before ``up`` stops or starts the container again and when the container is removed. The planner
keeps a container only with a record (``ObservedContainer.launched``); without one, ``up`` recreates
it. A record that is missing for another reason (the container was made on another machine, by an
older version, or the state folder was emptied) costs one recreate: the safe direction.

A record also names the start it vouches for, when that start matters (adversary graph6 case 04).
The create, the copies and the connects belong to the container and outlive any start of it; a
``post_start`` hook acts on one start only (it writes into a tmpfs, configures a running process). So
the record of a container whose launch ran hooks names that start (the container's ``StartedAt``, read
after the start and before its hooks: any later start is another one), and a container started again
outside ``up`` (``docker restart``, ``docker start``, its restart policy after a crash, a daemon
restart) is not launched in full on its current start: the planner restarts it through ``up``'s start
step, hooks included, and ``check --no-up`` fails it. A record of a launch with no hook names no start
(``None``): a restart loses nothing there, and the container is kept.

The records are read by the caller of the planner (engine/reconcile.py) into the observation; the
planner reads no file.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from validator.engine.labels import state_folder
from validator.engine.lock import engine_identity
from validator.errors import EngineError

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

# a record of a container the engine no longer lists is dropped once it is this old (seconds): a day is far
# beyond any up, so a record written by a concurrent up after this one listed the containers stays
STALE_AFTER = 86400.0
# seconds between two scans of the folder for records to drop: a scan reads the age of every record, and
# a machine that runs many containers removed outside validator (a test suite's) keeps thousands, young
# ones included (measured here: 2957 records, 20 ms quiet and 0.1-0.2 s on a busy machine, on every
# ``up``). Records a day old need no hourly sweep; the scan's time is kept as the marker file's.
SCAN_EVERY = 3600.0
_SCANNED = ".scanned"
# what may name a file: an engine ID ("ABCD:EFGH:..." from /info) and a container ID (hex) are
# written with these characters only; anything else is replaced, never used as a path
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _part(text: str) -> str:
    cleaned = _SAFE.sub("_", text).strip(".")
    return cleaned or "_"


@dataclass(kw_only=True)
class LaunchRecords:
    """The launch records of one engine's containers (``folder``: that engine's own folder)."""

    folder: Path
    warned: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, engine: Engine) -> LaunchRecords:
        """The records of ``engine``'s containers: each engine (its ID from ``/info``, else its address)
        has its own folder, as its containers' IDs are its own."""
        return cls(folder=state_folder() / "launched" / _part(engine_identity(engine)))

    def launched(self, ids: Iterable[str]) -> frozenset[str]:
        """Those of ``ids`` that have a record."""
        return frozenset(self.starts(ids))

    def starts(self, ids: Iterable[str]) -> dict[str, str | None]:
        """Those of ``ids`` that have a record, each with the start it vouches for (``None``: it names
        none, as the record of a launch without ``post_start`` hooks, or one an older version wrote)."""
        out: dict[str, str | None] = {}
        for cid in ids:
            path = self.folder / _part(cid)
            try:
                body = json.loads(path.read_text())
            except FileNotFoundError:
                continue
            except (OSError, ValueError):
                # there, but unreadable: a record that names no start (a container with hooks is
                # restarted through them, one without is kept: as a record of an older version)
                body = {}
            started = body.get("started_at") if isinstance(body, dict) else None
            out[cid] = started if isinstance(started, str) else None
        return out

    def record(self, container: str, *, service: str, config_hash: str | None, started_at: str | None = None) -> None:
        """Every launch step of ``container`` succeeded: say so, atomically (a partial file is never
        read as a record). ``started_at``: the start its ``post_start`` hooks ran on, when it has hooks.
        A record that cannot be written costs the container a recreate at the next ``up``, said once on
        stderr."""
        body = json.dumps({"service": service, "config_hash": config_hash, "started_at": started_at, "at": time.time()})
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(body)
                os.replace(tmp, self.folder / _part(container))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            self._warn(exc.strerror or type(exc).__name__)

    def forget(self, container: str, *, required: bool = False) -> None:
        """The container is removed, or about to be stopped or started again: no longer launched.
        ``required``: it stays (a stop or start follows), so a record that cannot be dropped fails the
        step (it would vouch for a launch that may not complete); after a remove, a stale record names
        an ID no container has again and is only said."""
        try:
            (self.folder / _part(container)).unlink(missing_ok=True)
        except OSError as exc:
            if required:
                where = self.folder / _part(container)
                raise EngineError(f"cannot drop the launch record {where}: {exc.strerror}") from exc
            self._warn(exc.strerror or type(exc).__name__)

    def prune(self, existing: Callable[[], Iterable[str]], *, now: float, older_than: float = STALE_AFTER) -> int:
        """Drop the records of containers the engine no longer has (removed outside validator: ``docker
        rm``, another tool) that are older than ``older_than`` seconds; how many went. The age keeps a
        record another ``up`` has just written for a container it has just made (and this run's list
        did not show) from going. ``existing`` lists the engine's container IDs; it is called only when
        some record is old enough to go (a list of every container costs a round trip on each ``up``,
        a second on a busy engine, and in the steady state no record is a day old and unused). The folder
        is scanned at most once in ``SCAN_EVERY`` seconds (by ``now``)."""
        gone = 0
        marker = self.folder / _SCANNED
        try:
            if not self.folder.is_dir() or now - marker.stat().st_mtime < SCAN_EVERY:
                return 0
        except FileNotFoundError:
            pass  # never scanned
        except OSError as exc:
            self._warn(exc.strerror or type(exc).__name__)
            return 0
        try:
            entries = [path for path in self.folder.iterdir() if path.name != _SCANNED]
            marker.touch()
            old = [path for path in entries if now - path.stat().st_mtime >= older_than]
            if not old:
                return 0
            keep = {_part(cid) for cid in existing()}
            for path in old:
                if path.name in keep:
                    continue
                path.unlink(missing_ok=True)
                gone += 1
        except OSError as exc:
            self._warn(exc.strerror or type(exc).__name__)
        return gone

    def _warn(self, reason: str) -> None:
        with self.lock:
            if self.warned:
                return
            self.warned = True
        print(
            f"validator: warning: cannot keep launch records in {self.folder} ({reason}): the next up "
            "recreates the containers it cannot find a record for; set VALIDATOR_STATE_DIR to a writable folder",
            file=sys.stderr,
            flush=True,
        )
