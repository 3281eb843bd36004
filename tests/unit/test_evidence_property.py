"""Property: a PASS is a proof. For any evidence — exact values, bounds (a count of an incomplete run is
at least what was seen), unavailable metrics, non-finite numbers, members whose names hold dots — and any
condition (comparisons, and/or/not, wildcards, aggregates, arithmetic), a criterion judged true holds for
every value the evidence allows (checked on sampled points of each range), one judged false fails for
every one, and a criterion reading a metric with no evidence at all is never true on its account."""

from __future__ import annotations

import io
import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

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
    from tests.harness.specs import load_dict

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


# --- the real suite producers under generated faults: records and JUnit files -> judge -> the run -> criteria

SUITE_SPEC = {
    "version": 1,
    "project": "propsuites",
    "suites": {
        "main": {
            "command": "pytest",
            "groups": {"g.1": {"paths": ["t/a/"]}, "api.v2": {"pattern": "::test_api"}, "m.k": {"markers": ["slow"]}},
        },
        "ju.v2": {"command": ["runner"], "runner": "junit", "junit": "out.xml", "groups": {"j.1": {"paths": ["t/b/"]}}},
    },
    "criteria": {"C": {"title": "c", "condition": "suite.main.failed == 0"}},
}
OUTCOMES = ("passed", "passed", "passed", "failed", "skipped", "error", "xfailed", "xpassed")
FIELD_OF = {"passed": "passed", "failed": "failed", "skipped": "skipped", "error": "errors"}
FIELD_OF |= {"xfailed": "xfailed", "xpassed": "xpassed"}
FIELDS_READ = ("failed", "passed", "skipped", "errors", "total", "duration")
PYTEST_READABLE = [
    *(f"suite.main.{f}" for f in (*FIELDS_READ, "xpassed", "xfailed", "deselected")),
    *(f"group.{g}.{f}" for g in ("g.1", "api.v2", "m.k") for f in (*FIELDS_READ, "xpassed", "deselected")),
]
JUNIT_READABLE = [*(f"suite.ju.v2.{f}" for f in FIELDS_READ), *(f"group.j.1.{f}" for f in FIELDS_READ)]


def suite_conditions(readable: list[str]) -> st.SearchStrategy[str]:
    """Mostly the criteria teams write (one metric, of the suite itself half the time, against a small
    number), and any combination of them."""
    metric = st.one_of(st.sampled_from([m for m in readable if m.startswith("suite.")]), st.sampled_from(readable))
    comparison = st.builds(
        lambda m, op, n: f"{m} {op} {n}",
        metric,
        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
        st.sampled_from(["0", "1", "2", "3", "5", "20", "30s", "5m", "90s"]),
    )
    return st.one_of(comparison, comparison, conditions(st.sampled_from(readable), 4))


GROUP_OF: dict[str, Callable[[FakeTest], bool]] = {
    "g.1": lambda t: t.file.startswith("t/a/"),
    "api.v2": lambda t: "::test_api" in t.nodeid,
    "m.k": lambda t: "slow" in t.markers,
    "j.1": lambda t: t.file.startswith("t/b/"),
}


@dataclass(frozen=True, kw_only=True)
class FakeTest:
    """One test of a generated suite and what really happened to it (a passing call with a failing
    subtest really failed)."""

    nodeid: str
    outcome: str
    duration: float
    markers: tuple[str, ...] = ()
    subtest_failed: bool = False
    deselected: bool = False

    @property
    def file(self) -> str:
        return self.nodeid.split("::")[0]

    @property
    def really(self) -> str:
        return "failed" if self.subtest_failed else self.outcome


@dataclass(frozen=True, kw_only=True)
class Whole:
    """What the whole run was: its tests (a module that could not be imported is one test in error:
    its own tests are unknowable) and its wall time."""

    tests: list[FakeTest]
    duration: float


@st.composite
def suite_tests(draw: st.DrawFn, pytest_kind: bool) -> list[FakeTest]:
    tests = []
    for i in range(draw(st.integers(0, 8))):
        folder = draw(st.sampled_from(["t/a", "t/b", "t/c"]))
        name = draw(st.sampled_from(["test_api", "test_x"])) + f"_{i}"
        outcome = draw(st.sampled_from(OUTCOMES if pytest_kind else ("passed", "passed", "failed", "skipped", "error")))
        tests.append(
            FakeTest(
                nodeid=f"{folder}/test_{draw(st.integers(0, 1))}.py::{name}",
                outcome=outcome,
                duration=draw(st.floats(0, 100)),
                markers=("slow",) if pytest_kind and draw(st.booleans()) else (),
                subtest_failed=pytest_kind and outcome == "passed" and draw(st.integers(0, 4)) == 0,
                deselected=pytest_kind and draw(st.integers(0, 5)) == 0,
            )
        )
    return tests


