"""One run at a time per project and engine: an advisory file lock, waited for with a bound."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from pathlib import Path
from types import TracebackType

from validator.errors import LockedError


def lock_dir() -> Path:
    base = os.environ.get("VALIDATOR_LOCK_DIR") or os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    return Path(base) / "validator-locks"


class ProjectLock:
    """``with ProjectLock(project, engine, wait=60, say=print):`` — waits (bounded) with a message."""

    def __init__(
        self, project: str, engine_address: str, wait: float = 600.0, say: object = None, what: str = "run"
    ) -> None:
        key = hashlib.sha256(f"{engine_address}\0{project}".encode()).hexdigest()[:16]
        self.path = lock_dir() / f"{project}-{key}.lock"
        self.project = project
        self.wait = wait
        self.say = say
        self.what = what
        self.fd: int | None = None

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "another process"
        except OSError:
            return "another process"

    def __enter__(self) -> ProjectLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        announced = False
        delay = 0.05
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    os.close(fd)
                    raise LockedError(
                        f"project {self.project!r} is busy: {holder} holds its lock ({self.path}); "
                        f"gave up after {self.wait:g}s"
                    ) from None
                if not announced and callable(self.say):
                    self.say(f"waiting for project {self.project!r}: {self.holder()} holds its lock")
                    announced = True
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 1.0)
        os.ftruncate(fd, 0)
        os.write(fd, f"validator {self.what} (pid {os.getpid()})".encode())
        self.fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
