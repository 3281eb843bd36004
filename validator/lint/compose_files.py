"""Env and label files a service names that do not exist: Compose refuses the project ("env file ...
not found"), and says so without a line; lint says where.

Only ``lint`` reports them here (``LintContext.linting``): they are conditions of the run, not of the
file. ``plan``, ``up`` and ``check`` refuse them for the services their profiles enable
(engine/unsupported.py), and ``down``, which reads none of these files, goes ahead, as
``docker compose down`` does. Lint cannot know the profiles a run will enable: for a service with
profiles the finding is a warning naming them.
"""

from __future__ import annotations

from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.redact import quoted
from validator.spec.environment import missing_files
from validator.spec.location import Finding
from validator.spec.location import Path as DocPath


def check(ctx: LintContext) -> Iterator[Finding]:
    if not ctx.linting:
        return
    for name, svc in ctx.spec.services.items():
        condition = _profile_condition(svc.profiles)
        report = ctx.warning if condition else ctx.error
        for missing in missing_files(svc, ctx.base_dir):
            yield report(_written(ctx, ("services", name, *missing.where)), missing.message + condition)


def _profile_condition(profiles: list[str]) -> str:
    if not profiles:
        return ""
    if len(profiles) == 1:
        return f" (when profile {quoted(profiles[0])} is enabled)"
    return f" (when one of profiles {', '.join(profiles)} is enabled)"


def _written(ctx: LintContext, path: DocPath) -> DocPath:
    """``path`` as the user wrote it: ``env_file`` for the one-string form, ``env_file[0].path`` for a
    long-form entry."""
    *parent, index = path
    node: object = ctx.doc.data
    for part in parent:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, list) or not isinstance(index, int):
        return tuple(parent)
    if index < len(node) and isinstance(node[index], dict) and "path" in node[index]:
        return (*path, "path")
    return path
