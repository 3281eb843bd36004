import pytest

from validator.compare import MISSING, assert_value
from validator.spec.files import KeyAssertion


@pytest.mark.parametrize(
    ("actual", "assertion", "ok"),
    [
        ("false", False, True),
        ("1", 1, True),
        (1, "1", True),
        ("x", "y", False),
        ([1, "a"], ["1", "a"], True),
        ("5m", {"regex": r"^\d+m$"}, True),
        (["a", "b"], {"regex": "^b$"}, True),
        ("abc", {"contains": "b"}, True),
        (["alertmanager:9093"], {"contains": "alertmanager:9093"}, True),
        ({"k": 1}, {"contains": "k"}, True),
        ("3.5.9", {"version": "^3.5.0"}, True),
        ("io.delta:delta-spark_2.12:3.3.2", {"version": ">=3"}, False),
        (MISSING, {"exists": False}, True),
        ("x", {"exists": False}, False),
        ("b", {"one_of": ["a", "b"]}, True),
        (MISSING, "anything", False),
    ],
)
def test_assertions(actual, assertion, ok):
    assert assert_value(actual, KeyAssertion.model_validate(assertion))[0] is ok
