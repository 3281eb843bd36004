"""``validator check``: the main job. Lint the spec, check the host, config keys and Python
dependencies, reconcile Docker (``--no-up``: judge what runs; ``--plan``: report drift only), run
the probes and suites, judge the criteria, write the reports and keep the run in the history.

Exit 0 when every check passed (expected failures count as passed), 1 when any failed, 2 bad
spec, 3 engine unreachable, 130/143 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import uuid
from pathlib import Path
from typing import Any

from validator import children, history
from validator.backends.registry import add_orchestrator_option, backend
from validator.cli_common import add_engine_option, add_output_options, add_spec_option, eprint, use_color
from validator.core.result import Result, locate
from validator.core.run import combine
from validator.engine.docker_api import Engine
from validator.engine.unsupported import require_applicable
from validator.errors import EXIT_FAILED, FatalError, Interrupted, UsageError
from validator.load import load_spec
from validator.redact import quoted, redactor
from validator.redact import redactor as process_redactor
from validator.reporters.markdown import render as markdown
from validator.reporters.registry import (
    REPORTERS,
    ReportContext,
    destinations,
    parse_report_option,
    write_reports,
)
from validator.run.pipeline import CheckOptions, Mode, Pipeline
from validator.ui import Display, make_display


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    add_engine_option(parser, many=True)
    add_orchestrator_option(parser)
    add_output_options(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-up", action="store_true", help="check what is running; change nothing in Docker")
    mode.add_argument("--plan", action="store_true", help="report drift from the spec instead of reconciling")
    parser.add_argument("--remove-orphans", action="store_true", help="remove containers of services not in the spec")
    parser.add_argument("--build", action="store_true", help="rebuild images of services with 'build'")
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="bound on reconciling (default: settings.up_timeout)"
    )
    parser.add_argument("--no-suites", action="store_true", help="skip the test suites (their criteria become errors)")
    parser.add_argument(
        "--report",
        action="append",
        metavar="FORMAT[=PATH]",
        default=None,
        help=f"write a report: {', '.join(REPORTERS)} (repeatable; default: console plus settings.reports)",
    )
    parser.add_argument("--history", metavar="PATH", help="history database (default: settings.history)")
    parser.add_argument("--no-history", action="store_true", help="do not record this run")


def _require_once(targets: list[str | None], loaded: Any) -> None:
    """A target named twice (``--host A --host A``, a copy-pasted CI line; ``settings.targets`` whose second
    entry is ``${B:-A}`` with B unset) is the plainest spelling of one engine twice: refused like the
    others (the machine meant as the second target would never be contacted), never silently merged."""
    seen: set[str] = set()
    for index, target in enumerate(targets):
        if target is None:
            continue
        where = ""
        if loaded is not None:  # from the spec: point at the entry
            location = locate(loaded, ("settings", "targets", index))
            where = f"{location}: " if location is not None else ""
        option = "settings.targets" if loaded is not None else "--host"
        if not _text(target):
            # a byte that is not UTF-8 (a variable read from a binary file) decodes to a lone surrogate:
            # no engine has such an address, and no report or history could hold it as written
            raise UsageError(f"{where}{option}: target {quoted(target)} is not an address (a byte that is not UTF-8)")
        if target in seen:
            raise UsageError(
                f"{where}{option}: target {quoted(target)} is named twice (an unset variable, a copied line?): "
                "each target must be a machine of its own"
            )
        seen.add(target)


def _text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _require_distinct(targets: list[str | None]) -> None:
    """Each target is a machine of its own. An empty address (``--host "$B"`` with B unset) would mean the
    default engine, and two addresses of one engine (``unix:///run/docker.sock`` and
    ``unix:///var/run/docker.sock``, tcp:// and unix:// of one daemon) would check it twice while the
    machine meant was never contacted: both are refused before anything runs. Targets are told apart by
    the engine's ID, name, data root and Swarm node (``/info``); one that does not answer is left to its
    own run (an ERROR there)."""
    for target in targets:
        if target is not None and not target.strip():
            raise UsageError("--host: an empty address names no engine (an unset variable?): give every target")
    if len(targets) < 2:
        return

    seen: dict[tuple[str, ...], str] = {}
    for target in targets:
        assert target is not None
        try:
            info = Engine.connect(target, timeout=10.0).info()
        except FatalError:  # unreachable or refused: its own run says so, as an ERROR of that target
            continue
        # the ID alone is not unique: engines started from one configuration (cloned machines, several
        # daemons on one host with their own data roots) share its key. One daemon reached twice agrees
        # on all of these; two daemons differ in one at least (host name, data root, Swarm node)
        identity = (
            str(info.get("ID") or ""),
            str(info.get("Name") or ""),
            str(info.get("DockerRootDir") or ""),
            str((info.get("Swarm") or {}).get("NodeID") or ""),
        )
        if identity[0] and identity in seen:
            raise UsageError(
                f"--host {seen[identity]} and --host {target} are the same engine (ID {identity[0]}, data root "
                f"{identity[2]}): each target must be a machine of its own"
            )
        seen[identity] = target


def run(args: argparse.Namespace) -> int:
    try:
        wanted_reports = [parse_report_option(v) for v in args.report] if args.report else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    loaded = load_spec(args.files)
    for warning in loaded.warnings:
        eprint(warning)
    redactor = process_redactor()  # the load registered every secret of the spec
    if wanted_reports is None:
        wanted_reports = [("console", None)] + [parse_report_option(v) for v in loaded.spec.settings.reports]
    mode: Mode = "no-up" if args.no_up else ("plan" if args.plan else "up")
    # Its up (and --plan) refuse what plan/up refuse, located, before anything runs; --no-up only judges.
    chosen = backend(loaded, args.orchestrator, refuse=mode != "no-up", warn=eprint)
    require_applicable(loaded, refuse_unsupported=mode != "no-up" and chosen.refuses_compose_fields)
    # every target named is a run of its own: a repeated one is refused below, never dropped here
    targets: list[str | None] = list(args.host or loaded.spec.settings.targets) or [None]
    _require_once(targets, loaded if not args.host else None)
    _require_distinct(targets)

    invocation = uuid.uuid4().hex
    _note_check(loaded, args, invocation)
    outputs = _outputs(loaded, args, wanted_reports)

    def options(host: str | None) -> CheckOptions:
        return CheckOptions(
            host=host,
            invocation=invocation,
            mode=mode,
            remove_orphans=args.remove_orphans,
            build=args.build,
            timeout=args.timeout,
            lock_timeout=args.lock_timeout,
            suites=not args.no_suites,
            orchestrator=chosen.name,
            outputs=outputs,
        )

    ctx = ReportContext(color=use_color(args), verbose=args.verbose)
    consoles = [w for w in wanted_reports if w[0] == "console"]
    if len(targets) == 1:
        display = make_display(args.quiet, args.verbose, args.no_progress, use_color(args))
        result = _pipeline(loaded, options(targets[0]), display, redactor)
        code = _write_and_record(loaded, args, ctx, wanted_reports, [result], result) or result.exit_code
        _write(result, consoles, ctx, loaded, args)  # last: it shows whether the history took the run
        _step_summary(result, ctx)
        _say_stopped(result)
        return result.exit_code if result.interrupted or result.engine_lost else code
    runs = _concurrently(loaded, [(t or "", options(t)) for t in targets], args, redactor)
    combined = combine(list(runs.items()))
    code = _write_and_record(loaded, args, ctx, wanted_reports, list(runs.values()), combined) or combined.exit_code
    if consoles:
        for address, one in runs.items():
            print(f"\n=== target {address} ===")
            _write(one, consoles, ctx, loaded, args)
        verdicts = ", ".join(f"{a}: {r.outcome}" for a, r in runs.items())
        print(f"\n{len(runs)} targets — {verdicts} — exit {combined.exit_code}")
    _step_summary(combined, ctx)
    _say_stopped(combined)
    return combined.exit_code if combined.interrupted or combined.engine_lost else code


def _write_and_record(
    loaded: Any, args: argparse.Namespace, ctx: Any, wanted: list[Any], runs: list[Any], shown: Any
) -> int:
    """The report files of ``shown`` written (a file that cannot be is an ERROR of the run the history
    keeps), then every run recorded; when the history cannot take them, the ERROR saying so is added to
    ``shown`` and its files are written again (what went to standard output is not repeated). The exit
    code the history's failure calls for, 0 when the runs were recorded."""
    files = [w for w in wanted if w[0] != "console"]
    _write(shown, files, ctx, loaded, args)
    code = _record(loaded, args, runs, shown)
    if code:
        again = [w for w in files if destinations([w], loaded.base_dir)]
        with contextlib.suppress(OSError):  # a file that could not be written is an ERROR of the first pass
            write_reports(shown, again, ctx, loaded.base_dir)
    return code


def _say_stopped(run: Any) -> None:
    """The one line an interrupted run, or one whose engine was lost, ends with (the exit code says it too)."""
    if run.interrupted:
        eprint(f"validator: interrupted by {run.interrupted}: the reports and the history hold what the run knew")
    elif run.engine_lost:
        eprint(f"validator: {run.engine_lost}")


def _pipeline(loaded: Any, options: Any, display: Any, redactor: Any) -> Any:
    return Pipeline(loaded=loaded, options=options, display=display, redactor=redactor).execute()


def _concurrently(
    loaded: Any, targets: list[tuple[str, Any]], args: argparse.Namespace, redactor: Any
) -> dict[str, Any]:
    """One Pipeline per engine, all at once (each takes its own project lock on its own engine);
    progress lines carry the target's address. An interrupt (in this, the main thread) stops every
    target's run; each writes what it knew, and one that does not finish within a bound is an
    interrupted run with nothing judged."""
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import wait as wait_all

    shared = Display(args.quiet, args.verbose)
    displays: dict[str, Any] = {address: _TargetDisplay(address, shared) for address, _ in targets}
    pipelines = {
        address: Pipeline(loaded=loaded, options=options, display=displays[address], redactor=redactor)
        for address, options in targets
    }
    pool = ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="target")
    futures = {address: pool.submit(pipeline.execute) for address, pipeline in pipelines.items()}
    try:
        return {address: future.result() for address, future in futures.items()}
    except Interrupted as exc:
        children.stop_all()
        for pipeline in pipelines.values():
            pipeline.interrupt(exc)
        # bounded: each run sees the stop at its next wait; one inside up may not (up waits its own bound)
        wait_all(futures.values(), timeout=children.STOP_GRACE + 10.0)
        return {
            address: future.result() if future.done() else _never_finished(pipelines[address], exc.signal_name)
            for address, future in futures.items()
        }
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _never_finished(pipeline: Any, signal_name: str) -> Any:
    """A target whose run did not stop within the bound: what it had judged, the run interrupted."""
    import time

    run = pipeline.run
    run.interrupted = signal_name
    run.finished_at = time.time()
    return run


