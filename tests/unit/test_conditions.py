"""The criteria condition language: parsing, errors with columns, evaluation with wildcards."""

import re

import pytest

from validator.criteria.conditions import ConditionError, NotMeasured, evaluate, parse

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


@pytest.mark.parametrize(
    ("condition", "passed"),
    [
        ("suite.main.failed == 0", True),
        ("suite.main.skipped < 20", True),
        ("group.delta.passed == 7 and group.delta.total == 7", True),
        ("suite.main.duration < 5m", True),
        ("suite.main.duration < 3m", False),
        ("service.*.startup < 60s", True),
        ("service.*.healthy < 30s", False),
        ("max(service.*.healthy) <= 31s", True),
        ("count(service.*.startup) == 2", True),
        ("sum(service.*.startup) > 1.5 and avg(service.*.startup) < 1", True),
        ("service.spark.memory_limit == 2GiB", True),
        ("service.spark.memory_limit == 2048 MiB", True),
        ("not suite.main.failed > 0", True),
        ("suite.main.failed > 0 or suite.main.skipped < 5", True),
        ("(group.delta.passed - group.delta.total) == 0", True),
        ("group.delta.passed / group.delta.total >= 1", True),
        ("-suite.main.skipped < 0", True),
        ("true", True),
    ],
)
def test_evaluation(condition, passed):
    assert evaluate(parse(condition), METRICS).passed is passed


def test_wildcard_reports_the_failing_members():
    result = evaluate(parse("service.*.healthy < 30s"), METRICS, {"service.am.healthy": "time"})
    assert not result.passed
    assert result.failing == ["service.am.healthy"]
    assert "service.am.healthy=31.00s" in result.actual


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
        ("service.sp*rk.startup < 1", "whole name segment", 0),
        ("a.b <", "expected a metric", 5),
    ],
)
def test_syntax_errors_carry_a_column(condition, message, offset):
    with pytest.raises(ConditionError, match=re.escape(message)) as info:
        parse(condition)
    assert info.value.offset == offset


def test_unmeasured_metric_is_not_a_pass():
    with pytest.raises(NotMeasured, match=r"suite\.other\.failed was not measured"):
        evaluate(parse("suite.other.failed == 0"), METRICS)
    with pytest.raises(NotMeasured, match="no measured metric matches"):
        evaluate(parse("probe.*.passed == 1"), METRICS)


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
        "suite.main.duration < 1h or suite.main.failed == 0",
        "max(service.*.startup) < 1h",
    ],
)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_values_never_satisfy_a_condition(condition, bad):
    metrics = {**METRICS, "suite.main.duration": bad, "service.am.startup": bad}
    with pytest.raises(NotMeasured, match=r"(suite\.main\.duration|service\.am\.startup) is -?(nan|inf)"):
        evaluate(parse(condition), metrics)


def test_arithmetic_that_overflows_to_infinity_is_an_error():
    with pytest.raises(NotMeasured, match="not a finite number"):
        evaluate(parse("suite.main.duration + 1e308 + 1e308 > 0"), METRICS)


def test_an_unavailable_metric_is_an_error_with_its_reason():
    reason = "suite main was killed by SIGKILL after 2 of 4 tests"
    with pytest.raises(NotMeasured, match=f"suite.main.failed is unavailable: {reason}"):
        evaluate(parse("suite.main.failed == 0"), {}, unavailable={"suite.main.failed": reason})


def test_a_wildcard_ranges_over_every_declared_member():
    declared = ["service.spark.healthy", "service.am.healthy", "service.mysql.healthy"]
    with pytest.raises(NotMeasured, match=r"service\.mysql\.healthy was not measured"):
        evaluate(parse("service.*.healthy < 1h"), METRICS, declared=declared)
    with pytest.raises(NotMeasured, match="service mysql did not become healthy"):
        evaluate(
            parse("max(service.*.healthy) < 1h"),
            METRICS,
            unavailable={"service.mysql.healthy": "service mysql did not become healthy"},
            declared=declared,
        )
    ok = evaluate(parse("service.*.healthy < 1h"), METRICS, declared=declared[:2])
    assert ok.passed
