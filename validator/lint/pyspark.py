"""The pyspark client must match the cluster: its specifier must admit the Spark image's version."""

from __future__ import annotations

from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.lint.stack import spark_images
from validator.redact import quoted
from validator.spec.location import Finding
from validator.versions import parse_specifier


def check(ctx: LintContext) -> Iterator[Finding]:
    section = ctx.spec.python
    if section is None or "pyspark" not in section.packages or not section.packages["pyspark"].version:
        return
    specifier = section.packages["pyspark"].version

    allowed = parse_specifier(specifier)
    for service, ((major, minor), _) in spark_images(ctx).items():
        probes = [f"{major}.{minor}.{patch}" for patch in range(0, 20)]
        if not any(allowed.contains(version) for version in probes):
            yield ctx.error(
                ("python", "packages", "pyspark"),
                f"pyspark {specifier} cannot talk to service {quoted(service)}, which runs Spark {major}.{minor} "
                f"({ctx.spec.services[service].image}): client and cluster must share major.minor",
            )
