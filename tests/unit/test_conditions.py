"""The criteria condition language: parsing, errors with columns; judging over exact, bounded and
unavailable evidence (PASS only when the condition holds for every value the evidence allows)."""

import re

import pytest

from tests.metrics import exact, key, unavailable
from validator.core.metrics import Bounds, Evidence, MetricKey
from validator.criteria.conditions import ConditionError, parse
from validator.criteria.judge import judge

METRICS = {
    "suite.main.failed": 0,
    "suite.main.skipped": 3,
    "suite.main.duration": 200.0,
    "group.delta.passed": 7,
    "group.delta.total": 7,
    "service.spark.startup": 1.2,
    "service.am.startup": 0.4,
    "service.spark.healthy": 12.0,
    "service.am.healthy": 31.0,
    "service.spark.memory_limit": 2 * 2**30,
}


def truth(condition, evidence=None, declared=()):
    return judge(parse(condition), exact(METRICS) if evidence is None else evidence, declared).truth


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("suite.main.failed == 0", "true"),
        ("suite.main.skipped < 20", "true"),
        ("group.delta.passed == 7 and group.delta.total == 7", "true"),
        ("suite.main.duration < 5m", "true"),
        ("suite.main.duration < 3m", "false"),
        ("service.*.startup < 60s", "true"),
        ("service.*.healthy < 30s", "false"),
        ("max(service.*.healthy) <= 31s", "true"),
        ("count(service.*.startup) == 2", "true"),
        ("sum(service.*.startup) > 1.5 and avg(service.*.startup) < 1", "true"),
        ("service.spark.memory_limit == 2GiB", "true"),
        ("service.spark.memory_limit == 2048 MiB", "true"),
        ("not suite.main.failed > 0", "true"),
        ("suite.main.failed > 0 or suite.main.skipped < 5", "true"),
        ("(group.delta.passed - group.delta.total) == 0", "true"),
        ("group.delta.passed / group.delta.total >= 1", "true"),
        ("-suite.main.skipped < 0", "true"),
        ("suite.main.failed != 0", "false"),
    ],
)
def test_exact_evidence(condition, expected):
    assert truth(condition) == expected


def test_wildcard_reports_the_failing_members():
    result = judge(parse("service.*.healthy < 30s"), exact(METRICS), ())
    assert result.truth == "false"
    assert result.failing == ["am"]


@pytest.mark.parametrize(
    ("condition", "message", "offset"),
    [
        ("suite.main.failed = 0", "use '=='", 18),
        ("", "empty condition", 0),
        ("foo < 3", "unknown name 'foo'", 0),
        ("a.b < 3xb", "unknown unit 'xb'", 7),
        ("a.b < 1 < 2", "chained comparisons", 8),
        ("(a.b < 1", "expected ')'", 8),
        ("median(a.b) < 1", "unknown function", 0),
        ("max(3) < 1", "takes a metric name", 4),
        ("a.b < 1 ^ 2", "unexpected character '^'", 8),
        ("service.sp*rk.startup < 1", "whole member name", 0),
        ("*.x.startup < 1", "stands for a member", 0),
        ("service.x.* < 1", "stands for a member", 0),
        ("a.b <", "expected a metric", 5),
    ],
)
def test_syntax_errors_carry_a_column(condition, message, offset):
    with pytest.raises(ConditionError, match=re.escape(message)) as info:
        parse(condition)
    assert info.value.offset == offset


def test_a_dotted_member_is_one_member():
    """Compose allows ``api.v2``: the family is the first segment, the field the last, the rest the member."""
    assert key("service.api.v2.healthy") == MetricKey(family="service", member="api.v2", field="healthy")
    evidence = exact({"service.api.v2.healthy": 8.0, "service.web.healthy": 1.0})
    assert truth("service.*.healthy < 3s", evidence) == "false"
    assert judge(parse("service.*.healthy < 3s"), evidence, ()).failing == ["api.v2"]
    assert truth("max(service.*.healthy) < 3s", evidence) == "false"
    assert truth("service.api.v2.healthy > 7s", evidence) == "true"


def test_unmeasured_metric_is_unknown_never_a_pass():
    result = judge(parse("suite.other.failed == 0"), exact(METRICS), ())
    assert result.truth == "unknown"
    assert re.search(r"suite\.other\.failed was not measured", result.missing[0])
    with pytest.raises(ConditionError, match="no member measures"):
        judge(parse("probe.*.passed == 1"), exact(METRICS), ())


def test_bounds_on_length_and_depth():
    with pytest.raises(ConditionError, match=r"longer than"):
        parse("a.b == 1 and " * 200 + "a.b == 1")
    with pytest.raises(ConditionError, match="nested deeper"):
        parse("(" * 50 + "a.b" + ")" * 50)
    with pytest.raises(ConditionError, match="nested deeper"):
        parse("not " * 50 + "a.b == 1")


