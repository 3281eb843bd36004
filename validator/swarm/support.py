"""Which service fields Swarm services honour, and the located refusal for those they cannot (as
engine/support.py for plain containers): a field Swarm would silently drop is refused instead."""

from __future__ import annotations

from validator.engine.support import Rule, field_refusals
from validator.spec.load import LoadedSpec
from validator.spec.location import Finding

RULES: list[Rule] = [
    (("build",), lambda s: s.build is not None, "Swarm does not build images: build it first and name it in 'image'"),
    (
        ("container_name",),
        lambda s: s.container_name is not None,
        "Swarm names task containers itself (<stack>_<service>.<slot>.<task>)",
    ),
    (("privileged",), lambda s: s.privileged, "Swarm services cannot run privileged"),
    (
        ("restart",),
        lambda s: s.restart != "no",
        "Swarm ignores 'restart': use deploy.restart_policy (condition none, on-failure or any)",
    ),
    (
        ("ports",),
        lambda s: any(b.host_ip for p in s.ports for b in p.bindings()),
        "Swarm publishes ports on every interface of every node: a host IP cannot be kept (drop it in a swarm overlay)",
    ),
    (("memswap_limit",), lambda s: s.memswap_limit is not None, "Swarm services have no swap limit"),
    (("cpu_shares",), lambda s: s.cpu_shares is not None, "Swarm services have no CPU shares (use deploy.resources)"),
    (("shm_size",), lambda s: s.shm_size is not None, "Swarm services on engine API 1.41 have no shm_size"),
    (
        ("depends_on",),
        lambda s: any(d.condition != "service_started" for d in s.depends_on.values()),
        "Swarm starts services in no order: depends_on conditions cannot be honoured",
    ),
]


def swarm_refusals(loaded: LoadedSpec) -> list[Finding]:
    out = field_refusals(loaded, "swarm", refused=RULES)
    # Swarm objects are made from files here; a value from a variable or inline content is not yet.
    for section in ("configs", "secrets"):
        for key, obj in getattr(loaded.spec, section).items():
            for field in ("environment", "content"):
                if getattr(obj, field, None) is not None:
                    message = f"a {section[:-1]} from '{field}' is not supported yet on Swarm (use file)"
                    out.append(loaded.doc.finding((section, key, field), f"{message} [swarm]", key=True))
    return out
