"""One run at a time per project and engine: an advisory file lock, waited for with a bound.

The lock files live in a private folder (0700, owned by the user, never a symlink): under a shared
``/tmp`` anyone could otherwise plant a symlink named like our lock file and have us truncate its
target, or read who runs what. The lock file itself is opened without following symlinks. The
key is the engine's own ID (``docker info``), not how its address is spelled: ``unix:///var/run/docker.sock``
and ``/var/run/docker.sock`` are one engine and must exclude each other. The folder is per user, so
two users on one engine do not exclude each other (a shared folder is what this avoids).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import tempfile
import time
from pathlib import Path
from types import TracebackType

from validator.errors import EXIT_UNREACHABLE, FatalError, LockedError
from validator.redact import quoted


class LockDirError(FatalError):
    """The lock folder is not private (a symlink, a file, or another user's): refused, not used.
    Exit 3: the machine's state is wrong, not the spec (as with an engine that does not answer)."""

    exit_code = EXIT_UNREACHABLE


def lock_dir() -> Path:
    """``$VALIDATOR_LOCK_DIR``, else ``$XDG_RUNTIME_DIR/validator-locks``, else
    ``<tmp>/validator-locks-<uid>``: made private (0700) if it is ours, refused otherwise."""
    given = os.environ.get("VALIDATOR_LOCK_DIR")
    if given:
        return Path(given) / "validator-locks"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "validator-locks"
    return Path(tempfile.gettempdir()) / f"validator-locks-{os.getuid()}"


def private_dir(folder: Path) -> Path:
    """Create ``folder`` 0700, or check that the existing one is a real folder of ours and make it 0700."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise LockDirError(f"the lock folder {folder} is not a folder (a symlink or a file?): remove it")
    if info.st_uid != os.getuid():
        raise LockDirError(f"the lock folder {folder} belongs to uid {info.st_uid}, not to us: remove it")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return folder


def engine_identity(engine: object) -> str:
    """The engine's own ID (``docker info``); the address as given when the engine does not say."""
    if isinstance(engine, str):
        return engine
    # Engine.first_info (its ID, asked once per connection), else an SDK client's info
    info = (
        getattr(engine, "first_info", None)
        or getattr(engine, "info", None)
        or getattr(getattr(engine, "api", None), "info", None)
    )
    try:
        ident = info().get("ID") if info is not None else None
    except (OSError, ValueError, AttributeError, FatalError):  # no answer to info: key by address
        ident = None
    return f"engine-id:{ident}" if ident else str(getattr(engine, "address", engine))


class ProjectLock:
    """``with ProjectLock(project, engine, wait=60, say=print):`` — waits (bounded) with a message.

    ``engine`` is an ``Engine`` (keyed by its ID) or an address string."""

    def __init__(
        self, project: str, engine: object, wait: float = 600.0, say: object = None, what: str = "run"
    ) -> None:
        key = hashlib.sha256(f"{engine_identity(engine)}\0{project}".encode()).hexdigest()[:16]
        self.path = lock_dir() / f"{project}-{key}.lock"
        self.project = project
        self.wait = wait
        self.say = say
        self.what = what
        self.fd: int | None = None

    def holder(self) -> str:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return "another process"
        try:
            return os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
        except OSError:
            return "another process"
        finally:
            os.close(fd)

    def _open(self) -> int:
        private_dir(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LockDirError(f"the lock file {self.path} is a symlink: refused (remove it)") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise LockDirError(f"the lock file {self.path} is not a regular file: refused (remove it)")
        return fd

    def __enter__(self) -> ProjectLock:
        fd = self._open()
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
                        f"project {quoted(self.project)} is busy: {holder} holds its lock ({self.path}); "
                        f"gave up after {self.wait:g}s"
                    ) from None
                if not announced and callable(self.say):
                    self.say(f"waiting for project {quoted(self.project)}: {self.holder()} holds its lock")
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
