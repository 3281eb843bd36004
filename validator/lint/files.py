"""Files a service or a resource names (``env_file``, ``label_file``, ``secrets.file``, ``configs.file``):
inside the project, and an ``env_file`` that Compose could read.

lint runs as a pre-commit hook on any branch: a path that leaves the project (the first spec file's git
work tree, or folder: ``validator.spec.confine``) is a located error naming it, and nothing is opened.
An ``env_file`` inside is read (confined, bounded) and parsed as ``up`` will: a statement Compose would
refuse is an error at its own file, line and column, which never quotes the statement (it may be the
line that holds a password: ``validator.spec.problems``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from validator.lint.context import LintContext
from validator.spec.confine import ConfinementError, expand, inside
from validator.spec.environment import EnvFileError, read_env_file
from validator.spec.location import Finding, Location
from validator.spec.location import Path as DocPath
from validator.spec.service import EnvFile


def check(ctx: LintContext) -> Iterator[Finding]:
    for name, svc in ctx.spec.services.items():
        for index, item in enumerate(svc.env_file):
            where = _member(ctx, ("services", name, "env_file"), index)
            yield from _env_file(ctx, where, item)
        for index, spelled in enumerate(svc.label_file):
            yield from _outside(ctx, _member(ctx, ("services", name, "label_file"), index), spelled)
    for section, entries in (("secrets", ctx.spec.secrets), ("configs", ctx.spec.configs)):
        for key, entry in entries.items():
            if entry.file is not None:
                yield from _outside(ctx, (section, key, "file"), entry.file)


def _member(ctx: LintContext, path: DocPath, index: int) -> DocPath:
    """``path[index]`` when the user wrote a list there, else ``path`` (the short form: one string)."""
    node: object = ctx.doc.data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return (*path, index) if isinstance(node, list) else path


def _resolved(ctx: LintContext, spelled: str) -> Path:
    return ctx.base_dir / expand(spelled)


def _outside(ctx: LintContext, where: DocPath, spelled: str) -> Iterator[Finding]:
    try:
        inside(_resolved(ctx, spelled), ctx.fence)
    except ConfinementError as exc:
        yield ctx.error(where, f"{spelled} {exc.reason}")


def _env_file(ctx: LintContext, where: DocPath, item: EnvFile) -> Iterator[Finding]:
    """Outside the project: refused, not read. Inside: read as ``up`` reads it (its format, raw or
    ``.env``), so a line Compose would refuse is a finding located in the file itself, never quoted."""
    import os

    outside = list(_outside(ctx, where, item.path))
    if outside:
        yield from outside
        return
    if not os.path.lexists(_resolved(ctx, item.path)):
        return  # whether a missing one is an error is lint/compose_files.py's (Compose's `required: false`)
    try:
        read_env_file(item, ctx.base_dir, ctx.environment, {}, ctx.fence)
    except EnvFileError as exc:
        if exc.line:  # a statement or a byte that is wrong: located in the file itself
            yield Finding(
                location=Location(item.path, exc.line, exc.col or 1),
                path=(),
                message=exc.reason,
                severity="error",
                rule=ctx.rule,
                file=item.path,
            )
        else:
            yield ctx.error(where, f"{item.path} {exc.reason}")
