"""``check``: spec -> preflight, config keys, Python deps (concurrently) -> reconcile, with each
service's probes starting as soon as that service is ready -> the other probes, with the suites
beside them -> metrics -> criteria. Nothing aborts the run but a bad spec (raised
before this) or an engine that does not answer (exit 3); every other problem is a result."""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from validator import abort, children
from validator.backends.registry import DEFAULT, get
from validator.catalog import run_catalog
from validator.checks.preflight import measure
from validator.checks.registry import STATIC_STAGES, CheckContext
from validator.checks.target import identify
from validator.checks.watched import rejudge
from validator.core.metrics import Evidence, MetricKey, metric_name
from validator.core.result import FAILING, Kind, Result, locate
from validator.core.run import RunResult
from validator.core.tally import tally
from validator.criteria.evaluate import evaluate_criteria, not_judged
from validator.engine.address import engine_address
from validator.engine.lock import ProjectLock
from validator.engine.watch import RunWatcher
from validator.errors import EngineLost, FatalError, Interrupted, LockedError, UnreachableError
from validator.redact import Redactor
from validator.run.fingerprint import recorded
from validator.run.probe_schedule import ProbeSchedule
from validator.run.stopped import lost_services, unfinished
from validator.run.usage import UsageStage
from validator.spec.load import LoadedSpec
from validator.suites.coverage import not_run
from validator.suites.runner import run_suite
from validator.suites.verdict import FIELDS
from validator.ui import Display

Mode = Literal["up", "no-up", "plan"]
DOCKER_PROBES = ("command", "container", "log")
REMIND_EVERY = 60.0  # a long wait says again what it waits for: CI logs show the job is not hung


@dataclass(kw_only=True)
class CheckOptions:
    host: str | None = None
    invocation: str = ""  # shared by the runs of one `check` over several targets
    mode: Mode = "up"
    remove_orphans: bool = False
    build: bool = False
    timeout: float | None = None
    lock_timeout: float = 600.0
    suites: bool = True
    orchestrator: str = DEFAULT
    # the files validator writes (reports, the history): left out of the suite trees' fingerprint
    outputs: tuple[Path, ...] = ()


def git_commit(folder: Any) -> str | None:
    try:
        out = children.run(["git", "rev-parse", "HEAD"], timeout=5, cwd=folder, text=True)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


