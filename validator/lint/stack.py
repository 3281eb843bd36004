"""What the stack's images and versions are, read from the spec alone (lint never asks Docker)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from validator.lint.context import LintContext
from validator.spec.confine import ConfinementError, host_path, read_bytes, resolve

_SPARK_TAG = re.compile(r"(?:^|/)spark:v?(\d+)\.(\d+)(?:\.(\d+))?(?:-scala(2\.1[23]))?")
_AM_TAG = re.compile(r"(?:^|/)alertmanager:v?(\d+)\.(\d+)(?:\.(\d+))?")


def spark_images(ctx: LintContext) -> dict[str, tuple[tuple[int, int], str | None]]:
    """service -> ((major, minor), scala suffix or None) for services running a versioned Spark image."""
    out = {}
    for name, svc in ctx.spec.services.items():
        match = _SPARK_TAG.search(svc.image or "")
        if match:
            out[name] = ((int(match.group(1)), int(match.group(2))), match.group(4))
    return out


def alertmanager_versions(ctx: LintContext) -> dict[str, tuple[int, int, int]]:
    out = {}
    for name, svc in ctx.spec.services.items():
        match = _AM_TAG.search(svc.image or "")
        if match:
            out[name] = (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
    return out


def default_scala(spark: tuple[int, int]) -> str:
    return "2.13" if spark >= (4, 0) else "2.12"


def config_file_lines(ctx: LintContext, name: str) -> Iterator[tuple[int, str]]:
    """Lines of a ``config_keys`` entry's file that are not comments, if it exists (lint reads local
    files, never Docker)."""

    spelled = ctx.spec.config_keys[name].path
    if host_path(spelled) is not None:
        return  # a host file: check reads it, lint never does
    try:
        # confined to the project and bounded: lint runs as a pre-commit hook on any branch
        text = read_bytes(ctx.base_dir / spelled, ctx.fence, 1024 * 1024).decode("utf-8", errors="replace")
    except (OSError, ConfinementError):
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.lstrip().startswith(("#", ";", "!", "//")):
            yield number, line


def mounted_into(ctx: LintContext, file: Path) -> list[str]:
    """Services that bind-mount ``file`` (or a folder holding it)."""

    services = []
    try:
        target = resolve(file)
    except ConfinementError:
        return []  # lint/configs.py reports the path itself
    for name, svc in ctx.spec.services.items():
        for mount in svc.volumes:
            if mount.type == "bind" and mount.source:
                try:
                    source = resolve(ctx.base_dir / mount.source)
                except ConfinementError:
                    continue  # a source no system resolves is no folder of this file
                if target == source or source in target.parents:
                    services.append(name)
                    break
    return services
