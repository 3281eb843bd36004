"""Config assertions whose declared format the file's extension contradicts; paths that leave the project."""

from __future__ import annotations

from collections.abc import Iterator

from validator.formats import infer_format
from validator.lint.context import LintContext
from validator.redact import quoted
from validator.spec.confine import ConfinementError, expand, host_path, inside
from validator.spec.location import Finding

# Formats a name may legitimately be read as besides the one its extension suggests.
_COMPATIBLE = {("properties", "env"), ("env", "properties"), ("properties", "ini")}


def check(ctx: LintContext) -> Iterator[Finding]:
    for name, config in ctx.spec.config_keys.items():
        inferred = infer_format(config.path)
        if config.format is None and inferred is None:
            yield ctx.error(
                ("config_keys", name, "path"),
                f"cannot tell the format of {quoted(config.path)} from its name: set 'format'",
            )
        elif config.format and inferred and config.format != inferred and (inferred, config.format) not in _COMPATIBLE:
            yield ctx.error(
                ("config_keys", name, "format"),
                f"format {quoted(config.format)} contradicts the extension of {quoted(config.path)} "
                f"(reads as {quoted(inferred)})",
            )
        if not config.keys:
            yield ctx.warning(("config_keys", name, "keys"), "no keys to check")
        yield from _outside(ctx, name, config.path)


def _outside(ctx: LintContext, name: str, spelled: str) -> Iterator[Finding]:
    """A path that leaves the project is a finding, never opened: lint runs on any branch, so a spec
    must not make it read (or report lines of) files elsewhere. ``host:/path`` says it on purpose."""
    import os
    from pathlib import Path

    host = host_path(spelled)
    if host is not None:
        if not Path(host).is_absolute():
            yield ctx.error(("config_keys", name, "path"), f"a host path must be absolute: host:{host}")
        return
    path = ctx.base_dir / expand(spelled)
    try:
        inside(path, ctx.fence)
    except ConfinementError as exc:
        yield ctx.error(
            ("config_keys", name, "path"),
            f"{spelled} {exc.reason}; write host:{os.path.abspath(path)} to check a file of this machine",
        )
