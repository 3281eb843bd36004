"""Property: a PASS is a proof. For any evidence — exact values, bounds (a count of an incomplete run is
at least what was seen), unavailable metrics, non-finite numbers, members whose names hold dots — and any
condition (comparisons, and/or/not, wildcards, aggregates, arithmetic), a criterion judged true holds for
every value the evidence allows (checked on sampled points of each range), one judged false fails for
every one, and a criterion reading a metric with no evidence at all is never true on its account."""

from __future__ import annotations

import io
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.core.metrics import Bounds, Evidence, MetricKey, metric_name
from validator.criteria.conditions import ConditionError, parse
from validator.criteria.judge import judge

SUITES = ("main", "smoke.v2")  # a member with a dot, as Compose allows
SERVICES = ("spark", "api.v2", "web")
SUITE_FIELDS = ("failed", "skipped", "passed", "duration")
SERVICE_FIELDS = ("startup", "healthy")
KEYS = [metric_name("suite", s, f) for s in SUITES for f in SUITE_FIELDS] + [
    metric_name("service", v, f) for v in SERVICES for f in SERVICE_FIELDS
]
READABLE = [str(k) for k in KEYS] + ["suite.*.failed", "suite.*.duration", "service.*.healthy", "service.*.startup"]

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
numbers = st.sampled_from(["0", "1", "20", "30s", "5m", "0.5", "3"])
metrics_read = st.sampled_from(READABLE)


