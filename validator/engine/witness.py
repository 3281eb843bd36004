"""Which of a project's containers changed since a moment: an inspect taken after that moment is
still current for every container the engine reported nothing about.

``up`` inspects every container twice: at the observation (its HostConfig, for drift) and after the
run (StartedAt and the health log, for the timings). At fifty services on a busy engine a round of
inspects costs a second; ``Witness`` lets the second round skip every container whose observation is
provably still current. It subscribes to the project's container events before the observation
inspects anything, and a container counts as unchanged only while the stream stayed open and
carried no event of it that could change what an inspect says of its state (start, restart, die,
kill, stop, pause, unpause, oom, health_status, update, rename, destroy), nor a network event naming
it (connect, disconnect: a network's events, which carry no container label, so a second stream of
every network's connects and disconnects, kept for the containers they name).

The engine writes an event stream's headers *before* it subscribes (moby ``getEvents``:
``output.Flush()`` then ``SubscribeToEvents``), so a stream that has just answered may still miss
an event of the next instants. Asking from ``SKEW`` seconds back closes that gap: the engine replays
its recent events (the last 256 it kept) from the subscription backwards, the gap's among them.
Replayed events older than the observation only mark a container changed: it is inspected again, as
before. The margin also covers an engine clock behind this machine's by up to ``SKEW`` seconds.

A change the stream has not delivered yet when the figures are read is missed as an inspect taken
at that moment would miss it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from validator.engine import labels as L

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

CHANGES = (
    "start",
    "restart",
    "die",
    "kill",
    "stop",
    "pause",
    "unpause",
    "oom",
    "health_status",
    "update",
    "rename",
    "destroy",
)
# a network event names the container it connected or disconnected in its attributes, not by its ID:
# disconnecting a kept container from its network (adversary graph6 case 10) changes its inspect
NETWORK_CHANGES = ("connect", "disconnect")
# seconds back the subscription asks from (see the module's docstring): the gap itself is microseconds
# on the engine; the rest is for a clock behind ours. Not more: a no-op right after a cold ``up``
# would count every container that turned healthy within it as changed (measured: 5 s made a no-op at
# fifty services inspect 11 of them again)
SKEW = 2.0


class Witness:
    """``with Witness(engine, project) as w:`` then ``w.unchanged(container_id)``."""

    def __init__(self, engine: Engine, project: str) -> None:
        self.changed: set[str] = set()
        self.lock = threading.Lock()
        self.ended = False
        since = time.time() - SKEW
        asked = [
            {"type": ["container"], "label": [f"{L.PROJECT}={project}"], "event": list(CHANGES)},
            {"type": ["network"], "event": list(NETWORK_CHANGES)},
        ]
        # both subscribed at once: each waits for the engine's answer, a round trip a busy engine makes
        # 0.05-0.3 s, and the observation waits for both
        with ThreadPoolExecutor(max_workers=len(asked), thread_name_prefix="validator-witness") as pool:
            self.streams = list(pool.map(lambda filters: engine.events(filters, since=since), asked))
        self.threads = [
            threading.Thread(target=self._read, args=(stream,), name="validator-witness", daemon=True)
            for stream in self.streams
        ]
        for thread in self.threads:
            thread.start()

    def _read(self, stream: Any) -> None:
        try:
            for event in stream:
                actor = event.get("Actor") or {}
                if event.get("Type") == "network":
                    cid = (actor.get("Attributes") or {}).get("container")
                else:
                    cid = event.get("id") or actor.get("ID")
                if cid:
                    with self.lock:
                        self.changed.add(str(cid))
        except Exception:  # noqa: BLE001 - the stream ends when the engine goes away or on close()
            pass
        finally:
            with self.lock:
                self.ended = True

    def unchanged(self, container: str) -> bool:
        """Whether the engine reported nothing of ``container`` since the witness opened (False once
        the stream has ended: from then on nothing is known)."""
        with self.lock:
            return not self.ended and container not in self.changed

    def close(self) -> None:
        with self.lock:
            self.ended = True
        for stream in self.streams:
            with contextlib.suppress(Exception):
                stream.close()
        for thread in self.threads:
            thread.join(timeout=5)

    def __enter__(self) -> Witness:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
