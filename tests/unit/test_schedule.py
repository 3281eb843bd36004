"""The order the two CI workers take test files in (tests/harness/schedule.py): longest first, every test
kept, a file's tests together and in their order, the stack modules one unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.harness import schedule as S


@dataclass(kw_only=True)
class Item:
    nodeid: str
    marks: tuple[str, ...] = field(default_factory=tuple)

    def get_closest_marker(self, name: str) -> Any:
        return name if name in self.marks else None


def items(*specs: tuple[str, int, tuple[str, ...]]) -> list[Any]:
    return [Item(nodeid=f"{file}::t{i}", marks=marks) for file, count, marks in specs for i in range(count)]


def files(ordered: list[Any]) -> list[str]:
    out: list[str] = []
    for item in ordered:
        name = item.nodeid.split("::")[0]
        if not out or out[-1] != name:
            out.append(name)
    return out


def test_engine_files_come_before_many_pure_tests_and_every_test_stays(monkeypatch):
    monkeypatch.setattr(S, "MEASURED", {})
    given = items(
        ("tests/unit/test_many.py", 200, ()),  # 200 x 0.05 = 10 s
        ("tests/integration/test_few.py", 3, ("docker",)),  # 3 x 4 = 12 s
        ("tests/unit/test_one.py", 1, ()),
    )
    ordered = S.longest_first(given)
    assert files(ordered) == ["tests/integration/test_few.py", "tests/unit/test_many.py", "tests/unit/test_one.py"]
    assert sorted(i.nodeid for i in ordered) == sorted(i.nodeid for i in given)
    many = [i.nodeid for i in ordered if "many" in i.nodeid]
    assert many == [f"tests/unit/test_many.py::t{i}" for i in range(200)]  # a file's own order


def test_a_measured_figure_outranks_the_markers(monkeypatch):
    monkeypatch.setattr(S, "MEASURED", {"tests/unit/test_fuzz.py": 60.0})
    given = items(("tests/integration/test_few.py", 3, ("docker",)), ("tests/unit/test_fuzz.py", 2, ()))
    assert files(S.longest_first(given)) == ["tests/unit/test_fuzz.py", "tests/integration/test_few.py"]


def test_the_stack_modules_are_one_unit_ranked_by_their_sum(monkeypatch):
    stack = sorted(S.STACK_FILES)
    monkeypatch.setattr(S, "MEASURED", {stack[0]: 30.0, stack[1]: 30.0, stack[2]: 30.0})
    given = items(
        (stack[0], 2, ("docker", "stack")),
        ("tests/integration/test_mid.py", 20, ("docker",)),  # 80 s: longer than any one stack module
        (stack[1], 1, ("docker", "stack")),
        (stack[2], 1, ("docker", "stack")),
    )
    ordered = S.longest_first(given)
    # 90 s together, so first, and adjacent: one worker runs them one after the other
    assert files(ordered) == [stack[0], stack[1], stack[2], "tests/integration/test_mid.py"]


def test_a_stack_module_missing_from_the_list_is_named():
    given = items(("tests/integration/test_new_stack.py", 1, ("stack",)), (sorted(S.STACK_FILES)[0], 1, ("stack",)))
    assert S.unlisted_stack_modules(given) == ["tests/integration/test_new_stack.py"]


def test_the_listed_stack_modules_are_the_marked_ones(request: pytest.FixtureRequest) -> None:
    """STACK_FILES against the modules that say ``pytestmark = ... stack``, read from their source."""
    import re

    root = request.config.rootpath
    marked = {
        str(path.relative_to(root))
        for path in (root / "tests").rglob("test_*.py")
        if re.search(r"^pytestmark\s*=.*\bmark\.stack\b", path.read_text(), re.MULTILINE)
    }
    assert marked == set(S.STACK_FILES)
