"""History: every ``check`` run in an embedded SQLite database (default ``.validator/history.db``).

One transaction per ``check`` (every target's run of it stored whole, or none of them: adversary stop8
case 03, where target 1's PASSED row was committed and target 2's failed to write, and ``report``
showed the one row as the whole check); each row says how many targets its check had, so a check
read back with fewer rows than that is shown as incomplete, never as a verdict. WAL mode and a busy
timeout let concurrent runs write safely. Each row keeps the full JSON report, so ``validator report`` can
re-render any run in any format, and ``report --history N`` can trend every criterion's metrics.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from validator.core.metrics import MetricKey
from validator.core.run import SCHEMA_VERSION, RunResult
from validator.errors import EXIT_UNREACHABLE, FatalError
from validator.fileio import atomic_write_text
from validator.redact import redactor
from validator.reporters.json_report import load, render
from validator.reporters.registry import ReportContext


class HistoryError(FatalError):
    """The history database cannot be used (corrupt, not a database, read-only): one line naming the
    file and how to set it aside. Exit 3: like an engine that does not answer, it is the machine's
    state, not the spec, that is wrong."""

    exit_code = EXIT_UNREACHABLE

    def __init__(self, path: Path, exc: BaseException) -> None:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        super().__init__(
            f"cannot use the history database {path}: {detail}; set it aside "
            f"(mv {path} {path}.broken) and the next check starts a new one"
        )


SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL NOT NULL,
    spec_hash TEXT, git_commit TEXT, mode TEXT, ok INTEGER NOT NULL, report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT, name TEXT, verdict TEXT, expected TEXT, actual TEXT, message TEXT, duration REAL, location TEXT
);
CREATE TABLE IF NOT EXISTS evidence (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    family TEXT NOT NULL, member TEXT NOT NULL, field TEXT NOT NULL,
    low REAL, high REAL, producer TEXT, reason TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_project ON runs(project, started_at);
CREATE INDEX IF NOT EXISTS evidence_by_run ON evidence(run_id, family, member, field);
"""