def _counts(tests: list[FakeTest], duration: float) -> dict[str, float]:
    """The counts of a whole run, computed apart from the producer's code."""
    out = dict.fromkeys(("total", "passed", "failed", "skipped", "errors", "xfailed", "xpassed"), 0.0)
    for test in tests:
        if not test.deselected:
            out["total"] += 1
            out[FIELD_OF[test.really]] += 1
    return out | {"deselected": float(sum(1 for t in tests if t.deselected)), "duration": duration}


def _record(test: FakeTest) -> list[dict[str, Any]]:
    base = {"type": "test", "nodeid": test.nodeid, "duration": test.duration, "markers": list(test.markers)}
    if test.outcome in ("skipped", "error"):
        return [{**base, "when": "setup", "outcome": test.outcome}]
    subtest = [{**base, "when": "call", "outcome": "failed", "subtest": True}] if test.subtest_failed else []
    return [*subtest, {**base, "when": "call", "outcome": test.outcome}]


def _witness(failing: list[str], records: list[dict[str, Any]]) -> dict[str, Any]:
    """The witness's record: what it saw fail, and each phase's outcome as what it raised gives it (a
    failing subtest is a failing phase of its test's call)."""
    raw = [{"nodeid": r["nodeid"], "when": r["when"], "outcome": r["outcome"]} for r in records]
    return {"type": "witness", "failing": failing, "raw": raw}


PYTEST_FAULTS = (
    *("none", "stop", "ended early", "ended early", "collect", "exit"),
    *("nan", "rewrite", "rewrite", "garbage", "no finish"),
)


def pytest_run(draw: st.DrawFn, tests: list[FakeTest], full: float) -> tuple[list[str], int, float, Whole]:
    """The recorder's lines of a generated pytest run with a generated fault: (lines, exit code, wall
    time, the whole run)."""
    ran = [t for t in tests if not t.deselected]
    failing = sorted({t.nodeid for t in ran if t.really in ("failed", "error")})
    status = 1 if failing else 0
    fault = draw(st.sampled_from(PYTEST_FAULTS))
    whole = Whole(tests=tests, duration=full)
    head: list[dict[str, Any]] = [{"type": "collected", "count": len(ran)}]
    body = whole_body = [r for t in ran for r in _record(t)]
    deselected = [{"nodeid": t.nodeid, "markers": list(t.markers)} for t in tests if t.deselected]
    finish = {"type": "finish", "exitstatus": status, "stopped": "", "ran_none": [], "selection": ["-k 'x'"]}
    tail: list[dict[str, Any]] = [{"type": "deselected", "tests": deselected}, _witness(failing, body)]
    tail.append(finish)
    code, wall = status, full
    if fault == "stop":  # killed, exited or crashed at a random point, maybe mid-line
        cut = draw(st.integers(0, len(body)))
        body = body[:cut]
        tail = [finish | {"exitstatus": draw(st.sampled_from([0, 1, 2]))}] if draw(st.booleans()) else []
        code = draw(st.sampled_from([0, 1, 2, -9, -15]))
        wall = full * draw(st.floats(0, 1)) if cut < len(whole_body) else full
    elif fault == "ended early":  # pytest.exit(returncode=...), a plugin: a finished session, its status agreeing
        kept = ran[: draw(st.integers(0, len(ran)))]
        body = [r for t in kept for r in _record(t)]
        code = 1 if any(t.really in ("failed", "error") for t in kept) else 0
        wall = full * draw(st.floats(0, 1)) if len(kept) < len(ran) else full
        tail = [tail[0], _witness([n for n in failing if n in {t.nodeid for t in kept}], body)]
        tail.append(finish | {"exitstatus": code, "stopped": "Exit: enough"})
    elif fault == "collect" and ran:  # one module cannot be imported: its tests never ran
        broken = draw(st.sampled_from(sorted({t.file for t in ran})))
        kept = [t for t in ran if t.file != broken]
        head = [{"type": "collect_error", "nodeid": broken, "message": "E"}, {"type": "collected", "count": len(kept)}]
        body = [r for t in kept for r in _record(t)]
        tail[1] = _witness([n for n in failing if n in {t.nodeid for t in kept}], body)
        tail[-1] = finish | {"exitstatus": 1}
        code, wall = 1, full * draw(st.floats(0, 1))
        whole = Whole(tests=[*tests, FakeTest(nodeid=broken, outcome="error", duration=0.0)], duration=full)
    elif fault == "exit":
        code = draw(st.sampled_from([0, 1, 2, 3, 4, 5, -9]))
    elif fault == "nan" and body:
        body[draw(st.integers(0, len(body) - 1))]["duration"] = math.nan
    elif fault == "rewrite" and failing:  # a plugin turned a failure into a pass: the witness saw it fail
        victim = draw(st.sampled_from(failing))
        code = 1 if len(failing) > 1 else 0  # pytest's own status counts what the plugin left
        tail[-1] = finish | {"exitstatus": code}
        body = [
            r | {"outcome": "passed"} if r["nodeid"] == victim else r
            for r in body
            if r["nodeid"] != victim or not r.get("subtest")
        ]
    elif fault == "no finish":
        tail = tail[:-1]
    lines = [json.dumps(r) for r in (*head, *body, *tail)]
    if fault == "garbage" and lines:
        lines[draw(st.integers(0, len(lines) - 1))] = '{"type": "test", "nodeid'
    if fault == "stop" and lines and draw(st.booleans()):
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
    return lines, code, wall, whole