class _TargetDisplay:
    """Plain progress lines of one target's run, prefixed with its address (runs interleave)."""

    def __init__(self, address: str, shared: Any) -> None:
        self.address = address
        self.shared = shared

    def stage(self, name: str) -> None:
        self.shared.stage(f"{self.address}: {name}")

    def progress(self, who: str, message: str) -> None:
        self.shared.progress(f"{self.address} {who}", message)

    def output(self, who: str, line: str) -> None:
        self.shared.output(f"{self.address} {who}", line)

    def result(self, result: Any) -> None:
        from dataclasses import replace

        self.shared.result(replace(result, name=f"{result.name} @ {self.address}"))

    def close(self) -> None:
        pass


def _write(result: Any, wanted: list[Any], ctx: Any, loaded: Any, args: argparse.Namespace) -> list[Any]:
    try:
        written = write_reports(result, wanted, ctx, loaded.base_dir)
    except OSError as exc:
        result.results.append(
            Result(
                kind="report",
                name="write reports",
                verdict="error",
                expected="reports written",
                actual="not written",
                message=f"{exc.strerror or exc}: {exc.filename or ''}".strip(),
            )
        )
        eprint(f"validator: cannot write a report: {exc.strerror or exc} ({exc.filename})")
        written = []
    for name, where in written:
        if where != "stdout" and not args.quiet:
            print(f"report {name}: {where}")
    return written