# Each migration takes the database from the version before it (``PRAGMA user_version``) to its own
# index + 1, in one transaction; a database written before a column existed gains it on first use.
MIGRATIONS = (
    # 1: a run that did not reach a verdict says why (NULL for a run that did)
    "ALTER TABLE runs ADD COLUMN interrupted TEXT; ALTER TABLE runs ADD COLUMN engine_lost TEXT;",
    # 2: the runs of one multi-target `check` share an invocation; each row says which report schema it
    # holds (1: metrics as dotted names, in a ``metrics`` table left as it was; such rows are not read)
    "ALTER TABLE runs ADD COLUMN invocation TEXT NOT NULL DEFAULT ''; "
    "ALTER TABLE runs ADD COLUMN schema_version INTEGER NOT NULL DEFAULT 1;",
    # 3: how many targets the row's check had (NULL: written before, one transaction per target: such a
    # check cannot be shown to be whole)
    "ALTER TABLE runs ADD COLUMN targets INTEGER;",
)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA foreign_keys=ON")
        db.executescript(SCHEMA)
        _migrate(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise HistoryError(path, exc) from None
    return db


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema to ``len(MIGRATIONS)``; concurrent runs serialise on the write lock and the
    second finds the work done."""
    if db.execute("PRAGMA user_version").fetchone()[0] >= len(MIGRATIONS):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, len(MIGRATIONS)):
            for statement in filter(None, (part.strip() for part in MIGRATIONS[number].split(";"))):
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def record(path: Path, run: RunResult) -> int:
    """Store ``run``, a check of one target, whole (see ``record_check``)."""
    return record_check(path, [run])[0]


def record_check(path: Path, runs: list[RunResult]) -> list[int]:
    """Store every target's run of one check in one transaction: all of them or none, each row with the
    number of targets. ``HistoryError`` when the database cannot be used or the rows cannot be written."""
    try:
        return _record(path, runs)
    except sqlite3.DatabaseError as exc:
        raise HistoryError(path, exc) from None


def _storable(value: str) -> str:
    """Text SQLite can store: a lone surrogate (a non-UTF-8 byte of an address read from an environment
    variable, decoded with surrogateescape) is kept as its escape, never an error mid-check."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _record(path: Path, runs: list[RunResult]) -> list[int]:
    rows = [_rows(run) for run in runs]  # masked and rendered before the write lock is taken
    db = _connect(path)
    try:
        db.execute("BEGIN IMMEDIATE")
        ids = [_insert(db, run_row, results, evidence, len(runs)) for run_row, results, evidence in rows]
        db.execute("COMMIT")
        return ids
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()


_Row = tuple[object, ...]


def _rows(run: RunResult) -> tuple[_Row, list[_Row], list[_Row]]:
    """The run's row, its results' and its evidence's (``run_id`` left out), masked and storable."""
    mask = redactor().text

    def text(value: str | None) -> str | None:
        return None if value is None else _storable(mask(value))

    report = _storable(render(redactor().deep(run), ReportContext()))  # masked field by field: JSON stays JSON
    run_row: _Row = (
        _storable(run.project),
        run.started_at,
        run.finished_at,
        text(run.spec_hash),
        text(run.git_commit),
        run.mode,
        int(run.ok),
        report,
        _storable(run.invocation),
        SCHEMA_VERSION,
        run.interrupted,
        text(run.engine_lost) if run.engine_lost else None,
    )
    results: list[_Row] = [
        (
            r.kind,
            text(r.name),
            r.verdict,
            text(r.expected),
            text(r.actual),
            text(r.message),
            r.duration,
            _storable(str(r.location)) if r.location else None,
        )
        for r in run.results
    ]
    evidence: list[_Row] = [
        (_storable(k.family), _storable(k.member), _storable(k.field), e.low, e.high, e.producer, text(e.reason))
        for k, e in run.evidence.items()
    ]
    return run_row, results, evidence


def _insert(db: sqlite3.Connection, run_row: _Row, results: list[_Row], evidence: list[_Row], targets: int) -> int:
    cursor = db.execute(
        "INSERT INTO runs (project, started_at, finished_at, spec_hash, git_commit, mode, ok, report, "
        "invocation, schema_version, interrupted, engine_lost, targets) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*run_row, targets),
    )
    run_id = int(cursor.lastrowid or 0)
    db.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [(run_id, *r) for r in results])
    db.executemany("INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(run_id, *e) for e in evidence])
    return run_id


# Recency is the order runs were recorded in (``id``, AUTOINCREMENT: never reused, always growing),
# never ``started_at``: a wall clock steps (NTP after a laptop slept, a VM resumed), and a run
# stamped while it was an hour fast would otherwise stay "the last check" for that hour.
def last_runs(path: Path, project: str, count: int) -> list[RunResult]:
    """The newest ``count`` runs of the project (by the order they were recorded), newest first."""
    from pydantic import ValidationError

    if not path.exists():
        return []
    db = _connect(path)
    try:
        rows = db.execute(
            "SELECT report FROM runs WHERE project = ? AND schema_version = ? ORDER BY id DESC LIMIT ?",
            (project, SCHEMA_VERSION, count),
        ).fetchall()
        return [load(row[0]) for row in rows]
    except (sqlite3.DatabaseError, ValidationError, ValueError) as exc:
        raise HistoryError(path, exc) from None
    finally:
        db.close()


@dataclass(kw_only=True)
class Check:
    """The stored runs of one ``check`` (one per target, in the order they were recorded) and how many
    targets it had (None: stored before the history said; such a check cannot be shown to be whole)."""

    runs: list[RunResult]
    targets: int | None

    @property
    def whole(self) -> bool:
        return self.targets is not None and len(self.runs) == self.targets


def last_check(path: Path, project: str) -> Check | None:
    """Every stored run of the newest ``check`` of the project, or None when there is none."""
    from pydantic import ValidationError

    if not path.exists():
        return None
    db = _connect(path)
    try:
        newest = db.execute(
            "SELECT id, invocation, targets FROM runs WHERE project = ? AND schema_version = ? "
            "ORDER BY id DESC LIMIT 1",
            (project, SCHEMA_VERSION),
        ).fetchone()
        if newest is None:
            return None
        row_id, invocation, targets = newest
        query, args = "SELECT report FROM runs WHERE id = ?", [row_id]
        if invocation:
            query = "SELECT report FROM runs WHERE project = ? AND invocation = ? ORDER BY id"
            args = [project, invocation]
        runs = [load(row[0]) for row in db.execute(query, args).fetchall()]
        return Check(runs=runs, targets=None if targets is None else int(targets))
    except (sqlite3.DatabaseError, ValidationError, ValueError) as exc:
        raise HistoryError(path, exc) from None
    finally:
        db.close()


def older_schema_runs(path: Path, project: str) -> int:
    """How many runs of the project an older validator stored (their reports are not read)."""
    if not path.exists():
        return 0
    db = _connect(path)
    try:
        row = db.execute(
            "SELECT COUNT(*) FROM runs WHERE project = ? AND schema_version != ?", (project, SCHEMA_VERSION)
        ).fetchone()
        return int(row[0])
    except sqlite3.DatabaseError as exc:
        raise HistoryError(path, exc) from None
    finally:
        db.close()


@dataclass(kw_only=True)
class Trend:
    criterion: str
    verdicts: list[str]  # oldest -> newest
    metrics: dict[MetricKey, list[float | None]]
    regressions: list[str]


def trends(runs: list[RunResult], threshold: float = 0.2) -> list[Trend]:
    """Per criterion: its verdicts and metrics over ``runs`` (newest first in, oldest first out), with
    regressions: passed before and fails now; a time metric grown more than ``threshold``."""
    ordered = list(reversed(runs))
    names: dict[str, set[MetricKey]] = {}
    for run in ordered:
        for result in run.by_kind("criterion"):
            names.setdefault(result.id, set()).update(result.reads)
    out = []
    for cid, metrics in names.items():
        verdicts = [next((r.verdict for r in run.by_kind("criterion") if r.id == cid), "-") for run in ordered]
        series = {m: [run.metrics.get(m) for run in ordered] for m in sorted(metrics)}
        out.append(
            Trend(
                criterion=cid,
                verdicts=verdicts,
                metrics=series,
                regressions=_regressions(cid, verdicts, series, ordered, threshold),
            )
        )
    return out


def _regressions(
    cid: str,
    verdicts: list[str],
    series: dict[MetricKey, list[float | None]],
    ordered: list[RunResult],
    threshold: float,
) -> list[str]:
    regressions = []
    if len(verdicts) >= 2 and verdicts[-1] in ("fail", "error") and "pass" in verdicts[:-1]:
        last_pass = len(verdicts) - 1 - verdicts[::-1].index("pass")
        regressions.append(f"{cid} passed {len(verdicts) - 1 - last_pass} run(s) ago and {verdicts[-1]}s now")
    for metric, values in series.items():
        dimension = ordered[-1].dimensions.get(metric) if ordered else None
        previous = [v for v in values[:-1] if v is not None]
        if dimension == "time" and previous and values[-1] is not None:
            baseline = sorted(previous)[len(previous) // 2]
            if baseline > 0 and values[-1] > baseline * (1 + threshold):
                regressions.append(
                    f"{metric} grew {100 * (values[-1] / baseline - 1):.0f}% "
                    f"({baseline:.2f}s -> {values[-1]:.2f}s, median of the earlier runs)"
                )
    return regressions


def as_json(trend_list: list[Trend]) -> str:
    return json.dumps(
        [
            {
                "criterion": t.criterion,
                "verdicts": t.verdicts,
                "metrics": [
                    {"family": k.family, "member": k.member, "field": k.field, "values": v}
                    for k, v in t.metrics.items()
                ],
                "regressions": t.regressions,
            }
            for t in trend_list
        ],
        indent=2,
    )


# --- checks that were not recorded -------------------------------------------------------------
# `report` shows the newest *stored* check; a newer check that was not stored (--no-history, a history
# write that failed) would leave an older verdict shown as the last one. Every check notes its start
# beside the history, in a small file of its own (one entry per project), before it runs anything:
# `report` then knows when the newest stored run is not the newest check.


def _checks_file(path: Path) -> Path:
    return path.with_name(path.name + ".checks.json")


def note_check(path: Path, project: str, invocation: str, started_at: float) -> str:
    """Note that a check of ``project`` started; "" when noted, else why not (said, never fatal: the
    check itself is judged all the same)."""

    notes = _read_checks(path)
    before = notes.get(project)
    outputs = before.get("outputs", []) if isinstance(before, dict) else []
    notes[project] = {"invocation": invocation, "started_at": started_at, "outputs": outputs}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(_checks_file(path), json.dumps(notes, sort_keys=True))
    except OSError as exc:
        return f"cannot note this check beside the history ({_checks_file(path)}): {exc.strerror or exc}"
    return ""


# The report files `check` and `report` wrote, so that the fingerprint of a suite tree that holds them
# leaves them out (run/fingerprint.py): a report is what a run writes, not what it reads. The newest
# MAX_OUTPUTS are kept: one forgotten is hashed again, which at worst calls a run changed (the safe way).
MAX_OUTPUTS = 64


def note_outputs(path: Path, project: str, written: list[Path]) -> str:
    """Add ``written`` (absolute) to the project's noted outputs; "" when noted, else why not (said, never
    fatal: a report not noted is at worst a run called changed)."""
    notes = _read_checks(path)
    note = notes.get(project)
    note = dict(note) if isinstance(note, dict) else {}
    known = [str(p) for p in noted_outputs(path, project)]
    fresh = [str(p) for p in written]
    note["outputs"] = ([p for p in known if p not in fresh] + fresh)[-MAX_OUTPUTS:]
    if note["outputs"] == known:
        return ""
    notes[project] = note
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(_checks_file(path), json.dumps(notes, sort_keys=True))
    except OSError as exc:
        return f"cannot note the reports beside the history ({_checks_file(path)}): {exc.strerror or exc}"
    return ""


def noted_outputs(path: Path, project: str) -> list[Path]:
    note = _read_checks(path).get(project)
    listed = note.get("outputs") if isinstance(note, dict) else None
    return [Path(p) for p in listed if isinstance(p, str)] if isinstance(listed, list) else []


def unrecorded_check(path: Path, project: str, shown: RunResult) -> float | None:
    """When the newest check of ``project`` is not the stored run ``shown``: that check's start."""
    note = _read_checks(path).get(project)
    if not isinstance(note, dict) or note.get("invocation") in (None, shown.invocation):
        return None
    started = note.get("started_at")
    return float(started) if isinstance(started, int | float) and started >= shown.started_at else None


def _read_checks(path: Path) -> dict[str, object]:
    try:
        data = json.loads(_checks_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
