"""The Delta Lake artifact against the Spark version: ``delta-core`` was renamed ``delta-spark``
from Delta 3.0; Delta 3.x is built for Spark 3.5, Delta 4.x for Spark 4.0; the Scala suffix must
match the Spark build. Checked in config assertions, probe settings and the config files themselves."""

from __future__ import annotations

import re
from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.lint.stack import config_file_lines, default_scala, spark_images
from validator.spec.location import Finding, Location

_COORD = re.compile(r"io\.delta:(delta-core|delta-spark)_(2\.1[123]):(\d+)\.(\d+)\.(\d+)")
_SPARK_FOR_DELTA = {
    (4,): (4, 0),
    (3, 3): (3, 5),
    (3, 2): (3, 5),
    (3, 1): (3, 5),
    (3, 0): (3, 5),
    (2, 4): (3, 4),
    (2, 3): (3, 3),
    (2, 2): (3, 3),
    (2, 1): (3, 3),
    (2, 0): (3, 2),
    (1, 2): (3, 2),
    (1, 1): (3, 2),
    (1, 0): (3, 1),
}


def _spark_for(major: int, minor: int) -> tuple[int, int] | None:
    return _SPARK_FOR_DELTA.get((major, minor)) or _SPARK_FOR_DELTA.get((major,))


def problems(text: str, spark: tuple[int, int] | None, scala: str | None) -> Iterator[tuple[int, str]]:
    for match in _COORD.finditer(text):
        artifact, suffix, major, minor = match.group(1), match.group(2), int(match.group(3)), int(match.group(4))
        coordinate = match.group(0)
        if artifact == "delta-core" and major >= 3:
            yield (
                match.start(),
                (
                    f"{coordinate}: from Delta 3.0 the artifact is delta-spark, not delta-core "
                    f"(use io.delta:delta-spark_{suffix}:{major}.{minor}.{match.group(5)})"
                ),
            )
        if artifact == "delta-spark" and major < 3:
            yield match.start(), f"{coordinate}: delta-spark exists from Delta 3.0; Delta {major}.{minor} is delta-core"
        needs = _spark_for(major, minor)
        if spark and needs and needs != spark:
            yield (
                match.start(),
                (
                    f"{coordinate}: Delta {major}.{minor} is built for Spark {needs[0]}.{needs[1]}, "
                    f"the cluster runs Spark {spark[0]}.{spark[1]}"
                ),
            )
        wanted_scala = scala or (default_scala(spark) if spark else None)
        if wanted_scala and suffix != wanted_scala:
            yield match.start(), f"{coordinate}: Scala suffix _{suffix}, the Spark build uses Scala {wanted_scala}"


def check(ctx: LintContext) -> Iterator[Finding]:
    images = spark_images(ctx)
    spark, scala = next(iter(images.values())) if images else (None, None)
    for name, config in ctx.spec.config_keys.items():
        for key, assertion in config.keys.items():
            if isinstance(assertion.expected, str):
                for offset, message in problems(assertion.expected, spark, scala):
                    base = ctx.doc.locate(("config_keys", name, "keys", key, assertion.operator)) or ctx.doc.locate(
                        ("config_keys", name, "keys", key)
                    )
                    loc = Location(base.file, base.line, base.col + offset) if base else None
                    yield Finding(loc, ("config_keys", name, "keys", key), message, "error", ctx.rule, ctx.doc.files[0])
        for line_no, line in config_file_lines(ctx, name):
            for offset, message in problems(line, spark, scala):
                yield Finding(Location(config.path, line_no, offset + 1), (), message, "error", ctx.rule, config.path)
    for name, probe in ctx.spec.probes.items():
        for key, value in (getattr(probe, "conf", None) or {}).items():
            for _, message in problems(str(value), spark, scala):
                yield ctx.error(("probes", name, "conf", key), message)
