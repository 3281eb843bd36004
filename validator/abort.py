"""Ending the main thread's work from another thread, wherever it waits.

When the run watcher loses the engine, the main thread may be anywhere: inside ``up`` waiting for a
container, joining the suites, waiting for a probe. ``raise_in_main`` makes it raise the given
exception at once: it records the exception and sends ``WAKE`` to the main thread, whose handler
(installed by ``main`` with ``install``) raises it; the signal also ends a blocking wait (a lock, a
socket read, a sleep), as Ctrl-C does. Only while ``armed`` (the part of a run whose waits depend on
the engine): outside it, or where ``main`` did not install the handler (an embedder, a test calling
the pipeline), nothing is raised and the caller relies on its cancel event alone.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

# SIGUSR1, not SIGINT: a user's Ctrl-C arriving at the same moment stays an interrupt.
WAKE = signal.SIGUSR1

_lock = threading.Lock()
_pending: list[BaseException] = []
_armed = threading.Event()


_previous: list[Any] = []


def install() -> None:
    """Called by ``main`` in the main thread: the handler that raises what ``raise_in_main`` left."""
    _previous.append(signal.signal(WAKE, _on_wake))


def uninstall() -> None:
    """The handler ``install`` replaced comes back (an embedder's own, or the default)."""
    previous = _previous.pop() if _previous else None
    signal.signal(WAKE, previous if previous is not None else signal.SIG_DFL)  # None: set outside Python
    with _lock:
        _pending.clear()


@contextlib.contextmanager
def armed() -> Iterator[None]:
    """While inside, ``raise_in_main`` may interrupt the main thread; on leaving, nothing pending is
    raised any more (a verdict being written is never cut short by a late loss)."""
    _armed.set()
    try:
        yield
    finally:
        with _lock:
            _armed.clear()
            _pending.clear()


def raise_in_main(exc: BaseException) -> bool:
    """Make the main thread raise ``exc`` now; False when it cannot (not armed, no handler)."""
    with _lock:
        if not _armed.is_set() or signal.getsignal(WAKE) is not _on_wake:
            return False
        main = threading.main_thread().ident
        if main is None or threading.get_ident() == main:
            return False
        _pending.append(exc)
    signal.pthread_kill(main, WAKE)
    return True


def _on_wake(signum: int, frame: FrameType | None) -> None:
    with _lock:
        exc = _pending.pop(0) if _pending and _armed.is_set() else None
    if exc is not None:
        raise exc
