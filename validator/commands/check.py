"""``validator check``: the main job. Lint the spec, check the host, config keys and Python
dependencies, reconcile Docker (``--no-up``: judge what runs; ``--plan``: report drift only), run
the probes and suites, judge the criteria, write the reports and keep the run in the history.

Exit 0 when every check passed (expected failures count as passed), 1 when any failed, 2 bad
spec, 3 engine unreachable, 130/143 interrupted.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from validator.cli_common import add_engine_option, add_output_options, add_spec_option, eprint, use_color
from validator.errors import EXIT_FAILED, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from validator.reporters.registry import REPORTERS

    add_spec_option(parser)
    add_engine_option(parser)
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


def run(args: argparse.Namespace) -> int:
    from validator.core.pipeline import CheckOptions, Mode, Pipeline
    from validator.core.result import Result
    from validator.engine.desired import require_applicable
    from validator.redact import Redactor
    from validator.reporters.registry import ReportContext, parse_report_option, write_reports
    from validator.spec.load import load_spec
    from validator.ui import make_display

    try:
        wanted_reports = [parse_report_option(v) for v in args.report] if args.report else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    loaded = load_spec(args.files)
    for warning in loaded.warnings:
        eprint(warning)
    redactor = Redactor(loaded.secrets())
    if wanted_reports is None:
        wanted_reports = [("console", None)] + [parse_report_option(v) for v in loaded.spec.settings.reports]
    mode: Mode = "no-up" if args.no_up else ("plan" if args.plan else "up")
    # Its up (and --plan) refuse what plan/up refuse, located, before anything runs; --no-up only judges.
    require_applicable(loaded, refuse_unsupported=mode != "no-up")
    options = CheckOptions(
        host=args.host,
        mode=mode,
        remove_orphans=args.remove_orphans,
        build=args.build,
        timeout=args.timeout,
        lock_timeout=args.lock_timeout,
        suites=not args.no_suites,
    )
    display = make_display(args.quiet, args.verbose, args.no_progress, use_color(args))
    pipeline = Pipeline(loaded, options, display, redactor)
    result = pipeline.execute()
    ctx = ReportContext(color=use_color(args), verbose=args.verbose)
    try:
        written = write_reports(result, wanted_reports, ctx, loaded.base_dir)
    except OSError as exc:
        result.results.append(
            Result(
                "report",
                "write reports",
                "error",
                "reports written",
                "not written",
                f"{exc.strerror or exc}: {exc.filename or ''}".strip(),
            )
        )
        eprint(f"validator: cannot write a report: {exc.strerror or exc} ({exc.filename})")
        written = []
    for name, where in written:
        if where != "stdout" and not args.quiet:
            print(f"report {name}: {where}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        from validator.reporters.markdown import render as markdown

        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown(result, ctx) + "\n")
    if not args.no_history:
        import sqlite3

        from validator import history

        path = Path(args.history or loaded.spec.settings.history)
        path = path if path.is_absolute() else loaded.base_dir / path
        try:
            history.record(path, result)
        except (OSError, sqlite3.Error) as exc:
            eprint(f"validator: run not recorded in the history ({path}): {exc}")
            return EXIT_FAILED
    return result.exit_code
