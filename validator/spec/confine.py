"""Confined, size-bounded reads of the files a spec names: the project is the fence.

``lint`` runs as a pre-commit hook on any branch, so a spec must not make it read ``/etc/shadow``,
follow a ``.env`` symlink out of the checkout, or block on a FIFO. The project (``project_root``) is
the git work tree that holds the first spec file, or that file's folder when it is in none: a
monorepo's shared ``../common/app.env`` is inside its work tree and is read; a home folder's
``~/.env`` is not. Every read here:
- resolves the path (symlinks included) and refuses it unless it lies inside the project root;
- stats before opening and opens only regular files, with ``O_NOFOLLOW | O_NONBLOCK`` (a FIFO or a
  device is never opened, and a symlink swapped in after the check is not followed);
- reads at most ``limit`` bytes and refuses a larger file rather than reading part of it.
``check`` may still read a host file the spec names explicitly as one (``host:/etc/...``): that is
``host_path``'s business, never lint's.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

HOST_PREFIX = "host:"
DEFAULT_LIMIT = 8 * 1024 * 1024


class ConfinementError(ValueError):
    """The path is outside the project, not a regular file, too large or not UTF-8: it was not read
    (or not decoded). ``reason`` is the message without the path; ``line``/``col`` locate a bad byte."""

    def __init__(self, path: object, reason: str, line: int | None = None, col: int | None = None) -> None:
        self.path, self.reason, self.line, self.col = str(path), reason, line, col
        super().__init__(f"{path}:{line}:{col}: {reason}" if line else f"{path}: {reason}")


# How far up a work tree is looked for: deeper than any real checkout, and the walk stays bounded.
MAX_ROOT_DEPTH = 64


def project_root(first_spec: Path) -> Path:
    """The git work tree holding ``first_spec`` (the nearest folder above it with a ``.git`` entry, a
    folder or a worktree's file), else the spec's own folder. Nothing is run: ``git`` is not asked."""
    start = first_spec.absolute().parent
    for folder in [start, *start.parents][:MAX_ROOT_DEPTH]:
        if os.path.lexists(folder / ".git"):
            return folder
    return start


def expand(spelled: str | Path) -> Path:
    """``spelled`` with a leading ``~`` or ``~user`` expanded, as Compose expands it; a ``~user`` that
    names no user stays as written (``Path.expanduser`` raises there, and lint must not)."""
    return Path(os.path.expanduser(spelled))


def host_path(spelled: str) -> str | None:
    """``host:/etc/app.conf`` -> ``/etc/app.conf`` (a host file ``check`` may read); else None."""
    if spelled.startswith(HOST_PREFIX):
        return spelled[len(HOST_PREFIX) :]
    return None


def resolve(path: Path) -> Path:
    """``path`` with every symlink resolved; any failure is a ConfinementError naming the path (a NUL in a
    name, which YAML's ``"\\0"`` allows, a symlink loop, a name the system refuses): never a traceback."""
    try:
        return path.resolve()
    except ValueError:  # "embedded null byte"
        raise ConfinementError(
            path=_printable(path), reason="cannot be resolved: a path cannot hold a NUL character"
        ) from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfinementError(path=path, reason=f"cannot be resolved: {why}") from None


def _printable(path: Path) -> str:
    return str(path).replace("\x00", "\\0")


def inside(path: Path, root: Path) -> Path:
    """The resolved ``path`` when it lies inside ``root`` (symlinks resolved); ConfinementError else."""
    real_root = resolve(root)
    real = resolve(path)
    if real != real_root and real_root not in real.parents:
        target = f" (a link to {real})" if str(real) != os.path.normpath(path.absolute()) else ""
        where = f"the project {real_root} (the first spec file's git work tree, or folder)"
        raise ConfinementError(path=path, reason=f"is outside {where}{target}: not read")
    return real


def read_bytes(path: Path, root: Path, limit: int = DEFAULT_LIMIT, shown: Path | None = None) -> bytes:
    """The content of a regular file inside ``root``, at most ``limit`` bytes; ConfinementError or
    OSError (missing, permission) otherwise. ``shown``: the name errors give (default ``path``)."""
    # the path is resolved: a symlink swapped in for its last part afterwards is not followed
    return read_regular(inside(path, root), limit, shown=shown or path, follow=False)


def read_regular(path: Path, limit: int, shown: Path | None = None, follow: bool = True) -> bytes:
    """The content of a regular file (wherever it is), at most ``limit`` bytes: a FIFO, a device or a
    folder is refused without being opened (``/dev/zero`` has size 0 and never ends)."""
    shown = shown or path
    try:
        info = os.stat(path)  # stat first: a FIFO or a device must not even be opened
    except ValueError:  # a NUL in the name: nothing to open
        raise ConfinementError(
            path=_printable(shown), reason="cannot be read: a path cannot hold a NUL character"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfinementError(path=shown, reason="is a directory: not read")
    if not stat.S_ISREG(info.st_mode):
        raise ConfinementError(path=shown, reason="is not a regular file (a FIFO, socket or device): not read")
    if info.st_size > limit:
        raise ConfinementError(path=shown, reason=f"is too large ({info.st_size} bytes; at most {limit}): not read")
    # O_NONBLOCK: a FIFO swapped in after the stat does not block the open; fstat then refuses it
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfinementError(path=shown, reason="is not a regular file: not read")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise ConfinementError(path=shown, reason=f"grew past {limit} bytes while read: not read")
    return b"".join(chunks)


def read_ends(path: Path, root: Path, limit: int) -> tuple[bytes, bytes]:
    """A regular file inside ``root``: whole (and ``b""``) when it holds at most ``limit`` bytes, else
    its first and its last ``limit // 2`` bytes; ConfinementError or OSError as ``read_bytes``. For what
    must be learnt from a file whatever its size (a secret file is mounted however big it is)."""
    real = inside(path, root)
    if not stat.S_ISREG(os.stat(real).st_mode):  # a FIFO or a device is never opened
        raise ConfinementError(path=path, reason="is not a regular file (a FIFO, socket or device): not read")
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | os.O_NOFOLLOW)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfinementError(path=path, reason="is not a regular file: not read")
        if info.st_size <= limit:
            return os.pread(fd, limit + 1, 0)[:limit], b""
        half = limit // 2
        return os.pread(fd, half, 0), os.pread(fd, half, max(0, info.st_size - half))
    finally:
        os.close(fd)


def read_text(path: Path, root: Path, limit: int = DEFAULT_LIMIT) -> str:
    """``read_bytes`` decoded as UTF-8; a bad byte is a ConfinementError naming its line and column."""
    return decode(read_bytes(path, root, limit), path)


def read_host_text(path: Path, limit: int = DEFAULT_LIMIT) -> str:
    """A regular file anywhere (one the spec names for ``up`` or as ``host:``), bounded and decoded."""
    return decode(read_regular(path, limit), path)


def decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        reason = f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded"
        raise ConfinementError(path=path, reason=reason, line=line, col=col) from None
