"""The Delta Lake artifact against the Spark version and the Python packages: ``delta-core`` was
renamed ``delta-spark`` from Delta 3.0; Delta 3.x is built for Spark 3.5, Delta 4.x for Spark 4.0;
the Scala suffix must match the Spark build; the coordinate must name a version Maven Central has;
the delta-spark Python package (whose API drives the JAR's classes) and pyspark must admit the
JAR's version and its Spark. Checked in config assertions, probe settings and the config files
themselves. Offline: a table of known artifacts, never a registry, never Spark."""

from __future__ import annotations

import re
from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.lint.stack import config_file_lines, default_scala, spark_images
from validator.spec.delta import Coordinate, coordinates
from validator.spec.location import Finding, Location, Severity
from validator.versions import parse_specifier

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

# Every version of Delta's Spark artifacts on Maven Central, as each artifact's maven-metadata.xml
# (https://repo1.maven.org/maven2/io/delta/<artifact>/maven-metadata.xml) listed them on 2026-12-06.
# A version newer than the newest listed may have been released since: a warning, not an error.
KNOWN: dict[str, tuple[str, ...]] = {
    artifact: tuple(versions.split())
    for artifact, versions in {
        "delta-core_2.12": "0.1.0 0.5.0 0.7.0 0.8.0 1.0.0 1.0.1 1.1.0 1.2.1 2.0.0rc1 2.0.0 2.0.1 2.0.2 2.1.0 2.1.1 "
        "2.2.0 2.3.0 2.4.0",
        "delta-core_2.13": "2.0.0 2.1.0 2.2.0 2.4.0",
        "delta-spark_2.12": "3.0.0 3.1.0 3.2.0 3.2.1 3.3.0 3.3.1 3.3.2 3.3.3",
        "delta-spark_2.13": "3.0.0rc1 3.0.0 3.1.0 3.2.0 3.2.1 3.3.0 3.3.1 3.3.2 3.3.3 4.0.0rc1 4.0.0 4.0.1 4.1.0 "
        "4.2.0 4.3.0-rc1 4.3.0 4.3.1 4.4.0",
    }.items()
}


def _spark_for(major: int, minor: int) -> tuple[int, int] | None:
    return _SPARK_FOR_DELTA.get((major, minor)) or _SPARK_FOR_DELTA.get((major,))


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def _existence(coord: Coordinate) -> tuple[Severity, str] | None:
    """(severity, message) when Maven Central (as of the table) has no such version."""
    known = KNOWN.get(coord.name)
    if not known or coord.version in known:
        return None
    newest = max(known, key=_release)
    if _release(coord.version) > _release(newest):
        return "warning", (
            f"{coord.text}: {coord.name} {coord.version} is newer than any this validator knows "
            f"(newest {newest}): check that Maven Central has it"
        )
    return "error", f"{coord.text}: Maven Central has no {coord.name} {coord.version} (it has {', '.join(known)})"


def problems(text: str, spark: tuple[int, int] | None, scala: str | None) -> Iterator[tuple[int, Severity, str]]:
    """(offset, severity, message) for each Delta coordinate in ``text``."""
    for coord in coordinates(text):
        major, minor, suffix = coord.major, coord.minor, coord.scala
        renamed = False
        if coord.artifact == "delta-core" and major >= 3:
            renamed = True
            yield (
                coord.offset,
                "error",
                f"{coord.text}: from Delta 3.0 the artifact is delta-spark, not delta-core "
                f"(use io.delta:delta-spark_{suffix}:{coord.version})",
            )
        if coord.artifact == "delta-spark" and major < 3:
            renamed = True
            yield (
                coord.offset,
                "error",
                f"{coord.text}: delta-spark exists from Delta 3.0; Delta {major}.{minor} is delta-core",
            )
        needs = _spark_for(major, minor)
        if spark and needs and needs != spark:
            yield (
                coord.offset,
                "error",
                f"{coord.text}: Delta {major}.{minor} is built for Spark {needs[0]}.{needs[1]}, "
                f"the cluster runs Spark {spark[0]}.{spark[1]}",
            )
        wanted_scala = scala or (default_scala(spark) if spark else None)
        if wanted_scala and suffix != wanted_scala:
            yield (
                coord.offset,
                "error",
                f"{coord.text}: Scala suffix _{suffix}, the Spark build uses Scala {wanted_scala}",
            )
        missing = None if renamed else _existence(coord)
        if missing:
            yield coord.offset, missing[0], missing[1]