def junit_text(tests: list[FakeTest], totals: dict[str, str] | None) -> str:
    child = {"failed": "<failure message='x'/>", "error": "<error message='x'/>", "skipped": "<skipped/>"}
    cases = []
    for t in tests:
        classname = t.file.removesuffix(".py").replace("/", ".")
        name = t.nodeid.split("::")[1]
        time = "nan" if math.isnan(t.duration) else repr(t.duration)
        cases.append(
            f'<testcase classname="{classname}" name="{name}" time="{time}">{child.get(t.outcome, "")}</testcase>'
        )
    attributes = "".join(f' {k}="{v}"' for k, v in (totals or {}).items())
    return f"<testsuite{attributes}>{''.join(cases)}</testsuite>"


def _totals(tests: list[FakeTest]) -> dict[str, str]:
    kinds = [t.outcome for t in tests]
    failures, errors, skipped = kinds.count("failed"), kinds.count("error"), kinds.count("skipped")
    return {"tests": str(len(tests)), "failures": str(failures), "errors": str(errors), "skipped": str(skipped)}


JUNIT_FAULTS = (
    *("none", "partial", "partial, consistent", "partial, consistent"),
    *("cut", "no totals", "exit", "nan", "wrong totals"),
)


def junit_run(draw: st.DrawFn, tests: list[FakeTest], full: float) -> tuple[str, int, float, Whole]:
    """A generated JUnit runner's file with a generated fault: (text, exit code, wall time, the whole
    run). A runner that stopped part-way and wrote totals that agree with what it wrote never exits 0:
    one that then says 0 cannot be told apart from a whole run."""
    status = 1 if any(t.outcome in ("failed", "error") for t in tests) else 0
    fault = draw(st.sampled_from(JUNIT_FAULTS))
    text, code, wall = junit_text(tests, _totals(tests)), status, full
    stopped = draw(st.sampled_from([1, 2, 137, -9]))
    if fault.startswith("partial"):
        kept = tests[: draw(st.integers(0, len(tests)))]
        text = junit_text(kept, _totals(kept) if fault.endswith("consistent") else _totals(tests))
        # with the whole run's totals, a wrapper may have swallowed the status (`runner || true`)
        code = stopped if fault.endswith("consistent") else draw(st.sampled_from([0, stopped]))
        wall = full if len(kept) == len(tests) else full * draw(st.floats(0, 1))  # a whole file: a whole run
    elif fault == "cut":
        text, code = text[: draw(st.integers(0, len(text)))], draw(st.sampled_from([0, stopped]))
    elif fault == "no totals":
        text = junit_text(tests, None)
    elif fault == "exit":
        code = draw(st.sampled_from([0, 1, 2, -9]))
    elif fault == "nan" and tests:
        victim = draw(st.integers(0, len(tests) - 1))
        shown = [replace(t, duration=math.nan) if i == victim else t for i, t in enumerate(tests)]
        text = junit_text(shown, _totals(tests))
    elif fault == "wrong totals":
        field, by = draw(st.sampled_from(["tests", "failures", "errors", "skipped"])), draw(st.sampled_from([-1, 1, 5]))
        totals = _totals(tests)
        text = junit_text(tests, totals | {field: str(int(totals[field]) + by)})
    return text, code, wall, Whole(tests=tests, duration=full)


def _whole_evidence(declared: list[MetricKey], wholes: dict[str, Whole]) -> dict[MetricKey, Evidence]:
    """Exact evidence of the whole runs, for every declared suite and group metric."""
    out: dict[MetricKey, Evidence] = {}
    for key in declared:
        if key.family == "suite" and key.member in wholes:
            whole = wholes[key.member]
            out[key] = Evidence.exact("whole", _counts(whole.tests, whole.duration)[key.field])
        elif key.family == "group":
            whole = wholes.get("ju.v2" if key.member == "j.1" else "main")
            if whole is None:
                continue
            members = [t for t in whole.tests if GROUP_OF[key.member](t)]
            values = _counts(members, sum(t.duration for t in members if not t.deselected))
            out[key] = Evidence.exact("whole", values[key.field])
    return out


