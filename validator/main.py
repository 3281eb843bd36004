"""Parse the command line, dispatch to one command, map every error to its exit code."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

from validator import __version__
from validator.commands import COMMANDS, Command
from validator.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_UNREACHABLE, FatalError, Interrupted, SpecError

IN_FLIGHT_GRACE = 10.0  # seconds an interrupted command waits for its threads' engine calls in flight


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser. Only the command ``argv`` names gets its arguments (its module is
    loaded for them); without ``argv``, every command does (each module loaded)."""
    parser = argparse.ArgumentParser(
        prog="validator",
        description="Declarative infrastructure validator: infra.yaml in, a reconciled Docker and a verdict out.",
        epilog="exit codes: 0 ok, 1 checks failed (lint: findings; plan: changes), 2 bad spec or command line, "
        "3 infrastructure unreachable, 4 internal error, 130 interrupted, 143 terminated",
    )
    parser.add_argument("--version", action="version", version=f"validator {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # the global options take no value: the first other word names the command
    chosen = next((word for word in argv if not word.startswith("-")), None) if argv is not None else None
    for name, command in COMMANDS.items():
        command_parser = sub.add_parser(name, help=command.help, description=command.help)
        if argv is None or name == chosen:
            command.load().add_arguments(command_parser)
        command_parser.set_defaults(_command=command)
    return parser


# Signals that end a run: Ctrl-C, how CI cancels a job, a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_interrupted: list[int] = []


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """The first signal raises ``Interrupted`` in the main thread: the run stops its children, writes
    what it knew and exits 130/143/129. A second one exits at once (its children killed first)."""
    if _interrupted:
        from validator import children

        children.kill_now()
        # its group too (what was in it is killed by now: the wait is for the kernel to let go, ms)
        with contextlib.suppress(Exception):
            children.leave_run_group()
        os._exit(Interrupted(signum).exit_code)
    _interrupted.append(signum)
    raise Interrupted(signum)


def _on_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """A signal that lands while a finalizer runs (garbage collection of a connection pool, say) is
    raised there, and Python swallows exceptions of finalizers: the interrupt would be lost and a
    traceback printed. Deliver it again instead; it is handled at the next ordinary line."""
    if isinstance(unraisable.exc_value, Interrupted):
        import threading

        # not raise_signal: its handler would run right here, inside the hook, and be swallowed too;
        # and it counts as the first signal again, not as a second one (which exits at once)
        _interrupted.clear()
        resend = threading.Timer(0.01, os.kill, (os.getpid(), unraisable.exc_value.signum))
        resend.daemon = True
        resend.start()
        return
    sys.__unraisablehook__(unraisable)


def main(argv: Sequence[str] | None = None) -> int:
    # the signal handlers first: an interrupt while the parser imports every command is a clean
    # exit 130/143/129 too, not a KeyboardInterrupt traceback
    _interrupted.clear()
    previous = {sig: signal.signal(sig, _on_signal) for sig in STOP_SIGNALS}
    try:
        return _main(argv)
    except Interrupted as exc:  # before the command began
        print(f"validator: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _main(argv: Sequence[str] | None) -> int:
    from validator import abort, children, redact

    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(words).parse_args(words)
    if args.debug:  # read where tracebacks are shown below the top level (a crashing probe's result)
        os.environ["VALIDATOR_DEBUG"] = "1"
    children.begin()
    abort.install()
    previous_hook, sys.unraisablehook = sys.unraisablehook, _on_unraisable
    # the choke point: from here on every line this process prints passes the redactor, whose
    # registry the spec loader fills (error lines, progress, reports on stdout, engine errors)
    redact.reset()
    redact.register(redact.own_secrets(os.environ))
    streams = redact.install_streams()
    try:
        command: Command = args._command
        return command.load().run(args)
    except SpecError as exc:
        for finding in exc.findings:
            print(finding, file=sys.stderr)
        return exc.exit_code
    except Interrupted as exc:
        print(f"validator: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("validator: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except FatalError as exc:
        print(f"validator: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if _interrupted:
            # the interrupt was raised inside a library that wrapped it in an error of its own (pydantic
            # building a schema turns it into SchemaError): what ended the run is still the signal
            interrupted = Interrupted(_interrupted[0])
            print(f"validator: {interrupted}", file=sys.stderr)
            return interrupted.exit_code
        if args.debug or os.environ.get("VALIDATOR_DEBUG"):
            raise
        print(
            f"validator: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        # every exit path: nothing validator started outlives it (signal, bounded grace, kill)
        _stop_children()
        abort.uninstall()
        redact.restore_streams(streams)
        sys.unraisablehook = previous_hook


def _stop_children() -> None:
    from validator import children

    try:
        children.stop_all()
    except Interrupted:  # the second signal's handler exits on its own; a first one landing here
        children.kill_now()  # finds the run over already: nothing is left to write, stop at once
    # the run's control group, empty now, is removed (one the process cannot leave is the next
    # check's to remove: its owner will be gone); an interrupt landing here changes nothing
    with contextlib.suppress(Interrupted):
        children.leave_run_group()


def cli() -> NoReturn:
    """The command's entry point (``python -m validator`` and the ``validator`` script): run ``main``,
    then leave without tearing the interpreter down.

    Freeing every object of pydantic's models, the Docker SDK and the run's results at exit cost
    40-80 ms per command (measured: half of a no-op ``up``'s margin over Compose), and nothing in it
    is observable: the atexit handlers (pyspark's gateway, weakref finalizers) run here as they would,
    and the output is flushed. A thread that is still working (not a daemon) keeps the ordinary exit,
    which waits for it. ``main`` itself returns normally, so tests and embedders are unaffected."""
    import atexit
    import threading

    from validator import children

    children.own_process_tree()
    code = main()
    alive = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive() and not t.daemon]
    if alive and code not in (EXIT_UNREACHABLE, *(128 + s for s in STOP_SIGNALS)):
        sys.exit(code)
    # an interrupted run's threads finish the engine call they are in (cancelled, they start no
    # other), so nothing is left half-made; bounded, and not at all for a lost engine: a thread
    # blocked on a vanished engine would wait for its timeout
    deadline = time.monotonic() + (IN_FLIGHT_GRACE if code != EXIT_UNREACHABLE else 0.0)
    for thread in alive:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: what main() does for BrokenPipeError
                code = code or 1
        os._exit(code)
