"""Config assertions whose declared format the file's extension contradicts; paths that leave the project."""

from __future__ import annotations

from collections.abc import Iterator

from validator.formats import infer_format
from validator.lint.context import LintContext
from validator.spec.location import Finding

# Formats a name may legitimately be read as besides the one its extension suggests.
_COMPATIBLE = {("properties", "env"), ("env", "properties"), ("properties", "ini")}


def check(ctx: LintContext) -> Iterator[Finding]:
    for name, config in ctx.spec.config_keys.items():
        inferred = infer_format(config.path)
        if config.format is None and inferred is None:
            yield ctx.error(
                ("config_keys", name, "path"), f"cannot tell the format of {config.path!r} from its name: set 'format'"
            )
        elif config.format and inferred and config.format != inferred and (inferred, config.format) not in _COMPATIBLE:
            yield ctx.error(
                ("config_keys", name, "format"),
                f"format {config.format!r} contradicts the extension of {config.path!r} (reads as {inferred!r})",
            )
        if not config.keys:
            yield ctx.warning(("config_keys", name, "keys"), "no keys to check")
