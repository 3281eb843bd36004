"""The other services a service names outside ``depends_on``, as records: Compose starts each of them
first and refuses a project where one is not defined ("depends on undefined service").

``links: [SERVICE[:ALIAS]]``, ``volumes_from: [SERVICE[:ro|rw]]`` (``container:NAME`` names a container,
not a service) and ``network_mode``/``pid``/``ipc: service:NAME``. The ``:`` is Compose's syntax for
these strings, parsed once here.
"""

from __future__ import annotations

from dataclasses import dataclass

from validator.spec.service import Service

_SHARED = ("network_mode", "pid", "ipc")
_SERVICE_PREFIX = "service:"


@dataclass(frozen=True, kw_only=True)
class ServiceRef:
    """``service`` named by the field at ``where`` (a path under the service: ``("links", 0)``)."""

    service: str
    where: tuple[str | int, ...]

    @property
    def field(self) -> str:
        return str(self.where[0])


def service_refs(svc: Service) -> list[ServiceRef]:
    out = []
    for key in _SHARED:
        value = getattr(svc, key) or ""
        if value.startswith(_SERVICE_PREFIX):
            out.append(ServiceRef(service=value[len(_SERVICE_PREFIX) :], where=(key,)))
    for index, entry in enumerate(svc.volumes_from):
        if not entry.startswith("container:"):
            out.append(ServiceRef(service=entry.partition(":")[0], where=("volumes_from", index)))
    for index, link in enumerate(svc.links):
        out.append(ServiceRef(service=link.partition(":")[0], where=("links", index)))
    return out
