"""OpenMetrics text: every metric and every verdict, for a Prometheus textfile collector or a
Pushgateway. Names are ``validator_<family>_<field>`` with the member as a label."""

from __future__ import annotations

import re

from validator.core.run import RunResult
from validator.reporters.context import ReportContext

DEFAULT_PATH: str | None = "reports/metrics.prom"


_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _label(value: str) -> str:
    """A label value: the three escapes OpenMetrics knows, and no other control character (a line
    separator would split the sample for line-based readers)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return _CONTROL.sub("\ufffd", escaped)


def _number(value: float) -> str:
    """OpenMetrics spells the non-finite values NaN, +Inf and -Inf (Python's 'nan' is not valid)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:g}"


def _name(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", text)


def render(run: RunResult, ctx: ReportContext) -> str:
    families: dict[str, list[str]] = {}
    units = {"time": "seconds", "size": "bytes"}
    for key, value in sorted(run.metrics.items()):  # exact values only: a bound is not a sample
        labels = f'{{{_name(key.family)}="{_label(key.member)}"}}' if key.member else ""
        unit = units.get(run.dimensions.get(key, ""), "")
        name = f"validator_{_name(key.family)}_{_name(key.field)}"
        name += f"_{unit}" if unit and not key.field.endswith(unit) else ""
        families.setdefault(name, []).append(f"{name}{labels} {_number(value)}")
    lines: list[str] = []
    for name, samples in families.items():
        lines.append(f"# TYPE {name} gauge")
        lines.extend(samples)
    lines.append("# TYPE validator_check_result gauge")
    lines.append("# HELP validator_check_result 1 for the verdict each check had in this run")
    for result in run.results:
        lines.append(
            f'validator_check_result{{project="{_label(run.project)}",kind="{_label(result.kind)}",'
            f'name="{_label(result.name)}",verdict="{result.verdict}"}} 1'
        )
    lines.append("# TYPE validator_run_ok gauge")
    lines.append(f'validator_run_ok{{project="{_label(run.project)}"}} {1 if run.ok else 0}')
    lines.append("# TYPE validator_run_timestamp_seconds gauge")
    lines.append(f'validator_run_timestamp_seconds{{project="{_label(run.project)}"}} {run.finished_at:.3f}')
    lines.append("# EOF")
    return "\n".join(lines) + "\n"
