"""One error hierarchy; the top-level handler in ``main`` maps each class to an exit code.

Exit codes (documented in README.md):
  0 ok · 1 checks failed / lint findings / plan has changes · 2 bad spec or command line ·
  3 infrastructure unreachable · 4 internal error · 130 interrupted (SIGINT) · 143 terminated (SIGTERM) ·
  129 hung up (SIGHUP)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from validator.spec.location import Finding

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class FatalError(Exception):
    """Base of every error the CLI reports as one clean line."""

    exit_code = EXIT_INTERNAL


class UsageError(FatalError):
    """The command line is wrong."""

    exit_code = EXIT_USAGE


class SpecError(FatalError):
    """The spec cannot be loaded or is invalid; carries every located finding."""

    exit_code = EXIT_USAGE

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        super().__init__("\n".join(str(f) for f in findings))


class UnreachableError(FatalError):
    """The Docker engine (or another piece of infrastructure the command needs) does not answer."""

    exit_code = EXIT_UNREACHABLE


class EngineLost(UnreachableError):
    """The engine stopped answering (or its event stream closed) while a run depended on it."""

    def __init__(self, at: float, reason: str, address: str = "") -> None:
        import time

        self.at = at
        self.reason = reason
        when = time.strftime("%H:%M:%S UTC", time.gmtime(at))
        where = f" at {address}" if address else ""
        super().__init__(f"the engine{where} stopped answering at {when} ({reason})")


class EngineError(FatalError):
    """Docker refused or failed an operation the engine asked for (a foreign container in the way, ...)."""

    exit_code = EXIT_FAILED


class LockedError(FatalError):
    """Another run on the same project holds the lock."""

    exit_code = EXIT_FAILED


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived; raised from the signal handler so cleanup runs in ``finally``
    blocks. Exit 128 + the signal's number, as a shell reports it (130, 143, 129).

    A ``BaseException``, as ``KeyboardInterrupt`` is, never a ``FatalError``: the signal lands on any
    line of the main thread, and a handler there that goes past a refused or unreachable engine
    (``except FatalError``, ``except Exception``) must not swallow it (adversary stop8 case 09: a
    SIGTERM swallowed while one target was waited for, the check judged on and exited 3, not 143)."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, signum: int = 2) -> None:
        self.signum = signum
        self.exit_code = 128 + signum if signum in (1, 15) else EXIT_INTERRUPTED
        super().__init__({1: "hung up", 15: "terminated"}.get(signum, "interrupted"))

    @property
    def signal_name(self) -> str:
        return {1: "SIGHUP", 15: "SIGTERM"}.get(self.signum, "SIGINT")
