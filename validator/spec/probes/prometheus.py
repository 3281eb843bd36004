"""The ``prometheus`` probe's fields: ready, its AlertManager active, rules loaded."""

from typing import Literal

from pydantic import Field

from validator.spec.probes.base import ProbeSpec


class PrometheusSpec(ProbeSpec):
    default_timeout = 30.0

    kind: Literal["prometheus"]
    url: str = "http://127.0.0.1:9090"
    alertmanager: str | None = Field(
        None, description="Substring of the active AlertManager URL, e.g. 'alertmanager:9093'."
    )
    min_rules: int = Field(0, ge=0, description="At least this many rules loaded.")
    rule_groups: list[str] = Field(
        default_factory=list,
        description="Rule groups that must be loaded; every rule they hold (every rule, when none is named) "
        "must evaluate with health ok.",
    )
