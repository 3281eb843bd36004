"""What a suite's run left as evidence: the validator recorder's records for a pytest suite (collected
count, collection errors, outcomes, deselected tests, what the witness saw fail, the finish record),
or — for any other command — JUnit XML written during this run (a file left from an earlier run is not
evidence). A pytest suite is never read from JUnit: without the recorder's file it is an error."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.core.run import TestCase
from validator.suites.junit import read_junit
from validator.suites.sealed import KEY_ENV, unseal

_FAILING = ("failed", "error")
# the recorder's raw outcome it cannot derive (recorder.UNCHECKED: the recorder runs in the suite's
# interpreter and is not imported here, where importing it would take the results variable)
UNCHECKED = "?"


@dataclass(kw_only=True)
class Recorded:
    """What the suite left as evidence: its tests and, from the recorder, the collected count, the
    session's exit status, why it stopped early and what its own options deselected."""

    tests: list[TestCase] = field(default_factory=list)
    plugin: bool = False  # the validator recorder recorded this run
    collected: int | None = None
    exitstatus: int | None = None  # from the finish record; None: the session did not finish
    stopped: str = ""  # -x, --maxfail, pytest.exit(...)
    broken: list[str] = field(default_factory=list)  # modules that could not be collected (each also a case in error)
    # modules skipped as a whole at collection (``importorskip``): each one skipped case, as pytest
    # counts it, though it holds an unknown number of tests
    skipped_modules: list[str] = field(default_factory=list)
    deselected: list[TestCase] = field(default_factory=list)  # outcome "deselected"; not in ``tests``
    deselected_unknown: str = ""  # why more may have been left out than ``deselected`` holds
    # paths and tests a conftest or plugin left out before collection, which may hold tests (in that why)
    left_out: list[str] = field(default_factory=list)
    selection: list[str] = field(default_factory=list)  # the options that deselected them (-k 'x', --lf)
    ran_none: list[str] = field(default_factory=list)  # --collect-only, --setup-only, --setup-plan
    witness_failing: set[str] = field(default_factory=set)  # node ids the witness saw fail first
    # node id -> the outcome what its phases raised gives (pytest's own rules, recorder._raw_outcome)
    witness_raw: dict[str, str] = field(default_factory=dict)
    problem: str = ""  # why the results cannot be read

    @property
    def collect_errors(self) -> int:
        return len(self.broken)

    @property
    def uncollected(self) -> int:
        """Cases that stand for a whole module, not a collected test (broken or skipped at import)."""
        return len(self.broken) + len(self.skipped_modules)

    @property
    def rewritten(self) -> list[Rewritten]:
        """Tests whose outcome as reported is not failing and is not what their phases raised gives
        (``witness_raw``), or that the witness saw fail before any other plugin saw the report: a plugin
        rewrote them (a failure reported as passed, skipped or xfailed; an error as anything; a skip as a
        pass). A failing outcome is never a rewrite worth flagging: it fails the suite anyway."""
        modules = {m or "<collection>" for m in self.broken} | set(self.skipped_modules)
        out = []
        for test in self.tests:
            if test.outcome in _FAILING or test.nodeid in modules:
                continue
            raised = self.witness_raw.get(test.nodeid, "")
            if test.nodeid in self.witness_failing and raised not in _FAILING:
                raised = "failed"
            if raised != test.outcome and raised != UNCHECKED:
                out.append(Rewritten(nodeid=test.nodeid, raised=raised, reported=test.outcome))
        return sorted(out, key=lambda r: r.nodeid)


@dataclass(frozen=True, kw_only=True)
class Rewritten:
    """A test whose reported outcome is not what it raised ("": no phase of it reached the witness)."""

    nodeid: str
    raised: str
    reported: str


_FINISHED_AFTER = frozenset({"deselected", "witness"})  # the records written just before "finish"


