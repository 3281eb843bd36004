"""Test helpers for metrics: a key from the name people write, evidence from plain values."""

from __future__ import annotations

from collections.abc import Mapping

from validator.core.metrics import Evidence, MetricKey
from validator.criteria.conditions import Metric, parse


def key(name: str) -> MetricKey:
    """``key("service.api.v2.healthy")`` -> MetricKey(service, api.v2, healthy), read by the condition
    language's own parser (the one place a written name is read into parts)."""
    node = parse(f"{name} == 0")
    metric = node.left  # type: ignore[union-attr]
    assert isinstance(metric, Metric) and metric.pattern.member is not None, name
    return MetricKey(family=metric.pattern.family, member=metric.pattern.member, field=metric.pattern.field)


def exact(values: Mapping[str, float], producer: str = "test") -> dict[MetricKey, Evidence]:
    return {key(name): Evidence.exact(producer, float(v)) for name, v in values.items()}


def unavailable(reasons: Mapping[str, str], producer: str = "test") -> dict[MetricKey, Evidence]:
    return {key(name): Evidence.unavailable(producer, why) for name, why in reasons.items()}


def exact_keys(values: Mapping[MetricKey, float], producer: str = "test") -> dict[MetricKey, Evidence]:
    return {k: Evidence.exact(producer, float(v)) for k, v in values.items()}


def _shown(key_record: Mapping[str, str]) -> str:
    return str(MetricKey(family=key_record["family"], member=key_record["member"], field=key_record["field"]))


def report_evidence(report: Mapping[str, object]) -> dict[str, dict[str, object]]:
    """A JSON report's evidence by the name people read (``suite.main.failed``)."""
    run = report["run"]
    assert isinstance(run, dict)
    return {_shown(e["key"]): e for e in run["evidence"]}


def report_metrics(report: Mapping[str, object]) -> dict[str, float]:
    """A JSON report's exactly known metrics by the name people read."""
    return {
        name: e["low"]  # type: ignore[misc]
        for name, e in report_evidence(report).items()
        if e["low"] is not None and e["low"] == e["high"]
    }
