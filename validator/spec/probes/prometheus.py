"""The ``prometheus`` probe's fields: ready, its AlertManager active, rules loaded."""

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from validator.redact import quoted
from validator.spec.probes.base import ProbeSpec


class PrometheusSpec(ProbeSpec):
    default_timeout = 30.0

    kind: Literal["prometheus"]
    url: str = "http://127.0.0.1:9090"
    alertmanager: str | None = Field(
        None,
        description="The AlertManager Prometheus must send to, as host:port (e.g. 'alertmanager:9093') or a URL "
        "(scheme and path prefix then compared too): an active AlertManager with exactly this host and port.",
    )
    min_rules: int = Field(0, ge=0, description="At least this many rules loaded.")
    rule_groups: list[str] = Field(
        default_factory=list,
        description="Rule groups that must be loaded; every rule they hold (every rule, when none is named) "
        "must evaluate with health ok.",
    )

    @field_validator("alertmanager")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None:
            alertmanager_address(value)
        return value


@dataclass(frozen=True, kw_only=True)
class AlertmanagerAddress:
    """Where an AlertManager is: scheme ("" when not given: any), host (lower case), port, path prefix."""

    scheme: str
    host: str
    port: int
    path: str


def alertmanager_address(text: str) -> AlertmanagerAddress:
    """``host:port`` or ``scheme://host:port[/prefix]`` as its parts; ValueError without a host and a
    port (an AlertManager named by host alone would match any port of that host)."""
    given = "://" in text
    parts = urlsplit(text if given else f"//{text}")
    port = parts.port  # raises ValueError on a port out of range or not a number
    if not parts.hostname or port is None:
        raise ValueError(f"{quoted(text)} names no host and port: write host:port, e.g. alertmanager:9093")
    return AlertmanagerAddress(
        scheme=parts.scheme.lower() if given else "", host=parts.hostname, port=port, path=parts.path.rstrip("/")
    )