def read_records(path: Path, suite: str, key: bytes | None = None) -> Recorded:
    """The records at ``path``, each line opened with ``key`` (the run's: ``sealed.py``); None reads lines
    in clear, as a test writes them by hand."""
    out = Recorded()
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return out
    out.plugin = True
    others = len(list(path.parent.glob(f"{path.name}.another-*")))  # see recorder._claim
    if others:
        out.problem = (
            f"ran {others + 1} pytest sessions (a command that runs pytest more than once?): only the first "
            "was recorded; give each session its own suite"
        )
    by_id: dict[str, TestCase] = {}
    kinds: set[str] = set()
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(unseal(key, line) if key is not None else line)
            _add_record(out, by_id, record, suite)
            kinds.add(str(record["type"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            # only a run killed mid-write leaves a broken line (the kill is reported first); any other
            # broken record means the results cannot be trusted
            out.problem = out.problem or f"left a results record that cannot be read (line {number})"
    out.tests = list(by_id.values())
    if out.exitstatus is not None and not kinds >= _FINISHED_AFTER:
        # the recorder writes these just before its finish record, in one go at the session's end: a
        # finish without them is a record that lost lines, never a run that had nothing to say in them
        # (without the deselected tests' record a deselected test would count as never existing)
        lost = ", ".join(sorted(_FINISHED_AFTER - kinds))
        out.problem = out.problem or f"left a finish record without its {lost} record: the records are incomplete"
    return out


def _add_record(out: Recorded, by_id: dict[str, TestCase], record: dict[str, Any], suite: str) -> None:
    kind = record["type"]
    if kind == "collected":
        out.collected = int(record["count"])
    elif kind == "collect_error":
        case = TestCase(
            suite=suite,
            nodeid=record["nodeid"] or "<collection>",
            outcome="error",
            duration=0.0,
            message=record.get("message", ""),
        )
        if f"collect:{case.nodeid}" not in by_id:  # each xdist worker reports the same module
            out.broken.append(str(record["nodeid"]))
        by_id[f"collect:{case.nodeid}"] = case  # "": the session itself (any group may miss tests)
    elif kind == "collect_skip":
        nodeid = str(record["nodeid"])
        if f"collect:{nodeid}" not in by_id:  # each xdist worker reports the same module
            out.skipped_modules.append(nodeid)
        by_id[f"collect:{nodeid}"] = TestCase(
            suite=suite, nodeid=nodeid, outcome="skipped", duration=0.0, message=record.get("message", "")
        )
    elif kind == "deselected":
        out.deselected = [
            TestCase(suite=suite, nodeid=str(t["nodeid"]), outcome="deselected", duration=0.0, markers=t["markers"])
            for t in record["tests"]
        ]
        out.deselected_unknown = str(record.get("unknown") or "")
        out.left_out = [str(p) for p in record.get("left_out", [])]
    elif kind == "witness":
        out.witness_failing = {str(n) for n in record["failing"]}
        raw: dict[str, TestCase] = {}
        for phase in record["raw"]:  # combined as the reports are: a failing phase is final
            phase_record = {"nodeid": str(phase["nodeid"]), "when": phase["when"], "outcome": phase["outcome"]}
            _add_report(raw, phase_record, suite)
        out.witness_raw = {nodeid: case.outcome for nodeid, case in raw.items()}
    elif kind == "markers":  # under xdist, known only once the workers were done
        for nodeid, markers in record["tests"].items():
            if nodeid in by_id and not by_id[nodeid].markers:
                by_id[nodeid].markers = [str(m) for m in markers]
    elif kind == "finish":
        out.exitstatus = int(record["exitstatus"])
        out.stopped = record.get("stopped") or ""
        out.ran_none = [str(f) for f in record.get("ran_none", [])]
        out.selection = [str(s) for s in record.get("selection", [])]
    elif kind == "test":
        _add_report(by_id, record, suite)
    else:
        raise ValueError(kind)


def _add_report(by_id: dict[str, TestCase], record: dict[str, Any], suite: str) -> None:
    """One report of a test. A failing outcome is final: no later report (the call's pass after a
    failing subtest, a teardown) can turn it back into a pass."""
    nodeid = record["nodeid"]
    case = by_id.get(nodeid)
    if case is None:
        case = by_id[nodeid] = TestCase(
            suite=suite, nodeid=nodeid, outcome="passed", duration=0.0, markers=record.get("markers", [])
        )
    outcome = record["outcome"]
    if not record.get("subtest"):  # a subtest's time is part of its test's call
        case.duration += float(record.get("duration") or 0.0)
    if case.outcome in _FAILING:
        pass
    elif record.get("subtest"):
        if outcome == "failed":  # a subtest that passed or skipped leaves its test's outcome to the test
            case.outcome = outcome
    elif (
        record["when"] == "call"
        or outcome == "error"  # a teardown's error after a skip or an xfail: any outcome but a failing one
        or (outcome in ("skipped", "xfailed") and case.outcome == "passed")
    ):
        case.outcome = outcome
    if record.get("message") and outcome in _FAILING and not case.message:
        case.message = record["message"]


def ran_pytest(records: Path) -> bool:
    """Whether a pytest session ran in the suite (the recorder, loaded by every suite's environment, claimed
    its results file), whatever the command looked like."""
    return records.exists() or any(records.parent.glob(f"{records.name}.another-*"))


def read_junit_evidence(path: Path, suite: str) -> Recorded:
    try:
        found = read_junit(path, suite)
    except (ValueError, OSError) as exc:  # not JUnit XML; or gone or unreadable since it was found
        return Recorded(problem=f"wrote JUnit XML that cannot be read: {exc}")
    if found.by_pytest:
        # a pytest session ran, but the recorder every suite's environment carries did not run in it
        problem = (
            f"wrote JUnit XML that pytest wrote ({path.name}), yet the validator recorder did not run in that "
            "pytest session (the command or a tool it runs, as tox does, dropped PYTHONPATH or PYTEST_PLUGINS): "
            "a pytest suite is read only through the recorder"
        )
        return Recorded(tests=found.cases, problem=problem)
    if found.disagreement:
        problem = f"wrote JUnit XML whose totals disagree with its cases: {found.disagreement}"
        return Recorded(tests=found.cases, problem=problem)
    return Recorded(tests=found.cases)


def stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_ino, st.st_size


# File timestamps come from a coarse kernel clock that can lag time.time() by a few milliseconds;
# a file whose stat is unchanged since before the start is stale whatever its time says.
_CLOCK_SLACK_NS = 1_000_000_000


def _written_during(after: tuple[int, int, int], before: tuple[int, int, int] | None, began_ns: int) -> bool:
    """A file unchanged since before the start, or last modified before it, is stale."""
    return after != before and after[0] >= began_ns - _CLOCK_SLACK_NS


def fresh_junit(path: Path, before: tuple[int, int, int] | None, began_ns: int, suite: str) -> Recorded:
    """Only JUnit XML written during this run counts."""
    after = stamp(path)
    if after is None:
        return Recorded(problem=f"wrote no JUnit XML at {path.name} during this run")
    if not _written_during(after, before, began_ns):
        return Recorded(problem=f"wrote no JUnit XML during this run: {path.name} is from an earlier run")
    return read_junit_evidence(path, suite)


def beside_junit(
    recorded: Recorded, path: Path, before: tuple[int, int, int] | None, began_ns: int, suite: str
) -> Recorded:
    """A JUnit suite whose command also ran a pytest session is judged by the session's records; but a
    JUnit file it declares that another runner wrote during this run (not pytest's own ``--junitxml``)
    holds results the records do not: two sources, neither the whole run, so the results cannot be
    trusted (adversary stop8, case 08: an integration runner's failure beside a passing pytest). The file
    is pytest's own only when every ``<testsuite>`` in it is pytest's: a merge of pytest's file with
    another runner's is two sources too (adversary stop8b, case 04)."""
    after = stamp(path)
    if after is None or not _written_during(after, before, began_ns):
        return recorded
    try:
        by_pytest = read_junit(path, suite).only_pytest
    except (ValueError, OSError):  # unreadable: whoever wrote it, not pytest's own
        by_pytest = False
    if not by_pytest and not recorded.problem:
        recorded.problem = (
            f"wrote JUnit XML at {path.name} during this run that pytest did not write (or not all of it), "
            "beside a pytest session: "
            "two sources of results, neither the whole run (give each runner its own suite)"
        )
    return recorded


RECORDER_MODULE = "validator_recorder"


def recording_env(env: dict[str, str], folder: Path, records: Path, key: bytes) -> dict[str, str]:
    """The variables that load the validator recorder into the suite's pytest and name its results
    file: a copy of ``recorder.py`` (standalone: pytest and the standard library only) in the run's
    private ``folder``, put first on ``PYTHONPATH`` and named in ``PYTEST_PLUGINS``, which pytest
    honours under ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` and whatever ``-p no:validator`` says; the
    suite's own values of both are kept after ours."""
    plugin_dir = folder / "plugin"
    plugin_dir.mkdir(mode=0o700)
    shutil.copyfile(Path(__file__).with_name("recorder.py"), plugin_dir / f"{RECORDER_MODULE}.py")
    # what the recorder masks text with (the standard library only), beside it: a suite run by another
    # interpreter (tox, a venv of its own) cannot import validator, and the recorder must still load
    shutil.copyfile(Path(__file__).parent.parent / "redact.py", plugin_dir / f"{RECORDER_MODULE}_redact.py")
    shutil.copyfile(Path(__file__).with_name("sealed.py"), plugin_dir / f"{RECORDER_MODULE}_sealed.py")
    plugins = [p for p in env.get("PYTEST_PLUGINS", "").split(",") if p.strip()]
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {
        "VALIDATOR_RESULTS": str(records),
        KEY_ENV: key.hex(),
        "PYTEST_PLUGINS": ",".join([*plugins, RECORDER_MODULE]),
        "PYTHONPATH": os.pathsep.join([str(plugin_dir), *paths]),
        # pytest's cache goes into this private folder (recorder._private_cache)
        "VALIDATOR_PYTEST_CACHE": str(folder / "pytest-cache"),
    }