@pytest.fixture(scope="module")
def suites_loaded(tmp_path_factory):
    from tests.harness.specs import load_dict

    return load_dict(tmp_path_factory.mktemp("propsuites"), SUITE_SPEC)


def battery(readable: list[str]) -> list[str]:
    """The criteria teams write, every one judged beside the generated condition: each metric below
    and above small counts (``failed < 1`` is ``failed == 0``) and times."""
    return [
        f"{m} {op} {n}"
        for m in readable
        for op in ("<", ">")
        for n in (("30s", "5m") if m.endswith(".duration") else ("1", "2"))
    ]


def _unproven(loaded: Any, results: list[Any], conditions: list[str], wholes: dict[str, Whole]) -> list[str]:
    """The results entered into a run as ``check`` enters them and every condition judged as a
    criterion: those whose PASS does not hold (or FAIL does not fail) over the whole run's evidence."""
    from validator.catalog import catalog
    from validator.criteria.evaluate import evaluate_criteria
    from validator.run.pipeline import CheckOptions, Pipeline
    from validator.spec.criteria import Criterion
    from validator.ui import Display

    pipeline = Pipeline(loaded, CheckOptions(), Display(quiet=True, stream=io.StringIO()))
    pipeline.add(results)
    loaded.spec.criteria = {f"C{i}": Criterion(title="c", condition=c) for i, c in enumerate(conditions)}
    declared = list(catalog(loaded.spec))
    whole = _whole_evidence(declared, wholes)
    verdicts = evaluate_criteria(loaded, pipeline.run.evidence, declared, {})
    expected = {"pass": "true", "fail": "false"}
    return [
        condition
        for condition, result in zip(conditions, verdicts, strict=True)
        if result.verdict in expected and judge(parse(condition), whole, declared).truth != expected[result.verdict]
    ]


PYTEST_BATTERY = battery(PYTEST_READABLE)
JUNIT_BATTERY = battery(JUNIT_READABLE)
FAULTS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@FAULTS
@given(data=st.data(), condition=suite_conditions(PYTEST_READABLE))
def test_a_pytest_suite_under_faults_never_passes_without_proof(suites_loaded, tmp_path, data, condition):
    """The recorder's records of a generated run — stopped at a random point (mid-line too), with any
    exit status, no finish record, a broken line, a NaN duration, a failure a plugin rewrote, a module
    that cannot be imported, failing subtests, deselected tests, groups whose names hold dots — read as
    ``check`` reads them, judged, entered into the run, the criterion evaluated: a PASS holds (and a
    FAIL fails) over the whole run's evidence."""
    from validator.suites.records import read_records
    from validator.suites.verdict import judge as judge_suite

    lines, code, wall, whole = pytest_run(data.draw, data.draw(suite_tests(True)), data.draw(st.floats(0, 900)))
    records = tmp_path / f"records-{uuid.uuid4().hex}.jsonl"
    records.write_text("".join(line + "\n" for line in lines))
    results = judge_suite(suites_loaded, "main", read_records(records, "main"), code, False, wall, [], True, None)
    conditions = [condition, *PYTEST_BATTERY]
    assert not _unproven(suites_loaded, results, conditions, {"main": whole}), (code, lines)


@settings(FAULTS, max_examples=400)  # cheap examples; a partial file with a swallowed status is rare
@given(data=st.data(), condition=suite_conditions(JUNIT_READABLE))
def test_a_junit_suite_under_faults_never_passes_without_proof(suites_loaded, tmp_path, data, condition):
    """A generated runner's JUnit file — cut off, partial with the whole run's totals (its status
    swallowed or not), partial with totals that agree, without totals, with wrong totals, a NaN time,
    any exit status — read, judged, entered into the run, the criterion evaluated: a PASS holds (and a
    FAIL fails) over the whole run's evidence."""
    from validator.suites.records import read_junit_evidence
    from validator.suites.verdict import judge as judge_suite

    text, code, wall, whole = junit_run(data.draw, data.draw(suite_tests(False)), data.draw(st.floats(0, 900)))
    xml = tmp_path / f"junit-{uuid.uuid4().hex}.xml"
    xml.write_text(text)
    recorded = read_junit_evidence(xml, "ju.v2")
    results = judge_suite(suites_loaded, "ju.v2", recorded, code, False, wall, [], False, None)
    conditions = [condition, *JUNIT_BATTERY]
    assert not _unproven(suites_loaded, results, conditions, {"ju.v2": whole}), (code, text)
