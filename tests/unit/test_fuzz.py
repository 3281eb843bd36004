"""Property-based fuzzing: no input makes the loader, the linter or the condition language raise
anything but their own errors, hang, or grow memory past a bound. Example counts are fixed so
the table in README-TESTING.md can quote them."""

from __future__ import annotations

import contextlib
import tracemalloc

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics import exact
from validator.criteria.conditions import ConditionError, parse
from validator.criteria.judge import judge
from validator.errors import SpecError
from validator.load import lint_files
from validator.spec.loader import load_text

LOADER_EXAMPLES = 3000
SPEC_EXAMPLES = 600
CONDITION_EXAMPLES = 3000
MEMORY_BOUND = 64 * 1024 * 1024

YAMLISH = st.lists(
    st.sampled_from([*"ab:-[]{},&*!|>'\"#%@`\n\t $.?01", "\x00", "é", "${X}", "<<", "\n  "]), max_size=120
).map("".join)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(
        ["512m", "2gb", "-1s", "1m30s", "127.0.0.1:8080:80", "99999:80", "${UNSET}", "${X:-d}", "^1.0", ">>3"]
    ),
)
KEYS = st.sampled_from(
    [
        "version",
        "project",
        "services",
        "image",
        "ports",
        "volumes",
        "healthcheck",
        "test",
        "interval",
        "timeout",
        "depends_on",
        "condition",
        "mem_limit",
        "cpus",
        "environment",
        "config_keys",
        "path",
        "keys",
        "probes",
        "kind",
        "url",
        "suites",
        "command",
        "groups",
        "criteria",
        "title",
        "host",
        "memory",
        "web",
        "db",
        "x-ext",
        "imagee",
    ]
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=LOADER_EXAMPLES, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_loader_never_raises_anything_else(text):
    try:
        load_text(text, "fuzz.yaml", {"X": "x"})
    except SpecError as exc:
        assert exc.findings and all(str(f).startswith("fuzz.yaml") for f in exc.findings)


@settings(
    max_examples=SPEC_EXAMPLES,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(document=documents, base=st.booleans())
def test_lint_of_spec_shaped_documents(tmp_path, document, base):
    if base:
        document = {"version": 1, "project": "fuzz", **(document if isinstance(document, dict) else {"x-v": document})}
    path = tmp_path / "infra.yaml"
    path.write_text(yaml.safe_dump(document))
    findings = lint_files([str(path)], environ={"X": "x"})
    for finding in findings:
        text = str(finding)
        assert text.startswith(str(path)) and "\n" not in text.split(": ", 1)[0]


identifiers = st.sampled_from(
    [
        "suite.main.failed",
        "group.delta.passed",
        "service.*.startup",
        "service.a.healthy",
        "probe.x.duration",
        "max",
        "count",
        "and",
        "or",
        "not",
        "true",
        "5m",
        "2GiB",
        "60s",
        "==",
        "<",
        ">=",
        "(",
        ")",
        "+",
        "-",
        "*",
        "/",
        "1",
        "0.5",
        ",",
        "=",
        "!",
    ]
)
conditions = st.one_of(st.text(max_size=80), st.lists(identifiers, max_size=20).map(" ".join))


@settings(max_examples=CONDITION_EXAMPLES, deadline=1000)
@given(conditions)
def test_condition_language_never_raises_anything_else(text):
    evidence = exact(
        {
            "suite.main.failed": 0.0,
            "group.delta.passed": 7.0,
            "service.a.startup": 1.0,
            "service.b.startup": 2.0,
            "service.a.healthy": 3.0,
            "probe.x.duration": 0.1,
        }
    )
    try:
        node = parse(text)
    except ConditionError as exc:
        assert 0 <= exc.offset <= len(text)
        return
    try:
        result = judge(node, evidence, ())
    except ConditionError as exc:
        assert 0 <= exc.offset <= len(text)
        return
    assert result.truth in ("true", "false", "unknown")


def test_memory_stays_bounded_on_hostile_inputs():
    """Alias bombs, deep nesting and long conditions, repeated: the peak stays under the bound."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{i}: &l{i} [{', '.join(['*a' if i == 0 else f'*l{i - 1}'] * 10)}]\n" for i in range(9)
    )
    deep = "a: " + "[" * 50000 + "]" * 50000
    tracemalloc.start()
    try:
        for _ in range(20):
            for text in (bomb, deep):
                with contextlib.suppress(SpecError):
                    load_text(text, "m.yaml", {})
            with contextlib.suppress(ConditionError):
                parse("(" * 500 + "a.b" + ")" * 500)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"peak {peak / 1e6:.1f} MB"
