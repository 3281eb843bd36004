"""Confined, size-bounded reads of the files a spec names: the project folder is the fence.

``lint`` runs as a pre-commit hook on any branch, so a spec must not make it read ``/etc/shadow``,
follow a ``.env`` symlink out of the checkout, or block on a FIFO. Every read here:
- resolves the path (symlinks included) and refuses it unless it lies inside the project root
  (the folder of the first spec file);
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
    """The path is outside the project, not a regular file, or too large: it was not read."""


def host_path(spelled: str) -> str | None:
    """``host:/etc/app.conf`` -> ``/etc/app.conf`` (a host file ``check`` may read); else None."""
    if spelled.startswith(HOST_PREFIX):
        return spelled[len(HOST_PREFIX) :]
    return None


def inside(path: Path, root: Path) -> Path:
    """The resolved ``path`` when it lies inside ``root`` (symlinks resolved); ConfinementError else."""
    real_root = root.resolve()
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
        raise ConfinementError(f"cannot resolve {path}: {exc}") from None
    if real != real_root and real_root not in real.parents:
        shown = f"{path} (-> {real})" if real != path.absolute() else str(path)
        raise ConfinementError(f"{shown} is outside the project folder {real_root}: not read")
    return real


def read_bytes(path: Path, root: Path, limit: int = DEFAULT_LIMIT) -> bytes:
    """The content of a regular file inside ``root``, at most ``limit`` bytes; ConfinementError or
    OSError (missing, permission) otherwise."""
    real = inside(path, root)
    info = os.stat(real)  # stat first: a FIFO or a device must not even be opened
    if not stat.S_ISREG(info.st_mode):
        raise ConfinementError(f"{path} is not a regular file: not read")
    if info.st_size > limit:
        raise ConfinementError(f"{path} is too large ({info.st_size} bytes; at most {limit}): not read")
    fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped between stat and open
            raise ConfinementError(f"{path} is not a regular file: not read")
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
        raise ConfinementError(f"{path} grew past {limit} bytes while read: not read")
    return b"".join(chunks)


def read_text(path: Path, root: Path, limit: int = DEFAULT_LIMIT) -> str:
    """``read_bytes`` decoded as UTF-8; a bad byte is a ConfinementError naming its line and column."""
    raw = read_bytes(path, root, limit)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start]
        raise ConfinementError(f"{path}:{line}:{col}: not UTF-8: byte 0x{byte:02x} cannot be decoded") from None
