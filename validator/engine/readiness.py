"""Readiness by exec: right after a container starts, run the service's own health test in it at a
short bounded interval until it passes, so services waiting on ``service_healthy`` may start then.

Why: engines before API 1.44 (no ``start_interval``) run the first health probe one whole
``interval`` after start, so a service that is up in 0.3 s is reported healthy only after, say,
10 s, and everything depending on it waits that long. The test run here is the very command the
engine runs (same user, same container), so "ready" means what "healthy" means, only sooner. The
engine's own status still decides the ``healthy`` time, the end of ``up`` and any failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from validator.errors import EngineError

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

# Short enough that readiness lags the service by a fraction of a second, long enough that a slow
# service does not spend the machine on execs (each costs the engine a process spawn).
EXEC_INTERVAL = 0.25


def health_argv(healthcheck: Any) -> list[str] | None:
    """The argv the engine would run for a spec ``healthcheck`` block (None: nothing to run here:
    no test of its own, the image's, or disabled)."""
    if not isinstance(healthcheck, dict) or not isinstance(healthcheck.get("test"), list):
        return None
    test = [str(part) for part in healthcheck["test"]]
    if test[0] == "CMD" and len(test) > 1:
        return test[1:]
    if test[0] == "CMD-SHELL" and len(test) > 1:
        return ["/bin/sh", "-c", test[1]]
    return None


def runs_health_check(detail: Mapping[str, Any]) -> bool:
    """Whether a container (its engine inspect) runs a health check, its spec's or its image's: the
    engine merges both into its ``Config.Healthcheck``. Such a container is ready only when healthy,
    on ``up``'s path (engine/apply.py) as on ``check``'s (checks/services.py): one judgement."""
    test = ((detail.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []
    return bool(test) and test[0] != "NONE"


class ExecReadiness:
    """Runs ``argv`` in ``container`` every ``EXEC_INTERVAL`` seconds on a thread until it exits 0
    (then calls ``on_ready`` once), ``stop()`` is called, or ``until`` (monotonic) passes."""

    def __init__(
        self,
        engine: Engine,
        container: str,
        argv: list[str],
        timeout: float,
        until: float,
        on_ready: Callable[[], None],
    ) -> None:
        self.engine = engine
        self.container = container
        self.argv = argv
        self.timeout = timeout
        self.until = until
        self.on_ready = on_ready
        self.ready_mono: float | None = None
        self.ready_wall: float | None = None
        self.attempts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"validator-ready-{container[:12]}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self.until:
            self.attempts += 1
            try:
                code, _ = self.engine.exec(
                    self.container, self.argv, timeout=min(self.timeout, max(0.1, self.until - time.monotonic()))
                )
            except EngineError:  # not running yet, or restarting: try again at the next tick
                code = -1
            except Exception:  # noqa: BLE001 - an unreachable engine is the waiter's to report
                return
            if code == 0 and not self._stop.is_set():
                self.ready_mono, self.ready_wall = time.monotonic(), time.time()
                self.on_ready()
                return
            self._stop.wait(EXEC_INTERVAL)

    def stop(self) -> None:
        """No join: an exec in flight ends on its own bound; ``up`` must not wait for it."""
        self._stop.set()
