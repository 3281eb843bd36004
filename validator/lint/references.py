"""Names that must refer to something the spec declares: named volumes, networks, configs, secrets,
probe services."""

from __future__ import annotations

from collections.abc import Iterator

from validator.hints import did_you_mean
from validator.lint.context import LintContext
from validator.redact import quoted
from validator.spec.location import Finding


def check(ctx: LintContext) -> Iterator[Finding]:
    spec = ctx.spec
    for name, service in spec.services.items():
        for index, mount in enumerate(service.volumes):
            if mount.type == "volume" and mount.source and mount.source not in spec.volumes:
                yield ctx.error(
                    ("services", name, "volumes", index),
                    f"named volume {quoted(mount.source)} is not declared under top-level 'volumes'"
                    + did_you_mean(mount.source, spec.volumes),
                )
        for net in service.networks:
            if net != "default" and net not in spec.networks:
                yield ctx.error(
                    ctx.member(("services", name, "networks"), net),
                    f"network {quoted(net)} is not declared under top-level 'networks'"
                    + did_you_mean(net, spec.networks),
                    key=True,
                )
        for section, declared in (("configs", spec.configs), ("secrets", spec.secrets)):
            for index, ref in enumerate(getattr(service, section)):
                if ref.source not in declared:
                    yield ctx.error(
                        ("services", name, section, index),
                        f"{section[:-1]} {quoted(ref.source)} is not declared under top-level {quoted(section)}"
                        + did_you_mean(ref.source, declared),
                    )
    for name, probe in spec.probes.items():
        if probe.service is not None and probe.service not in spec.services:
            yield ctx.error(
                ("probes", name, "service"),
                f"probe names unknown service {quoted(probe.service)}" + did_you_mean(probe.service, spec.services),
            )
        elif probe.service is not None and spec.services[probe.service].replicas == 0:
            # a declared probe that can never run is a check the run can never make: refused, as a
            # depends_on on a service that does not run is
            yield ctx.error(
                ("probes", name, "service"),
                f"service {quoted(probe.service)} runs no container (scale 0): this probe can never run",
            )
        elif probe.service is not None and spec.services[probe.service].profiles:
            # lint cannot know the profiles a run enables: a warning naming them
            profiles = ", ".join(spec.services[probe.service].profiles)
            yield ctx.warning(
                ("probes", name, "service"),
                f"service {quoted(probe.service)} runs only under profile(s) {profiles}: a check without one of "
                "them enabled reports this probe as an error",
            )
