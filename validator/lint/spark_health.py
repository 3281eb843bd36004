"""A Spark healthcheck that calls curl or wget: the apache/spark image ships neither, so the
container never turns healthy. Probe the UI from the host (an http probe) or use bash's /dev/tcp."""

from __future__ import annotations

from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.lint.stack import spark_images
from validator.spec.location import Finding

_MISSING = ("curl", "wget")


def check(ctx: LintContext) -> Iterator[Finding]:
    for service in spark_images(ctx):
        svc = ctx.spec.services[service]
        if not (svc.image or "").split("/")[-1].startswith("spark") or "apache/spark" not in (svc.image or ""):
            continue
        hc = svc.healthcheck
        if hc is None or not hc.test or hc.disabled:
            continue
        words = " ".join(hc.test[1:]).replace(";", " ").replace("&&", " ").split()
        used = [tool for tool in _MISSING if tool in words]
        if used:
            yield ctx.warning(
                ("services", service, "healthcheck", "test"),
                f"{svc.image} has no {used[0]}: this health check cannot pass; probe the UI from the "
                "host with an http probe, or test with bash: exec 3<>/dev/tcp/127.0.0.1/8080",
            )