def check(ctx: LintContext) -> Iterator[Finding]:
    images = spark_images(ctx)
    spark, scala = next(iter(images.values())) if images else (None, None)
    seen: list[tuple[Coordinate, str]] = []  # every coordinate, with where it was written
    for name, config in ctx.spec.config_keys.items():
        for key, assertion in config.keys.items():
            if isinstance(assertion.expected, str):
                seen += [(c, f"config_keys.{name}") for c in coordinates(assertion.expected)]
                for offset, severity, message in problems(assertion.expected, spark, scala):
                    base = ctx.doc.locate(("config_keys", name, "keys", key, assertion.operator)) or ctx.doc.locate(
                        ("config_keys", name, "keys", key)
                    )
                    loc = Location(base.file, base.line, base.col + offset) if base else None
                    where = ("config_keys", name, "keys", key)
                    yield Finding(
                        location=loc,
                        path=where,
                        message=message,
                        severity=severity,
                        rule=ctx.rule,
                        file=ctx.doc.files[0],
                    )
        for line_no, line in config_file_lines(ctx, name):
            seen += [(c, config.path) for c in coordinates(line)]
            for offset, severity, message in problems(line, spark, scala):
                loc = Location(config.path, line_no, offset + 1)
                yield Finding(
                    location=loc, path=(), message=message, severity=severity, rule=ctx.rule, file=config.path
                )
    for name, probe in ctx.spec.probes.items():
        for key, value in (getattr(probe, "conf", None) or {}).items():
            seen += [(c, f"probes.{name}.conf") for c in coordinates(str(value))]
            for _, severity, message in problems(str(value), spark, scala):
                path = ("probes", name, "conf", key)
                yield ctx.error(path, message) if severity == "error" else ctx.warning(path, message)
    yield from _python_packages(ctx, seen)


def _python_packages(ctx: LintContext, seen: list[tuple[Coordinate, str]]) -> Iterator[Finding]:
    """The delta-spark Python package must admit the JAR's version (its API calls the JAR's classes:
    3.3.3 Python on a 3.3.2 JAR is a mismatch), and pyspark the Spark that JAR is built for."""
    section = ctx.spec.python
    if section is None or not seen:
        return

    for package, wanted in (("delta-spark", "jar"), ("pyspark", "spark")):
        declared = section.packages.get(package)
        if declared is None or not declared.version:
            continue
        try:
            allowed = parse_specifier(declared.version)
        except ValueError:
            continue  # the pydeps rule reports a bad specifier
        for coord, where in {(c.version, w): (c, w) for c, w in seen}.values():
            if wanted == "jar" and not allowed.contains(coord.version):
                yield ctx.error(
                    ("python", "packages", package),
                    f"delta-spark {declared.version} does not admit {coord.text} ({where}): the Python package "
                    "and the Delta JAR must be the same version",
                )
            needs = _spark_for(coord.major, coord.minor)
            if (
                wanted == "spark"
                and needs
                and not any(allowed.contains(f"{needs[0]}.{needs[1]}.{p}") for p in range(20))
            ):
                yield ctx.error(
                    ("python", "packages", package),
                    f"pyspark {declared.version} cannot run {coord.text} ({where}): Delta {coord.major}.{coord.minor} "
                    f"is built for Spark {needs[0]}.{needs[1]}",
                )