class Pipeline:
    def __init__(
        self, loaded: LoadedSpec, options: CheckOptions, display: Display, redactor: Redactor | None = None
    ) -> None:
        self.loaded = loaded
        self.spec = loaded.spec
        self.options = options
        self.backend = get(options.orchestrator)  # the one way to the engine's services (backends/)
        self.display = display
        self.redactor = redactor or Redactor(loaded.secrets())
        self.cancel = threading.Event()
        self.run = RunResult(
            project=self.spec.project,
            spec_files=list(loaded.files),
            # the spec and the content it points at (run/fingerprint.py), made again at the end
            spec_hash=recorded(loaded, outputs=options.outputs),
            started_at=time.time(),
            git_commit=git_commit(loaded.base_dir),
            mode=options.mode,
            invocation=options.invocation,
        )
        self.lock = threading.Lock()
        # read again at the last observation: a copied file is evidence only as read at the verdict
        self.copies_now: Callable[[str, str], list[str]] | None = None
        self.stop_reason: BaseException | None = None  # what ends the run early, set from another thread
        self.main_thread = False
        self.watcher: Any = None  # the run watcher (engine/watch.py), from before up to the verdict
        self.ready_at: dict[str, float] = {}  # service -> when up reported it (its watch counts from there)
        self.ready_each: dict[str, float] = {}  # container ID -> when up found it ready (a replica's own watch)
        self.schedule: Any = None
        self.tester: threading.Thread | None = None
        self.suite_results: list[Result] = []
        # each result as its producer made it, beside the redacted one the run records (same index):
        # what is judged again later (a service after the last observation) is looked up by the name
        # the spec gives it, never by a name redaction may have masked (a service named like a secret
        # value — ``DB_HOST: ${DB_HOST:-mysql}`` registers "mysql" — would otherwise escape its watch)
        self.produced: list[Result] = []
        self.suites_done = threading.Event()
        self.suite_crash: BaseException | None = None

    def say(self, who: str, message: str) -> None:
        self.display.progress(who, self.redactor.text(message))

    def output(self, who: str, line: str) -> None:
        self.display.output(who, self.redactor.text(line))

    def add(self, results: Iterable[Result]) -> None:
        """The one way a result enters the run: redacted, stored, shown; each of its metrics recorded
        with its producer as evidence: exact, within bounds, or unavailable, with why."""
        for raw in results:
            result = self.redactor.deep(raw)  # every text field, reasons and bounds included
            with self.lock:
                self.run.results.append(result)
                self.produced.append(raw)
                self._evidence_of(result)
            self.display.result(result)

    def _evidence_of(self, result: Result) -> None:
        """Record what ``result`` measured, bounded or could not vouch for (the caller holds the lock)."""
        producer = f"{result.kind} {result.id}"
        self._measured(result.metrics, producer)
        for key, bounds in result.bounds.items():
            self._record(key, Evidence.bounded(producer, bounds))
        for key, reason in result.unavailable.items():
            self._record(key, Evidence.unavailable(producer, reason))

    def _measured(self, metrics: Mapping[MetricKey, float], producer: str) -> None:
        for key, value in metrics.items():
            self._record(key, Evidence.exact(producer, value))

    def _record(self, key: MetricKey, evidence: Evidence) -> None:
        known = self.run.evidence.get(key)
        if known is not None and not known.is_exact:
            return  # what was found missing stays so: no later value may paper over it
        self.run.evidence[key] = evidence

    def execute(self) -> RunResult:
        """The run. An interrupt (SIGINT, SIGTERM, SIGHUP) or the engine's loss ends it early but still
        returns it: what was judged is kept, what was not finished is an ERROR saying why, and
        ``run.interrupted`` / ``run.engine_lost`` say it reached no verdict (exit 130/143/129, 3)."""

        self.main_thread = threading.current_thread() is threading.main_thread()
        try:
            engine = self._reach()
            with self._guard(engine):
                self._static(engine)
                with self._watching(engine), self._sampling(engine):
                    self._reconcile_probe_and_test(engine)
                    self._checkpoint()
                    self._last_observation()
                    self._unmade_probes()
                    self._record_inputs(engine)
                self._checkpoint()
                self._metrics()
                self._criteria()
        except (Interrupted, KeyboardInterrupt) as exc:
            self._stop_early(exc)
        except UnreachableError as exc:
            self._stop_early(self.stop_reason if isinstance(self.stop_reason, EngineLost) else exc)
        except FatalError as exc:
            # Docker refused an operation, another run holds the lock: the run ends here, but as
            # every other early end does, with its reports and history saying why (exit 1)
            self._stop_early(exc)
        finally:
            self.run.finished_at = time.time()
            self.display.close()
        return self.run

    def _reach(self) -> Any:
        """The engine (``_connect``); one that does not answer at the start is an ERROR result first,
        then ends the run as a lost engine does (exit 3, reports and history written)."""
        try:
            return self._connect()
        except UnreachableError as exc:
            self.run.engine = engine_address(self.options.host)
            self.add([
                Result(
                    kind="engine",
                    name="engine reachable",
                    verdict="error",
                    expected="the engine answers",
                    actual="unreachable",
                    message=self.redactor.text(str(exc)),
                )
            ])  # fmt: skip
            raise

    def _guard(self, engine: Any) -> Any:
        """The project's lock on ``engine``, held for the whole run (none without an engine)."""
        if engine is None:
            return nullcontext()
        return ProjectLock(
            project=self.spec.project,
            engine=engine,
            wait=self.options.lock_timeout,
            say=lambda m: self.say("lock", m),
            what="check",
        )

    def _connect(self) -> Any:
        """The engine, when the spec needs one or the command named its target (``--host``: every
        named target is contacted and identified, whatever the spec contains)."""
        needs_engine = bool(self.spec.services) or any(
            getattr(p, "kind", "") in DOCKER_PROBES for p in self.spec.probes.values()
        )
        if not needs_engine and self.options.host is None:
            return None
        engine = self.backend.connect(self.options.host)
        engine.version()
        self.run.engine = engine.address
        if self.options.host is not None:
            self.add([identify(engine)])
        return engine if needs_engine else None

    def _sweep(self) -> None:
        """Before the preflight looks at the host's ports: processes an earlier run of this project
        started and left running when it was killed outright (SIGKILL: a suite's pytest holding the
        webhook's fixed port), stopped and said (children.py ``sweep``). Under the project's lock, so
        never a live run's own."""
        why_not = children.for_project(self.spec.project)
        if why_not and self.display.verbose:
            # not an error: the marks in the children's environment still find most of what a killed
            # run leaves, but not a process started with an environment of its own
            self.say("sweep", f"no control group for this run ({why_not}): leftovers found by environment marks only")
        left = children.sweep(self.spec.project)
        if left:
            pids = ", ".join(str(pid) for pid in left)
            self.say("sweep", f"stopped {len(left)} process(es) an earlier killed run left behind (pid {pids})")

    def _record_inputs(self, engine: Any) -> None:
        """What the verdict is on: the spec, the content it points at or a stage read (the suites' trees
        as they left them), and the image each service's reference names on this engine now
        (run/fingerprint.py; ``report`` asks the engine again)."""
        images = engine.image_id if engine is not None and self.spec.services else None
        self.run.spec_hash = recorded(self.loaded, images, self.options.outputs)

    def interrupt(self, exc: BaseException) -> None:
        """Stop this run from another thread (a multi-target check's main thread got the signal)."""
        self.stop_reason = exc
        self.cancel.set()

    def _checkpoint(self) -> None:
        """Between stages: a stop asked from another thread (the watcher, a signal to the main
        thread of a multi-target check) ends the run here."""
        if self.stop_reason is not None:
            raise self.stop_reason

    # --- stages -------------------------------------------------------------------------------
    def _static(self, engine: Any) -> None:
        self._sweep()
        self.display.stage("preflight, configuration keys, Python dependencies")
        ctx = CheckContext(loaded=self.loaded, engine=engine, engine_at=engine_address(self.options.host))
        with ThreadPoolExecutor(max_workers=self.spec.settings.parallel, thread_name_prefix="check") as pool:
            futures = [pool.submit(self._collect, name, ctx) for name in STATIC_STAGES]
            for future in futures:
                self.add(future.result())

    def _collect(self, name: Kind, ctx: CheckContext) -> list[Result]:
        try:
            return list(STATIC_STAGES[name].run(ctx))
        except UnreachableError:
            raise
        except Exception as exc:  # noqa: BLE001 - one stage's bug is that stage's error, not the run's end
            return [
                Result(
                    kind=name,
                    name=f"{name} checks",
                    verdict="error",
                    message=f"internal error: {type(exc).__name__}: {exc}",
                )
            ]

    def _reconcile_probe_and_test(self, engine: Any) -> None:
        """Up, the probes and the suites, overlapped: a probe that declares its service starts as soon
        as ``up`` reports that service, while the rest of ``up`` still waits (probe_schedule.py); the
        suites start once ``up`` is over, beside the probes still running. Results enter the run in
        a fixed order (services, probes, suites) whatever order they finished in.

        Why the suites need not wait for the probes: neither reads the other's results, and on the
        shipped stack the Spark probe's job and the suite's Spark tests simply queue for the worker
        (Spark schedules the second application when the first lets go); the one fixed port they
        share, the AlertManager webhook receiver, is waited for by whoever comes second."""
        if self.spec.probes:
            self.schedule = ProbeSchedule(
                loaded=self.loaded,
                engine=engine,
                parallel=self.spec.settings.parallel,
                cancel=self.cancel,
                say=self.say,
            )
        try:
            running = self._reconcile(engine, self.schedule)
            self._checkpoint()
            if self.options.suites and self.spec.suites:
                self.tester = threading.Thread(target=self._suites_beside, name="suites")
                self.tester.start()
            if self.schedule is not None:
                self.display.stage(f"probes ({len(self.spec.probes)})")
                self.add(self.schedule.finish(running))
            self._checkpoint()
            if self.tester is not None:
                self._wait_for_suites()
        except BaseException:
            self.cancel.set()  # an interrupted run stops the suites too
            raise
        finally:
            if self.schedule is not None:
                self.schedule.close()
        if self.options.suites and self.spec.suites:
            self.add(self.suite_results)
            self.suite_results = []
        else:
            self._suites_not_run()

    def _wait_for_suites(self) -> None:
        """Until the suites end (each bounded by its ``timeout``, which the runner enforces) or the
        run is stopped; says what it waits for and until when."""
        assert self.tester is not None
        bound = sum(suite.timeout for suite in self.spec.suites.values())
        until = time.strftime("%H:%M:%S %Z", time.localtime(time.time() + bound))
        # an Event, not Thread.join: a signal landing inside join (Python 3.11) can leave the thread
        # reported as ended while it still runs, and the suite's results would be lost
        if not self.suites_done.is_set():
            self.say("wait", f"for the suites ({', '.join(self.spec.suites)}): at most until {until}")
        reminder = time.monotonic() + REMIND_EVERY
        while not self.suites_done.wait(timeout=0.2) and not self.cancel.is_set():
            if time.monotonic() >= reminder:
                self.say("wait", f"still waiting for the suites, at most until {until}")
                reminder += REMIND_EVERY
        self._checkpoint()
        self.suites_done.wait()  # the runner stops the suite's group within its grace once cancelled
        if self.suite_crash is not None:
            raise self.suite_crash

    def _reconcile(self, engine: Any, schedule: Any) -> dict[str, str]:
        """Services per ``--no-up``/``--plan``/up; returns service -> container id of those running.
        Under up, ``schedule`` hears of each service as soon as its outcome is known."""
        if engine is None or not self.spec.services:
            return {}
        stage = self.backend.services(
            self.loaded,
            engine,
            mode=self.options.mode,
            remove_orphans=self.options.remove_orphans,
            build=self.options.build,
            timeout=self.options.timeout,
            say=self.say,
            stage=self.display.stage,
            on_done=self._service_done,
        )
        self.run.timeline.extend(stage.timeline)
        self.add(stage.results)
        self.copies_now = stage.copies_now
        return stage.running

    @contextlib.contextmanager
    def _sampling(self, engine: Any) -> Iterator[None]:
        """Each service's memory and CPU sampled from before ``up`` until the probes and suites are
        over (run/usage.py); their ``usage`` results come after the suites'."""

        stage = UsageStage(self.loaded, engine, self.backend.unfollowed, self.watcher)
        stage.start()
        try:
            yield
        except BaseException:
            stage.stop()
            raise
        results, series, unavailable = stage.finish()
        self.add(results)
        self.run.usage = self.redactor.deep(series)
        with self.lock:
            for key, why in unavailable.items():
                self._record(key, Evidence.unavailable("usage", why))

    def _suites_beside(self) -> None:
        try:
            self._suites()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, raised there
            self.suite_crash = exc
        finally:
            self.suites_done.set()

    def _suites(self) -> None:
        """Each suite in turn, its results kept as soon as it ends (an interrupted run keeps them);
        none starts once the run is stopping."""

        for name in self.spec.suites:
            if self.cancel.is_set():
                break
            self.display.stage(f"suite {name}")
            results, tests = run_suite(self.loaded, name, self.output, self.cancel, target=self.options.host)
            for test in tests:
                test.message = self.redactor.text(test.message)
                test.nodeid = self.redactor.text(test.nodeid)  # parametrized ids carry values too
            with self.lock:
                self.run.tests.extend(tests)
                self.suite_results.extend(results)

    def _suites_not_run(self) -> None:
        """``--no-suites``: a criterion reading a suite's counts says why it has none."""

        for name, suite in self.spec.suites.items():
            why = f"suite {name} did not run (--no-suites)"
            # a result of its own in every report, so a run that left its suites out says so wherever it
            # is read (adversary stop8 case 10: "PASSED", "0 results", and `report` without a word)
            self.add(
                [
                    Result(
                        kind="suite",
                        name=name,
                        verdict="skip",
                        message=why,
                        location=locate(self.loaded, ("suites", name)),
                    )
                ]
            )
            for member, family in ((name, "suite"), *((group, "group") for group in suite.groups)):
                for field in FIELDS:
                    self._record(metric_name(family, member, field), Evidence.unavailable(f"suite {name}", why))
            for key, reason in not_run(name, suite, why).items():
                self._record(key, Evidence.unavailable(f"suite {name}", reason))

    # --- the run watched; a run stopped early ----------------------------------------------
    def _service_done(self, outcome: Any) -> None:
        """``up``'s word on one service: its watch counts from now; its probes start. A container ``up``
        started or waited for is watched from when it found it ready; one it kept as it was (nothing
        measured) from the watcher's start, before the observation the plan relied on: up tells of a
        kept service only once the plan's stops, pulls and builds are done, and a death in between
        was judged by nobody (adversary graph4 case 05). The window is the one ``restarts`` counts."""
        self.ready_at[outcome.name] = time.time()
        measured = outcome.measured or {}
        for container, timing in measured.items():
            ready = timing.healthy_at or timing.ready_at or timing.running_at
            if ready is not None:
                self.ready_each[container] = ready
        if self.watcher is not None:
            for container in outcome.containers or ((outcome.container,) if outcome.container else ()):
                if container not in measured:
                    self.ready_each[container] = self.watcher.started_at
        if self.schedule is not None:
            self.schedule.service_done(outcome)

    @contextlib.contextmanager
    def _watching(self, engine: Any) -> Iterator[None]:
        """The run watcher from before ``up`` to the last observation; while it runs, losing the
        engine stops the run (in the main thread, wherever it waits: validator/abort.py)."""
        if engine is None or not self.spec.services or self.backend.unfollowed:
            yield
            return

        self.watcher = RunWatcher(engine, self.spec.project, on_lost=self._lost).start()
        try:
            # only a run in the main thread is woken by a signal; one of several targets sees ``cancel``
            with abort.armed() if self.main_thread else nullcontext():
                yield
        finally:
            self.watcher.stop()

    def _lost(self, lost: Any) -> None:
        """The watcher's thread: the engine is gone. Stop the suites and probes and end the run."""

        error = EngineLost(lost.at, lost.reason, self.run.engine or "")
        self.stop_reason = error
        self.cancel.set()
        self.say("engine", f"{error}: stopping the suites and probes")
        if self.main_thread:
            abort.raise_in_main(error)

    def _last_observation(self) -> None:
        """After the probes and suites: every service judged over the whole run (checks/watched.py)."""
        if self.watcher is None:
            return

        with self.lock:
            services = [(i, r) for i, r in enumerate(self.produced) if r.kind == "service"]
        amended = rejudge(
            self.loaded,
            self.watcher,
            services,
            self.ready_at,
            self.run.started_at,
            self.ready_each,
            copies_now=self.copies_now,
        )
        for index, result in amended:
            self._amend(index, result)

    def _unmade_probes(self) -> None:
        """A probe skipped because its service was not running (or no engine was there) is an ERROR
        unless that service's own result fails the run: a job that completed, a service that ran its
        course, otherwise leave a declared check never made under a PASSED run (adversary stop8 case 12:
        a log probe of a completed job, skipped; the job had migrated nothing)."""
        with self.lock:
            verdicts = {r.name: r.verdict for r in self.run.results if r.kind == "service"}
            skipped = [(i, r) for i, r in enumerate(self.produced) if r.kind == "probe" and r.verdict == "skip"]
        for index, raw in skipped:
            service = self.spec.probes[raw.name].service if raw.name in self.spec.probes else None
            if service is not None and verdicts.get(service) in FAILING:
                continue  # the service's own FAIL or ERROR carries the run
            held = f"service {service} is {verdicts.get(service, 'not judged')}" if service else "it names no service"
            why = f"did not run ({raw.message}) and {held}: the check the spec declares was never made"
            self._amend(index, dataclasses.replace(raw, verdict="error", message=why))

    def _amend(self, index: int, raw: Result) -> None:
        """Put ``raw`` (redacted) in the place of the run's result at ``index`` (a service judged again
        after the last observation): its evidence replaces the old result's."""
        result = self.redactor.deep(raw)
        with self.lock:
            old = self.run.results[index]
            for key in (*old.metrics, *old.bounds, *old.unavailable):
                self.run.evidence.pop(key, None)
            self.run.results[index] = result
            self.produced[index] = raw
            self._evidence_of(result)
        if result.verdict != old.verdict:
            self.display.result(result)

    def _stop_early(self, exc: BaseException) -> None:
        """An interrupt or the engine's loss: stop every child, keep what was judged, make everything
        not finished an ERROR saying why, and mark the run (no verdict)."""

        self.cancel.set()
        kind: Kind
        if isinstance(exc, Interrupted | KeyboardInterrupt):
            self.run.interrupted = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
            why, kind = f"interrupted by {self.run.interrupted}", "run"
        elif isinstance(exc, UnreachableError):
            self.run.engine_lost = self.redactor.text(str(exc))
            why, kind = self.run.engine_lost, "engine"
        else:
            why = f"the run stopped: {self.redactor.text(str(exc))}"
            kind = "lock" if isinstance(exc, LockedError) else "engine"
        # every early end is a result of its own, ERROR, in every report: a report that lists results
        # (JUnit's cases, Markdown's rows) must not read as green because everything it shows was judged
        # before the stop (adversary stop8 case 06: SIGTERM after the suites, JUnit without a failure)
        self.add([Result(kind=kind, name="run finished", verdict="error", expected="the run ends", message=why)])
        self.say("stop", f"{why}: writing what is known")
        if self.run.interrupted:
            # the whole process is stopping: every suite and probe job, now. Said first: stopping may
            # take the children's grace, and the user who reads it may end that with a second signal
            children.stop_all()
        if self.tester is not None:
            # bounded: the runner sees the cancel within 0.2 s and stops its group within STOP_GRACE
            self.suites_done.wait(timeout=children.STOP_GRACE + 3.0)
        with self.lock:
            suites, self.suite_results = list(self.suite_results), []
        done = self.schedule.done() if self.schedule is not None else {}
        wanted = self.options.suites and bool(self.spec.suites)
        self.add(unfinished(self.loaded, self.run, why, suites=suites, probes_done=done, suites_wanted=wanted))
        if not wanted:
            self._suites_not_run()
        if self.run.engine_lost is not None:
            for index, result in lost_services(self.produced, self.loaded, why):
                self._amend(index, result)
        with contextlib.suppress(Exception):
            self._metrics()
        if self.run.engine_lost is not None and not self.run.interrupted:
            self._criteria(stopped=why)
        else:
            self.add(not_judged(self.loaded, why))

    def _metrics(self) -> None:
        with self.lock:
            self._measured(measure(self.loaded, engine_address(self.options.host)), "preflight")
            self._measured(tally(self.run.results, time.time() - self.run.started_at), "checks tally")
        self.run.dimensions = {key: dim for key, dim in run_catalog(self.loaded).items() if key in self.run.evidence}

    def _criteria(self, stopped: str | None = None) -> None:
        """Each criterion judged over the run's evidence. A run that ``stopped`` before its verdict (the
        engine lost) still shows what already failed, but nothing it judges can pass: evidence taken
        before the stop (a probe's answer, a sample) does not show it held until the verdict (adversary
        stop8 case 11: a probe's PASS kept exact, and a criterion over it passed in an ENGINE LOST run)."""
        if not self.spec.criteria:
            return

        self.display.stage(f"criteria ({len(self.spec.criteria)})")
        declared = list(run_catalog(self.loaded))
        judged = evaluate_criteria(self.loaded, self.run.evidence, declared, self.run.dimensions)
        if stopped is not None:
            judged = [
                r
                if r.failed
                else dataclasses.replace(
                    r, verdict="error", message=f"not judged: {stopped} (what it read was taken before the stop)"
                )
                for r in judged
            ]
        self.add(judged)