@pytest.mark.parametrize(
    "condition",
    [
        "suite.main.duration != 1s",
        "not (suite.main.duration > 1h)",
        "suite.main.duration < 1h and suite.main.failed == 0",
        "max(service.*.startup) < 1h",
    ],
)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_values_never_satisfy_a_condition(condition, bad):
    evidence = exact({**METRICS, "suite.main.duration": bad, "service.am.startup": bad})
    result = judge(parse(condition), evidence, ())
    assert result.truth == "unknown"
    assert any(re.search(r"(suite\.main\.duration|service\.am\.startup)", m) for m in result.missing)


def test_arithmetic_that_overflows_to_infinity_is_unknown():
    result = judge(parse("suite.main.duration + 1e308 + 1e308 > 0"), exact(METRICS), ())
    assert result.truth == "unknown"
    assert "finite numbers" in result.missing[0]


def test_an_unavailable_metric_is_unknown_with_its_reason():
    reason = "suite main was killed by SIGKILL after 2 of 4 tests"
    result = judge(parse("suite.main.failed == 0"), unavailable({"suite.main.failed": reason}), ())
    assert result.truth == "unknown"
    assert result.missing == [f"suite.main.failed is unavailable: {reason}"]


def test_a_wildcard_ranges_over_every_declared_member():
    declared = [key("service.spark.healthy"), key("service.am.healthy"), key("service.mysql.healthy")]
    lenient = exact({**METRICS, "service.am.healthy": 2.0})
    result = judge(parse("service.*.healthy < 1h"), lenient, declared)
    assert result.truth == "unknown"
    assert re.search(r"service\.mysql\.healthy was not measured", result.missing[0])
    mysql = unavailable({"service.mysql.healthy": "service mysql did not become healthy"})
    result = judge(parse("max(service.*.healthy) < 1h"), {**lenient, **mysql}, declared)
    assert result.truth == "unknown" and "service mysql did not become healthy" in result.missing[0]
    assert truth("service.*.healthy < 1h", lenient, declared[:2]) == "true"


def _bounded(name: str, low=None, high=None, why="suite main: 1 module failed to import"):
    return {key(name): Evidence.bounded("suite main", Bounds(low=low, high=high, why=why))}


@pytest.mark.parametrize(
    ("condition", "low", "high", "expected"),
    [
        # skipped is at least 3 and unknown above: it may be anything from 3 up
        ("suite.main.skipped < 20", 3, None, "unknown"),
        ("suite.main.skipped < 2", 3, None, "false"),
        ("suite.main.skipped >= 3", 3, None, "true"),
        ("suite.main.skipped == 3", 3, None, "unknown"),
        ("suite.main.skipped != 2", 3, None, "true"),
        ("suite.main.skipped == 0", 3, None, "false"),
        ("not suite.main.skipped < 20", 3, None, "unknown"),
        ("suite.main.skipped < 20 or suite.main.skipped >= 3", 3, None, "true"),
        ("suite.main.skipped < 20 and suite.main.skipped < 2", 3, None, "false"),
        ("suite.main.skipped < 20", 3, 10, "true"),
        ("suite.main.skipped <= 10", 3, 10, "true"),
        ("suite.main.skipped < 10", 3, 10, "unknown"),
        ("suite.main.skipped - suite.main.skipped == 0", 3, 10, "unknown"),  # loose, never wrong
        ("suite.main.skipped * 2 > 5", 3, None, "true"),
        ("10 / suite.main.skipped <= 4", 3, None, "true"),
        ("10 / suite.main.skipped < 1", 0, None, "unknown"),  # the divisor may be 0
    ],
)
def test_bounded_evidence_is_judged_over_its_whole_range(condition, low, high, expected):
    assert truth(condition, _bounded("suite.main.skipped", low, high)) == expected


def test_the_reason_of_a_bound_is_named():
    result = judge(parse("suite.main.skipped < 20"), _bounded("suite.main.skipped", 3), ())
    assert result.missing == [
        "suite.main.skipped is at least 3 and unknown above: suite main: 1 module failed to import"
    ]


def test_one_side_decides_or_and_and_whatever_the_other_is():
    gone = unavailable({"suite.main.failed": "suite main was killed"})
    evidence = {**exact({"suite.main.skipped": 3}), **gone}
    assert truth("suite.main.skipped < 5 or suite.main.failed == 0", evidence) == "true"
    assert truth("suite.main.skipped > 5 and suite.main.failed == 0", evidence) == "false"
    assert truth("suite.main.skipped < 5 and suite.main.failed == 0", evidence) == "unknown"
    assert truth("suite.main.skipped > 5 or suite.main.failed == 0", evidence) == "unknown"
