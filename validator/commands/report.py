"""``validator report``: re-render the last run (or the one ``--run`` names) in any format, or with
``--history N`` show how each criterion and its metrics moved over the last N runs, flagging
regressions (a criterion that passed before and fails now; a time that grew past ``--threshold``), or
with ``--limits`` each service's memory peaks over the last ``--runs N`` against its limit, with a
suggested limit (``validator/limits.py``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from validator import history, limits
from validator.cli_common import add_spec_option, eprint, use_color
from validator.core.run import combine
from validator.engine.address import engine_address
from validator.errors import EXIT_FAILED, EXIT_OK, EngineError, UnreachableError, UsageError
from validator.load import load_spec
from validator.redact import quoted
from validator.reporters.registry import (
    REPORTERS,
    ReportContext,
    destinations,
    parse_report_option,
    write_reports,
)
from validator.run.fingerprint import inputs, verdict_inputs
from validator.spec.profiles import active

if TYPE_CHECKING:
    from validator.core.run import RunResult
    from validator.history import Trend
    from validator.spec.load import LoadedSpec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    parser.add_argument(
        "--report",
        action="append",
        metavar="FORMAT[=PATH]",
        default=None,
        help=f"formats: {', '.join(REPORTERS)} (repeatable; default: console)",
    )
    parser.add_argument("--history", dest="count", type=int, metavar="N", help="trend over the last N runs")
    parser.add_argument(
        "--threshold", type=float, default=0.2, help="time growth flagged as regression (default 0.2 = 20%%)"
    )
    parser.add_argument(
        "--limits",
        action="store_true",
        help="memory peaks of each service over the last runs against its limit, and a suggested limit",
    )
    parser.add_argument("--runs", type=int, default=10, metavar="N", help="runs --limits reads (default 10)")
    parser.add_argument("--db", metavar="PATH", help="history database (default: settings.history)")
    parser.add_argument("--no-color", action="store_true")
    parser.add_argument("-v", "--verbose", action="count", default=0)


def run(args: argparse.Namespace) -> int:
    loaded = load_spec(args.files)
    path = Path(args.db or loaded.spec.settings.history)
    path = path if path.is_absolute() else loaded.base_dir / path
    try:
        wanted: list[tuple[str, str | None]] = (
            [parse_report_option(v) for v in args.report] if args.report else [("console", None)]
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # whatever else is asked (a trend, the limits), the exit code is first the last check's verdict:
    # the extra information may add a failure, never turn a failed, unfinished or stale check green
    # (adversary stop8 case 04: `report --history 3 --report junit=...` exited 0 on a FAILED check)
    last, verdict = _last_check(path, loaded, _outputs(path, loaded, wanted))
    if args.limits:
        advised = _limits(path, loaded, max(1, args.runs))
        return verdict or advised
    ctx = ReportContext(color=use_color(args), verbose=args.verbose)
    if not args.count:
        write_reports(last, wanted, ctx, loaded.base_dir)
        return verdict
    runs = history.last_runs(path, loaded.spec.project, max(1, args.count))
    ctx = ReportContext(color=use_color(args), verbose=args.verbose, history=runs[1:])
    trends = history.trends(runs, args.threshold)
    print(render_trends(trends, len(runs)))
    files = [w for w in wanted if w[0] != "console"]
    if files:
        write_reports(last, files, ctx, loaded.base_dir)
    return verdict or (EXIT_FAILED if any(t.regressions for t in trends) else EXIT_OK)


def _outputs(path: Path, loaded: LoadedSpec, wanted: list[tuple[str, str | None]]) -> list[Path]:
    """The files validator writes (the history, the reports check and this command write): left out of
    the suite trees' fingerprint (run/fingerprint.py); this command's reports noted for the next one."""
    project = loaded.spec.project
    settings = [parse_report_option(v) for v in loaded.spec.settings.reports]
    written = destinations(wanted, loaded.base_dir)
    if path.exists():  # a report with no history to read writes nothing beside it
        why_not = history.note_outputs(path, project, written)
        if why_not:
            eprint(f"validator: {why_not}")
    return [path, *history.noted_outputs(path, project), *destinations(settings, loaded.base_dir), *written]


def _last_check(path: Path, loaded: LoadedSpec, outputs: list[Path]) -> tuple[RunResult, int]:
    """The newest check as ``check`` showed it (every target's run, combined), said on standard error
    with why it is no verdict when it is not; and the exit code that follows: its own, else 1."""
    project = loaded.spec.project
    check = history.last_check(path, project)
    if check is None:
        older = history.older_schema_runs(path, project)
        hint = f" ({older} older run(s) there were stored by an earlier validator and are not read)" if older else ""
        raise UsageError(f"no run of project {quoted(project)} in {path}{hint}: run `validator check` first")
    runs = check.runs
    last = runs[0] if len(runs) == 1 else combine([(run.engine or "", run) for run in runs])
    eprint(_heading(last))
    problems = [
        _incomplete(check),
        # the spec, the content of the files it points at or any stage read, and the images its references
        # name, as check recorded them (run/fingerprint.py): a config_keys file or a suite's test edited
        # since, or a tag moved to another image, is a changed spec as much as an edited line of it
        _inputs_changed(loaded, runs, outputs),
        _unrecorded(path, project, last),
        _narrower(loaded, runs),
    ]
    for problem in filter(None, problems):
        eprint(f"validator: {problem} (run `validator check`)")
    # a run that reached no verdict (interrupted, the engine lost) is shown as such, never as a pass
    no_verdict = last.interrupted is not None or last.engine_lost is not None
    return last, EXIT_FAILED if any(problems) or no_verdict else last.exit_code


def _incomplete(check: history.Check) -> str | None:
    """Why the stored runs of the check are not all of it, or None."""
    if check.targets is None:
        return (
            "this check was recorded by an earlier validator, without its number of targets: "
            "it cannot be shown to be the whole check"
        )
    if not check.whole:
        return (
            f"this check had {check.targets} target(s) but {len(check.runs)} run(s) of it were recorded: "
            "it is not the whole check's verdict"
        )
    return None


def _narrower(loaded: LoadedSpec, runs: list[RunResult]) -> str | None:
    """Why the check covered less than the spec asks, or None: a target of ``settings.targets`` it did
    not run on (``--host`` narrowed it: adversary stop8 case 14), or a declared suite it did not run
    (``--no-suites``: case 10). Asked of a check that reached its verdict (one that did not says so)."""
    if any(run.interrupted or run.engine_lost for run in runs):
        return None
    covered = {run.engine for run in runs}
    missed = [t for t in loaded.spec.settings.targets if engine_address(t) not in covered]
    if missed:
        return (
            f"this check did not run on {', '.join(quoted(t) for t in missed)} of settings.targets "
            "(--host narrowed it): it is not a verdict on every target the spec names"
        )
    # a suite --no-suites left out is a SKIP result of its own (run/pipeline.py): listed, not judged
    judged = {r.name for run in runs for r in run.by_kind("suite") if r.verdict != "skip"}
    unrun = [name for name in loaded.spec.suites if name not in judged]
    if unrun:
        return f"suite {', '.join(unrun)} did not run in this check (--no-suites): it is not a verdict on the spec"
    return None


def _unrecorded(path: Path, project: str, last: RunResult) -> str | None:
    newer = history.unrecorded_check(path, project, last)
    if newer is None:
        return None
    return (
        f"a newer check, started {_when(newer)}, was not recorded (--no-history, or its history "
        "write failed): this run is not the last check's verdict"
    )


def _limits(path: Path, loaded: LoadedSpec, count: int) -> int:
    """``--limits``: exit 1 when a service was OOM-killed or came close to its limit (limits.py)."""

    runs = history.last_runs(path, loaded.spec.project, count)
    # the services that run by design (profiles enabled, scale above 0): the others have no sample to miss
    running = [n for n, s in active(loaded.spec.services, loaded.environment).items() if s.replicas > 0]
    advice, missing = limits.advise(runs, running)
    print(limits.render(advice, missing, len(runs)))
    # no all-clear from no evidence: a service not measured, or measured only as a bound, is no exit 0
    return EXIT_FAILED if any(a.flag for a in advice) or limits.unknowns(advice, missing) else EXIT_OK


def _inputs_changed(loaded: LoadedSpec, runs: list[RunResult], outputs: list[Path]) -> str | None:
    """Why the inputs of one of ``runs`` (each target's) are not as it recorded them, or None when
    every one's are: for a spec with services, the images are asked of the engine that run used."""
    unknown = "this run cannot be shown to be a verdict on the current spec"
    now = inputs(loaded, outputs=outputs)
    if now is None:
        return f"a file the spec points at cannot be read now: {unknown}"
    if now.unvouched:
        # past the bounds a tree is named by path alone: an edit in it would not show (run/fingerprint.py)
        return f"what a stage reads is too large to fingerprint ({'; '.join(now.unvouched)}): {unknown}"
    changed = "has changed since this run: it is not a verdict on the current spec"
    if not loaded.spec.services:
        gone = any(now.digest != run.spec_hash for run in runs)
        return f"the spec, or a file it points at, {changed}" if gone else None
    for run in runs:
        images = _image_lookup(run.engine)
        if images is None:
            where = quoted(run.engine or "?")
            return f"the engine {where} this run checked cannot be asked which images it holds now: {unknown}"
        if verdict_inputs(loaded, images, outputs) != run.spec_hash:
            return f"the spec, a file it points at, or an image a service names {changed}"
    return None


def _image_lookup(address: str | None) -> Callable[[str], str | None] | None:
    """The image a reference names on the engine at ``address`` (one ask, bounded), or None when that
    engine does not answer."""
    # here: report reads no engine unless the spec has services (every command's parser loads this module)
    from validator.engine.docker_api import Engine

    if not address:
        return None
    try:
        engine = Engine.connect(address, timeout=10)
        engine.version()
    except (EngineError, UnreachableError):
        return None
    return engine.image_id


def _when(stamp: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(stamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _heading(run: RunResult) -> str:
    when = _when(run.started_at)
    where = f", {len(run.targets)} targets ({', '.join(run.targets)})" if run.targets else ""
    return f"last check: {when}{where}: {run.outcome} (exit {run.exit_code})"


def render_trends(trends: list[Trend], count: int) -> str:
    lines = [f"criteria over the last {count} run(s), oldest first:"]
    mark = {"pass": "P", "fail": "F", "error": "E", "skip": "S", "xfail": "X", "-": "."}
    for trend in trends:
        lines.append(f"  {trend.criterion:6} {''.join(mark.get(v, '?') for v in trend.verdicts)}")
        for metric, values in trend.metrics.items():
            shown = " ".join(
                "-" if v is None else f"{v:g}" if abs(v) >= 100 or v == int(v) else f"{v:.2f}" for v in values
            )
            lines.append(f"         {metric}: {shown}")
        for regression in trend.regressions:
            lines.append(f"         REGRESSION: {regression}")
    flagged = sum(len(t.regressions) for t in trends)
    lines.append(f"{flagged} regression(s)" if flagged else "no regressions")
    return "\n".join(lines)
