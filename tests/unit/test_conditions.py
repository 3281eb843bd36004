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