def _step_summary(result: Any, ctx: Any) -> None:
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8", errors="replace") as handle:
            handle.write(markdown(redactor().deep(result), ctx) + "\n")


def _history_path(loaded: Any, args: argparse.Namespace) -> Path:
    path = Path(args.history or loaded.spec.settings.history)
    return path if path.is_absolute() else loaded.base_dir / path


def _note_check(loaded: Any, args: argparse.Namespace, invocation: str) -> None:
    """Note this check's start beside the history, even under --no-history (which stores no run): so
    `report` never shows an older stored run as the last check (history.note_check)."""
    import time

    why_not = history.note_check(_history_path(loaded, args), loaded.spec.project, invocation, time.time())
    if why_not:
        eprint(f"validator: {why_not}")


def _outputs(loaded: Any, args: argparse.Namespace, wanted: list[Any]) -> tuple[Path, ...]:
    """The files this check writes besides its suites' (its reports, the history), noted beside the
    history so that ``report`` leaves them out of the suite trees' fingerprint as this check does, with
    the ones an earlier check or report wrote (run/fingerprint.py)."""
    path = _history_path(loaded, args)
    settings = [parse_report_option(v) for v in loaded.spec.settings.reports]
    written = destinations(wanted + settings, loaded.base_dir)
    why_not = history.note_outputs(path, loaded.spec.project, written)
    if why_not:
        eprint(f"validator: {why_not}")
    return (path, *history.noted_outputs(path, loaded.spec.project), *written)


def _record(loaded: Any, args: argparse.Namespace, runs: list[Any], shown: Any) -> int:
    """Keep every target's run in the history, all in one transaction (history.record_check); when they
    cannot be kept, an ERROR result in ``shown`` (the run the reports show) and the exit code it
    calls for (3: the database cannot be used; else 1). Never an exception: a check whose history write
    failed (a full disk, text SQLite cannot take) is a judged check, reported."""
    if args.no_history:
        return 0
    path = _history_path(loaded, args)
    try:
        history.record_check(path, runs)
        return 0
    except history.HistoryError as exc:
        why, code = str(exc), exc.exit_code
    except Exception as exc:  # noqa: BLE001 - whatever stops the write, the check still ends with its reports
        why, code = f"cannot write the history database {path}: {type(exc).__name__}: {exc}", EXIT_FAILED
    why = redactor().text(why.splitlines()[0] if why else "")
    shown.results.append(
        Result(
            kind="report",
            name="record the run in the history",
            verdict="error",
            expected="the run recorded in the history",
            actual="not recorded",
            message=why,
        )
    )
    eprint(f"validator: run not recorded: {why}")
    return code
