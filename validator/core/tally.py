"""The checks tally: counts of every check's verdict over the run (``checks.*``), declared and computed
here. Criteria results are left out: a tally a criterion reads must not count that criterion."""

from __future__ import annotations

from collections.abc import Iterable

from validator.core.metrics import Declared, Family, MetricKey, metric_name, single
from validator.core.result import Result

_VERDICTS = {"pass": "passed", "fail": "failed", "skip": "skipped", "error": "errors", "xfail": "xfailed"}

METRICS = Family(
    name="checks",
    members=single,
    metrics=(
        Declared(field="total", dimension="", meaning="checks of the run (criteria excluded)"),
        *(
            Declared(field=field, dimension="", meaning=f"checks whose verdict is {verdict}")
            for verdict, field in _VERDICTS.items()
        ),
        Declared(field="duration", dimension="time", meaning="wall time of the run up to the criteria"),
    ),
    doc="counts over every check of the run",
)


def tally(results: Iterable[Result], elapsed: float) -> dict[MetricKey, float]:
    counted = [r for r in results if r.kind != "criterion"]
    out = {metric_name("checks", "", "total"): float(len(counted))}
    for verdict, field in _VERDICTS.items():
        out[metric_name("checks", "", field)] = float(sum(1 for r in counted if r.verdict == verdict))
    out[metric_name("checks", "", "duration")] = elapsed
    return out
