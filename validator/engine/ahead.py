"""The project's containers inspected while the interpreter is still importing and reading the spec.

A no-op ``up`` of fifty services spends two things of its wall time on nothing but waiting: its own
start-up (imports, the spec: CPU-bound, 0.4 s of CPU that fifty health checks a second on two cores
stretch to 1-1.7 s of wall) and then the observation's round of fifty inspects (0.1-1.1 s on that
engine: an inspect waits while its container runs a health probe). The second needs nothing of the
first but the project's name, so ``LookAhead`` asks it on a thread of its own as soon as the engine
answers, under a project name guessed from the command line (``spec/project.py``: ``project_hint``).

What makes the early inspects as good as the observation's own: the same rule ``up`` already keeps
for its second look (``engine/witness.py``). The witness subscribes to the project's container events
*before* anything is listed or inspected, and ``up`` adopts it as its own witness; an early inspect is
used only for a container the witness heard nothing of since (no start, die, health_status, update,
rename, destroy, connect, disconnect, ...) and only while its stream stayed open. Any other container,
and every container of a run whose real project differs from the guess, is inspected at the
observation as before. The container list, the networks, volumes and images are always asked at the
observation: only the inspects, the part that grows with the services, are taken ahead.

Read-only: the look-ahead lists and inspects, it changes nothing. A failure of any kind leaves it
empty (the observation then asks everything, and meets the same failure itself, which says why).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from validator.engine import labels as L
from validator.engine.docker_api import Engine
from validator.engine.inspect_each import inspect_each
from validator.engine.witness import Witness

# seconds ``up`` waits for the look-ahead before it observes without it: its calls are the ones the
# observation would make, so an engine that holds them this long holds the observation's too; the
# bound only keeps a wedged engine from holding ``up`` twice over
WAIT = 120.0


class LookAhead:
    """``LookAhead(engine_of, project)`` starts at once; ``taken(project)`` hands the result to ``up``
    (``Taken`` or None); ``close()`` ends it (idempotent; the adopting ``up`` closes the witness too)."""

    def __init__(self, engine_of: Callable[[], Engine], project: str | None) -> None:
        self.project = project
        self._lock = threading.Lock()
        self._closed = False
        self._witness: Witness | None = None
        self._engine: Engine | None = None
        self._details: dict[str, dict[str, Any]] = {}
        self._done = threading.Event()
        if project is None:
            self._done.set()
            return
        # a daemon: a command that ends on a bad spec does not wait for an engine that does not answer
        threading.Thread(target=self._run, args=(engine_of, project), name="validator-ahead", daemon=True).start()

    def _run(self, engine_of: Callable[[], Engine], project: str) -> None:
        try:
            engine = engine_of()
            witness = Witness(engine, project)  # before the list: every later change is heard
            with self._lock:
                if self._closed:
                    witness.close()
                    return
                self._witness, self._engine = witness, engine
            ids = [str(c["Id"]) for c in engine.containers(L.project_filter(project))]
            found = inspect_each(engine.try_inspect, ids)
            with self._lock:
                self._details = {cid: detail for cid, detail in found.items() if detail is not None}
        except Exception:  # noqa: BLE001 - empty on any failure: the observation asks again and says why
            with self._lock:
                self._details = {}
        finally:
            self._done.set()

    def wait(self, timeout: float) -> bool:
        """Whether the look-ahead has finished (its inspects taken, or given up) within ``timeout``."""
        return self._done.wait(timeout)

    def taken(self, project: str, engine: Engine) -> Taken | None:
        """What was taken ahead for ``project`` on ``engine`` (waits for it), or None: another project
        than guessed, no witness (the engine did not answer), or already closed."""
        if project != self.project:
            self.close()
            return None
        finished = self.wait(WAIT)
        with self._lock:
            witness, details = self._witness, self._details
            if not finished or self._closed or witness is None or self._engine is not engine:
                return None
        return Taken(witness=witness, details=details)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            witness, self._witness = self._witness, None
            self._details = {}
        if witness is not None:
            with contextlib.suppress(Exception):
                witness.close()


class Taken:
    """The inspects taken ahead and the witness that vouches for them; ``up`` adopts the witness."""

    def __init__(self, *, witness: Witness, details: dict[str, dict[str, Any]]) -> None:
        self.witness = witness
        self._details = details

    def current(self, container: str) -> dict[str, Any] | None:
        """The early inspect of ``container`` while the engine reported nothing of it since, else None
        (the observation inspects it again)."""
        detail = self._details.get(container)
        return detail if detail is not None and self.witness.unchanged(container) else None
