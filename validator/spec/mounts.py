"""A service's ``volumes`` entries: Compose's short ``SRC:DST[:MODE]`` and long syntax.

Modes are every one Docker accepts in a bind or volume spec, alone or combined (``ro,rslave``):
access (``ro``/``rw``), SELinux relabelling (``z``/``Z``), propagation (``shared``, ``slave``,
``private`` and their ``r`` variants), ``nocopy`` for named volumes, and the macOS consistency
hints (``cached``, ``delegated``, ``consistent``), which Linux engines accept and ignore.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import model_validator

from validator.redact import quoted
from validator.spec.types import ByteSize, ExtensibleModel, ShortForm

Propagation = Literal["shared", "slave", "private", "rshared", "rslave", "rprivate"]
_PROPAGATION = ("shared", "slave", "private", "rshared", "rslave", "rprivate")
_CONSISTENCY = ("cached", "delegated", "consistent", "default")


class BindOptions(ExtensibleModel):
    create_host_path: bool = True
    selinux: Literal["z", "Z"] | None = None
    propagation: Propagation | None = None


class VolumeOptions(ExtensibleModel):
    nocopy: bool = False
    subpath: str | None = None


class TmpfsOptions(ExtensibleModel):
    size: ByteSize | None = None
    mode: int | None = None


class VolumeMount(ShortForm, ExtensibleModel):
    """One mount (the long syntax; the short ``SRC:DST[:MODE]`` is parsed into it)."""

    type: Literal["bind", "volume", "tmpfs", "npipe", "cluster", "image"] = "volume"
    source: str | None = None
    target: str
    read_only: bool = False
    consistency: str | None = None
    bind: BindOptions | None = None
    volume: VolumeOptions | None = None
    tmpfs: TmpfsOptions | None = None
    image: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_syntax(cls, value: Any) -> Any:
        return parse_short_volume(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> VolumeMount:
        if not self.target.startswith("/"):
            raise ValueError(f"mount target {quoted(self.target)} must be an absolute path in the container")
        if self.type == "bind" and not self.source:
            raise ValueError("a bind mount needs a source path")
        return self

    @property
    def create_host_path(self) -> bool:
        return self.bind.create_host_path if self.bind else True

    def modes(self) -> list[str]:
        """The engine's mode list for a bind or volume spec (``ro``, ``rslave``, ``z``, ``nocopy``)."""
        out = ["ro" if self.read_only else "rw"]
        if self.bind and self.bind.propagation:
            out.append(self.bind.propagation)
        if self.bind and self.bind.selinux:
            out.append(self.bind.selinux)
        if self.volume and self.volume.nocopy:
            out.append("nocopy")
        return out


def is_host_path(source: str) -> bool:
    return source.startswith((".", "/", "~"))


def parse_short_volume(text: str) -> dict[str, Any]:
    parts = text.split(":")
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0]}
    if len(parts) > 3 or not parts[0] or not parts[1]:
        raise ValueError(f"invalid volume {quoted(text)}: expected SOURCE:TARGET[:MODE]")
    source, target = parts[0], parts[1]
    kind = "bind" if is_host_path(source) else "volume"
    out: dict[str, Any] = {"type": kind, "source": source, "target": target}
    if len(parts) == 3:
        bind: dict[str, Any] = {}
        for mode in parts[2].split(","):
            if mode == "ro":
                out["read_only"] = True
            elif mode in ("z", "Z"):
                bind["selinux"] = mode
            elif mode in _PROPAGATION:
                bind["propagation"] = mode
            elif mode == "nocopy":
                out["volume"] = {"nocopy": True}
            elif mode in _CONSISTENCY:
                out["consistency"] = mode
            elif mode != "rw":
                raise ValueError(
                    f"invalid volume mode {quoted(mode)} in {quoted(text)}: use ro, rw, z, Z, nocopy, a propagation "
                    f"({', '.join(_PROPAGATION)}) or a consistency ({', '.join(_CONSISTENCY[:3])})"
                )
        if bind:
            out["bind"] = bind
    if kind == "volume" and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", source):
        raise ValueError(f"invalid volume source {quoted(source)}: a host path starts with '.', '/' or '~'")
    return out
