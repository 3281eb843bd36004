"""Coverage as a criterion: a suite may name the coverage.py JSON report its command writes
(``coverage: PATH``, relative to its ``working_dir``; ``coverage json`` or pytest-cov's
``--cov-report=json:PATH`` write it). ``suite.NAME.coverage`` is the percent of lines the report
counts as run (statements, not branches: the same figure whether or not branch coverage is on), and
a group whose ``paths`` select files of the report gets ``group.NAME.coverage`` over those files.

The report is evidence only when written during this run by a suite that finished (its counts are
evidence): a file unchanged since before the suite started, or last written before its start, is an
earlier run's; a suite killed or timed out wrote at best part of one. Otherwise, and when the file
cannot be read, the metrics are unavailable, with why.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from validator.core.metrics import MetricKey, metric_name
from validator.core.result import Result
from validator.spec.suites import Group, Suite
from validator.suites.records import stamp

# File timestamps come from a coarse kernel clock that can lag time.time() by a few milliseconds (as
# for JUnit XML, records.py): a file whose stat is unchanged since before the start is stale anyway.
CLOCK_SLACK_NS = 1_000_000_000
# coverage.py's JSON for a large project runs to tens of MiB (a line list per file): a bound far above
MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class FileLines:
    statements: int
    covered: int


class Unreadable(ValueError):
    """The report is not coverage.py's JSON: the reason, never the text."""


def read_report(path: Path, root: Path) -> dict[str, FileLines]:
    """File (POSIX, relative to ``root`` when under it) -> its statements and those run."""
    if not path.is_file():  # a FIFO or a device would block or never end: only a regular file is read
        raise Unreadable("is not a regular file")
    if path.stat().st_size > MAX_BYTES:
        raise Unreadable(f"is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(f"cannot be read ({type(exc).__name__})") from None
    except ValueError:
        raise Unreadable("is not JSON") from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise Unreadable("is not coverage.py's JSON report (no files)")
    out = {}
    for name, entry in files.items():
        summary = entry.get("summary") if isinstance(entry, dict) else None
        statements = (summary or {}).get("num_statements")
        covered = (summary or {}).get("covered_lines")
        if not isinstance(statements, int) or not isinstance(covered, int) or not 0 <= covered <= statements:
            raise Unreadable("is not coverage.py's JSON report (a file without its line counts)")
        out[_relative(str(name), root)] = FileLines(statements=statements, covered=covered)
    return out


def _relative(name: str, root: Path) -> str:
    path = Path(name)
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            return PurePosixPath(path).as_posix()
    return PurePosixPath(*path.parts).as_posix()


def selects(group: Group, file: str) -> bool:
    """Whether one of the group's paths (a folder prefix or a glob, as for node ids) selects ``file``."""
    return any(file.startswith(path) or fnmatch.fnmatch(file, path) for path in group.paths)


def percent(files: Mapping[str, FileLines]) -> float | None:
    """Percent of the statements run; None when there are none (nothing was measured, not 100%)."""
    statements = sum(f.statements for f in files.values())
    if not statements:
        return None
    return 100.0 * sum(f.covered for f in files.values()) / statements


def freshness(path: Path, before: tuple[int, int, int] | None, began_ns: int) -> str:
    """Why the report is not this run's ("" when it is)."""
    after = stamp(path)
    if after is None:
        return f"wrote no coverage report at {path.name} during this run"
    if after == before or after[0] < began_ns - CLOCK_SLACK_NS:
        return f"wrote no coverage report during this run: {path.name} is from an earlier run"
    return ""


def attach(
    name: str,
    suite: Suite,
    results: list[Result],
    cwd: Path,
    before: tuple[int, int, int] | None,
    began_ns: int,
) -> list[Result]:
    """The suite's and its groups' results with their coverage: a value, or unavailable with why."""
    assert suite.coverage is not None
    path = cwd / suite.coverage
    # the suite's counts unavailable: it did not finish (the reason names how), so neither did its report
    unfinished = results[0].unavailable.get(metric_name("suite", name, "total"))
    why = f"{unfinished}: its coverage report is not evidence" if unfinished else ""
    files: dict[str, FileLines] = {}
    if not why:
        why = freshness(path, before, began_ns)
        why = f"suite {name} {why}" if why else ""
    if not why:
        try:
            files = read_report(path, cwd)
        except Unreadable as exc:
            why = f"suite {name} wrote a coverage report that {exc}: {path.name}"
    out = []
    for result in results:
        if result.kind == "suite":
            key, value = metric_name("suite", name, "coverage"), percent(files)
            empty = f"suite {name}: its coverage report {path.name} measured no lines"
            out.append(_with(result, key, value, why or (empty if value is None else "")))
        elif result.kind == "group" and suite.groups[result.id].paths:
            group = suite.groups[result.id]
            mine = {file: lines for file, lines in files.items() if selects(group, file)}
            key, value = metric_name("group", result.id, "coverage"), percent(mine)
            if why:
                reason = why
            elif not mine:
                reason = f"group {result.id}: its paths select no file of the coverage report {path.name}"
            else:
                reason = f"group {result.id}: the files its paths select have no lines" if value is None else ""
            out.append(_with(result, key, value, reason))
        else:
            out.append(result)
    return out


def _with(result: Result, key: MetricKey, value: float | None, why: str) -> Result:
    if why or value is None:
        return dataclasses.replace(result, unavailable={**result.unavailable, key: why})
    shown = f"{value:.1f}% of lines covered"
    return dataclasses.replace(
        result, metrics={**result.metrics, key: value}, actual=f"{result.actual}; {shown}" if result.actual else shown
    )


def not_run(suite_name: str, suite: Suite, why: str) -> dict[MetricKey, str]:
    """The coverage a suite that did not run would have given, unavailable for ``why``."""
    if suite.coverage is None:
        return {}
    out = {metric_name("suite", suite_name, "coverage"): why}
    for group_name, group in suite.groups.items():
        if group.paths:
            out[metric_name("group", group_name, "coverage")] = why
    return out