def term(metric: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    plain = metric.filter(lambda m: "*" not in m)
    aggregate = st.builds(lambda f, m: f"{f}({m})", st.sampled_from(["max", "min", "sum", "avg", "count"]), metric)
    arithmetic = st.builds(lambda a, op, n: f"{a} {op} {n}", plain, st.sampled_from(["+", "-", "*", "/"]), numbers)
    return st.one_of(metric, aggregate, arithmetic)


def conditions(metric: st.SearchStrategy[str], leaves: int) -> st.SearchStrategy[str]:
    comparison = st.builds(
        lambda left, op, right: f"{left} {op} {right}",
        term(metric),
        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
        numbers,
    )
    return st.recursive(
        comparison,
        lambda inner: st.one_of(
            st.builds(lambda a, op, b: f"({a}) {op} ({b})", inner, st.sampled_from(["and", "or"]), inner),
            st.builds(lambda a: f"not ({a})", inner),
        ),
        max_leaves=leaves,
    )


@st.composite
def evidence_of(draw: st.DrawFn, keys: list[MetricKey]) -> dict[MetricKey, Evidence]:
    out = {}
    for key in keys:
        shape = draw(st.sampled_from(["exact", "exact", "at least", "between", "unavailable", "missing", "nan"]))
        a, b = sorted((draw(values), draw(values)))
        if shape == "exact":
            out[key] = Evidence.exact("p", a)
        elif shape == "at least":
            out[key] = Evidence.bounded("p", Bounds(low=a, why="incomplete"))
        elif shape == "between":
            out[key] = Evidence.bounded("p", Bounds(low=a, high=b, why="incomplete"))
        elif shape == "unavailable":
            out[key] = Evidence.unavailable("p", "killed")
        elif shape == "nan":
            out[key] = Evidence.exact("p", math.nan)
    return out


def _points(e: Evidence | None, pick: float) -> float:
    """A value the evidence allows, chosen by ``pick``."""
    low = -1e7 if e is None or e.low is None else e.low
    high = 1e7 if e is None or e.high is None else e.high
    return min(max(low + (high - low) * pick, low), high)  # clamped: rounding must not leave the range


def _holds(condition: str, point: dict[MetricKey, Evidence]) -> str:
    return judge(parse(condition), point, KEYS).truth


@settings(max_examples=500, deadline=None)
@given(condition=conditions(metrics_read, 6), evidence=evidence_of(KEYS), picks=st.lists(st.floats(0, 1), min_size=3))
def test_a_verdict_holds_for_every_value_the_evidence_allows(condition, evidence, picks):
    try:
        verdict = judge(parse(condition), evidence, KEYS).truth
    except ConditionError:
        return  # not a verdict at all: the criterion is an error
    if verdict == "unknown":
        return
    for pick in [0.0, 1.0, 0.5, *picks]:
        point = {k: Evidence.exact("p", _points(evidence.get(k), pick)) for k in KEYS}
        assert _holds(condition, point) in (verdict, "unknown"), (condition, evidence, pick)


@settings(max_examples=300, deadline=None)
@given(condition=conditions(metrics_read, 6), evidence=evidence_of(KEYS))
def test_a_condition_whose_answer_depends_on_an_unknown_value_is_unknown(condition, evidence):
    """Two points of the evidence's ranges that give different answers: the verdict cannot be true or false."""
    try:
        verdict = judge(parse(condition), evidence, KEYS).truth
    except ConditionError:
        return
    answers = set()
    for pick in (0.0, 0.5, 1.0):
        point = {k: Evidence.exact("p", _points(evidence.get(k), pick)) for k in KEYS}
        answers.add(_holds(condition, point))
    if answers >= {"true", "false"}:
        assert verdict == "unknown", (condition, evidence)


# --- the same property through the real path: producers' results -> the run -> criteria ------------

SPEC = {
    "version": 1,
    "project": "prop",
    "services": {
        name: {"image": "x", "healthcheck": {"test": ["CMD", "true"], "interval": "1s", "timeout": "500ms"}}
        for name in ("spark", "api.v2")
    },
    "suites": {"main": {"command": "pytest", "groups": {"g.1": {"paths": ["t/"]}}}, "smoke": {"command": "pytest"}},
    "criteria": {"C": {"title": "c", "condition": "suite.main.failed == 0"}},
}
RUN_READABLE = [
    *(f"suite.{s}.{f}" for s in ("main", "smoke", "*") for f in ("failed", "passed", "duration")),
    *(f"group.{g}.{f}" for g in ("g.1", "*") for f in ("failed", "total")),
    *(f"service.{v}.{f}" for v in ("spark", "api.v2", "*") for f in ("startup", "healthy", "restarts")),
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from validator.testing.specs import load_dict

    return load_dict(tmp_path_factory.mktemp("prop"), SPEC)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    condition=conditions(st.sampled_from(RUN_READABLE), 4),
    unfinished=st.sets(st.sampled_from(["suite main", "suite smoke", "service spark", "service api.v2"]), min_size=1),
    value=values,
    seen=st.integers(0, 5),
)
def test_through_the_run_no_criterion_passes_without_proof(loaded, condition, unfinished, value, seen):
    """Suites that were killed or only partly collected, services that did not become ready: no
    criterion passes unless its condition holds whatever the missing values are."""
    from validator.catalog import catalog
    from validator.checks.services import _missing
    from validator.core.result import Result
    from validator.criteria.evaluate import evaluate_criteria
    from validator.run.pipeline import CheckOptions, Pipeline
    from validator.spec.criteria import Criterion
    from validator.suites.verdict import FIELDS, not_finished
    from validator.ui import Display

    pipeline = Pipeline(loaded, CheckOptions(), Display(quiet=True, stream=io.StringIO()))
    results: list[Result] = []
    for suite in ("main", "smoke"):
        if f"suite {suite}" in unfinished:
            results += not_finished(loaded, suite, "was killed by SIGKILL after 1 of 2 tests", "", None, 1.0, "")
            continue
        metrics = {metric_name("suite", suite, f): value for f in FIELDS}
        bounds = {metric_name("suite", suite, "skipped"): Bounds(low=float(seen), why=f"suite {suite}: partial")}
        metrics.pop(metric_name("suite", suite, "skipped"))
        results.append(Result(kind="suite", name=suite, verdict="pass", metrics=metrics, bounds=bounds))
        if suite == "main":
            group = {metric_name("group", "g.1", f): value for f in FIELDS}
            results.append(
                Result(kind="group", name="main/g.1", id="g.1", parent="main", verdict="pass", metrics=group)
            )
    for service in ("spark", "api.v2"):
        metrics = {metric_name("service", service, f): value for f in ("startup", "healthy", "restarts")}
        if f"service {service}" in unfinished:
            svc = loaded.spec.services[service]
            gaps = _missing(service, svc, metrics, "did not become healthy: turned unhealthy")
            results.append(Result(kind="service", name=service, verdict="fail", metrics=metrics, unavailable=gaps))
        else:
            results.append(Result(kind="service", name=service, verdict="pass", metrics=metrics))
    pipeline.add(results)
    loaded.spec.criteria = {"C": Criterion(title="c", condition=condition)}
    declared = list(catalog(loaded.spec))
    verdict = evaluate_criteria(loaded, pipeline.run.evidence, declared, {})[0].verdict
    if verdict not in ("pass", "fail"):
        return
    expected = "true" if verdict == "pass" else "false"
    for pick in (0.0, 0.37, 1.0):
        point = {k: Evidence.exact("p", _points(pipeline.run.evidence.get(k), pick)) for k in declared}
        assert judge(parse(condition), point, declared).truth == expected, (condition, unfinished, pick)
