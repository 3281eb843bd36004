"""Property: for any run in which a producer did not finish, no criterion that reads its metrics
passes — whatever the condition (comparisons, and/or/not, wildcards, aggregates, arithmetic) and
whatever values the finished producers measured."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.core.metrics import metric_name
from validator.criteria.conditions import NotMeasured, evaluate, match_metric, metrics_in, parse

SUITES = ("main", "smoke")
SERVICES = ("spark", "mysql", "web")
SUITE_FIELDS = ("failed", "errors", "skipped", "passed", "duration")
SERVICE_FIELDS = ("startup", "healthy")

PRODUCERS = {f"suite {s}": [metric_name("suite", s, f) for f in SUITE_FIELDS] for s in SUITES} | {
    f"service {v}": [metric_name("service", v, f) for f in SERVICE_FIELDS] for v in SERVICES
}
NAMES = [name for names in PRODUCERS.values() for name in names]
READABLE = [*NAMES, "suite.*.failed", "suite.*.duration", "service.*.healthy", "service.*.startup"]

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
numbers = st.sampled_from(["0", "1", "20", "30s", "5m", "0.5"])
metrics_read = st.sampled_from(READABLE)


def term(draw_metric: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    plain = draw_metric.filter(lambda m: "*" not in m)
    aggregate = st.builds(
        lambda f, m: f"{f}({m})", st.sampled_from(["max", "min", "sum", "avg", "count"]), metrics_read
    )
    arithmetic = st.builds(lambda a, op, n: f"{a} {op} {n}", plain, st.sampled_from(["+", "-", "/"]), numbers)
    return st.one_of(draw_metric, aggregate, arithmetic)


comparison = st.builds(
    lambda left, op, right: f"{left} {op} {right}",
    term(metrics_read),
    st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
    numbers,
)
conditions = st.recursive(
    comparison,
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"({a}) {op} ({b})", inner, st.sampled_from(["and", "or"]), inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=6,
)


@settings(max_examples=1500, deadline=None)
@given(
    condition=conditions,
    unfinished=st.sets(st.sampled_from(sorted(PRODUCERS)), min_size=1),
    measured=st.lists(values, min_size=len(NAMES), max_size=len(NAMES)),
)
def test_no_criterion_reading_an_unfinished_producer_passes(condition, unfinished, measured):
    metrics: dict[str, float] = {}
    unavailable: dict[str, str] = {}
    for producer, names in PRODUCERS.items():
        for name in names:
            if producer in unfinished:
                unavailable[name] = f"{producer} was killed by SIGKILL"
            else:
                metrics[name] = measured[NAMES.index(name)]
    node = parse(condition)
    reads_unfinished = any(match_metric(m.name, name) for m in metrics_in(node) for name in unavailable)
    try:
        outcome = evaluate(node, metrics, {}, unavailable, NAMES)
    except NotMeasured:
        return  # the criterion is an error: never a pass
    assert not reads_unfinished, f"{condition} judged {outcome.passed} on unavailable metrics"


# --- the same property through the real path: producers' results -> the run -> criteria ------------

SPEC = {
    "version": 1,
    "project": "prop",
    "services": {
        name: {"image": "x", "healthcheck": {"test": ["CMD", "true"], "interval": "1s", "timeout": "500ms"}}
        for name in ("spark", "mysql")
    },
    "suites": {"main": {"command": "pytest", "groups": {"g": {"paths": ["t/"]}}}, "smoke": {"command": "pytest"}},
    "criteria": {"C": {"title": "c", "condition": "suite.main.failed == 0"}},
}
RUN_READABLE = [
    *(f"suite.{s}.{f}" for s in ("main", "smoke", "*") for f in ("failed", "passed", "duration")),
    *(f"group.{g}.{f}" for g in ("g", "*") for f in ("failed", "total")),
    *(f"service.{v}.{f}" for v in ("spark", "mysql", "*") for f in ("startup", "healthy", "restarts")),
]
run_comparison = st.builds(
    lambda left, op, right: f"{left} {op} {right}",
    st.one_of(
        st.sampled_from(RUN_READABLE),
        st.builds(lambda f, m: f"{f}({m})", st.sampled_from(["max", "min", "count"]), st.sampled_from(RUN_READABLE)),
    ),
    st.sampled_from(["==", "!=", "<", ">="]),
    numbers,
)
run_conditions = st.recursive(
    run_comparison,
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"({a}) {op} ({b})", inner, st.sampled_from(["and", "or"]), inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=4,
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from validator.testing.specs import load_dict

    return load_dict(tmp_path_factory.mktemp("prop"), SPEC)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    condition=run_conditions,
    unfinished=st.sets(st.sampled_from(["suite main", "suite smoke", "service spark", "service mysql"]), min_size=1),
    value=values,
)
def test_through_the_run_no_criterion_reading_an_unfinished_producer_passes(loaded, condition, unfinished, value):
    from validator.checks.services import _missing
    from validator.core.pipeline import CheckOptions, Pipeline
    from validator.core.result import Result
    from validator.criteria.evaluate import evaluate_criteria
    from validator.spec.criteria import Criterion
    from validator.suites.verdict import FIELDS, not_finished
    from validator.ui import Display

    pipeline = Pipeline(loaded, CheckOptions(), Display(quiet=True, stream=io.StringIO()))
    results: list[Result] = []
    for suite in ("main", "smoke"):
        if f"suite {suite}" in unfinished:
            results += not_finished(loaded, suite, "was killed by SIGKILL after 1 of 2 tests", "", None, 1.0, "")
            continue
        results.append(
            Result(
                kind="suite",
                name=suite,
                verdict="pass",
                metrics={metric_name("suite", suite, f): value for f in FIELDS},
            )
        )
        if suite == "main":
            group = {metric_name("group", "g", f): value for f in FIELDS}
            results.append(Result(kind="suite", name="main/g", verdict="pass", metrics=group))
    for service in ("spark", "mysql"):
        metrics = {metric_name("service", service, f): value for f in ("startup", "healthy", "restarts")}
        if f"service {service}" in unfinished:
            svc = loaded.spec.services[service]
            gaps = _missing(service, svc, metrics, "did not become healthy: turned unhealthy")
            results.append(Result(kind="service", name=service, verdict="fail", metrics=metrics, unavailable=gaps))
        else:
            results.append(Result(kind="service", name=service, verdict="pass", metrics=metrics))
    pipeline.add(results)
    loaded.spec.criteria = {"C": Criterion(title="c", condition=condition)}
    verdict = evaluate_criteria(loaded, pipeline.run.metrics, {}, pipeline.run.unavailable())[0].verdict
    unavailable = pipeline.run.unavailable()
    reads = [m.name for m in metrics_in(parse(condition))]
    if any(match_metric(pattern, name) for pattern in reads for name in unavailable):
        assert verdict == "error", (condition, unfinished, verdict)
