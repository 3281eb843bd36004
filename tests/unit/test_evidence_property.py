"""Property: for any run in which a producer did not finish, no criterion that reads its metrics
passes — whatever the condition (comparisons, and/or/not, wildcards, aggregates, arithmetic) and
whatever values the finished producers measured."""

from __future__ import annotations

from hypothesis import given, settings
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
