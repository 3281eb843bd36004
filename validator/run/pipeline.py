"""``check``: spec -> preflight, config keys, Python deps (concurrently) -> reconcile, with each
service's probes starting as soon as that service is ready -> the other probes, with the suites
beside them -> metrics -> criteria. Nothing aborts the run but a bad spec (raised
before this) or an engine that does not answer (exit 3); every other problem is a result."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

from validator.catalog import run_catalog
from validator.checks.registry import STATIC_STAGES, CheckContext
from validator.core.metrics import Evidence, MetricKey, metric_name
from validator.core.result import Kind, Result, locate
from validator.core.run import RunResult, ServiceTimeline
from validator.errors import EngineError, Interrupted, UnreachableError
from validator.redact import Redactor
from validator.spec.load import LoadedSpec
from validator.ui import Display

Mode = Literal["up", "no-up", "plan"]
DOCKER_PROBES = ("command", "container", "log")


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
    orchestrator: str = "containers"


def git_commit(folder: Any) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=5)
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
        self.display = display
        self.redactor = redactor or Redactor(loaded.secrets())
        self.cancel = threading.Event()
        self.run = RunResult(
            project=self.spec.project,
            spec_files=list(loaded.files),
            spec_hash=loaded.text_hash,
            started_at=time.time(),
            git_commit=git_commit(loaded.base_dir),
            mode=options.mode,
            invocation=options.invocation,
        )
        self.lock = threading.Lock()

    def say(self, who: str, message: str) -> None:
        self.display.progress(who, self.redactor.text(message))

    def output(self, who: str, line: str) -> None:
        self.display.output(who, self.redactor.text(line))

    def add(self, results: Iterable[Result]) -> None:
        """The one way a result enters the run: redacted, stored, shown; each of its metrics recorded
        with its producer as evidence: exact, within bounds, or unavailable, with why."""
        for raw in results:
            result = self.redactor.deep(raw)  # every text field, reasons and bounds included
            producer = f"{result.kind} {result.id}"
            with self.lock:
                self.run.results.append(result)
                self._measured(result.metrics, producer)
                for key, bounds in result.bounds.items():
                    self._record(key, Evidence.bounded(producer, bounds))
                for key, reason in result.unavailable.items():
                    self._record(key, Evidence.unavailable(producer, reason))
            self.display.result(result)

    def _measured(self, metrics: Mapping[MetricKey, float], producer: str) -> None:
        for key, value in metrics.items():
            self._record(key, Evidence.exact(producer, value))

    def _record(self, key: MetricKey, evidence: Evidence) -> None:
        known = self.run.evidence.get(key)
        if known is not None and not known.is_exact:
            return  # what was found missing stays so: no later value may paper over it
        self.run.evidence[key] = evidence

    def execute(self) -> RunResult:
        from validator.engine.docker_api import Engine
        from validator.engine.lock import ProjectLock

        needs_engine = bool(self.spec.services) or any(
            getattr(p, "kind", "") in DOCKER_PROBES for p in self.spec.probes.values()
        )
        engine = Engine.connect(self.options.host) if needs_engine else None
        if engine is not None:
            engine.version()
            self.run.engine = engine.address
        guard = (
            ProjectLock(self.spec.project, engine, self.options.lock_timeout, lambda m: self.say("lock", m), "check")
            if engine is not None
            else nullcontext()
        )
        try:
            with guard:
                self._static(engine)
                with self._sampling(engine):
                    self._reconcile_probe_and_test(engine)
                self._metrics()
                self._criteria()
        except (Interrupted, KeyboardInterrupt):
            self.cancel.set()
            raise
        finally:
            self.run.finished_at = time.time()
            self.display.close()
        return self.run

    # --- stages -------------------------------------------------------------------------------
    def _static(self, engine: Any) -> None:
        self.display.stage("preflight, configuration keys, Python dependencies")
        ctx = CheckContext(self.loaded, engine)
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
        schedule = None
        if self.spec.probes:
            from validator.run.probe_schedule import ProbeSchedule

            schedule = ProbeSchedule(self.loaded, engine, self.spec.settings.parallel, self.cancel, self.say)
        suites: list[Result] = []
        crashed: list[BaseException] = []
        tester: threading.Thread | None = None
        try:
            running = self._reconcile(engine, schedule)
            if self.options.suites and self.spec.suites:
                tester = threading.Thread(target=self._suites_beside, args=(suites, crashed), name="suites")
                tester.start()
            if schedule is not None:
                self.display.stage(f"probes ({len(self.spec.probes)})")
                self.add(schedule.finish(running))
        except BaseException:
            self.cancel.set()  # an interrupted run stops the suites too
            raise
        finally:
            if schedule is not None:
                schedule.close()
            if tester is not None:
                tester.join()
        if crashed:
            raise crashed[0]
        if self.options.suites and self.spec.suites:
            self.add(suites)
        else:
            self._suites_not_run()

    def _reconcile(self, engine: Any, schedule: Any) -> dict[str, str]:
        """Services per ``--no-up``/``--plan``/up; returns service -> container id of those running.
        Under up, ``schedule`` hears of each service as soon as its outcome is known."""
        if engine is None or not self.spec.services:
            return {}
        from validator.checks import services
        from validator.engine.reconcile import make_plan, up

        mode = self.options.mode
        if self.options.orchestrator == "swarm":
            from validator.swarm.check import service_stage

            self.display.stage("swarm services" + {"up": " (up)", "plan": " (plan only)"}.get(mode, " (--no-up)"))
            swarm_results, running = service_stage(
                self.loaded,
                engine,
                mode=mode,
                remove_orphans=self.options.remove_orphans,
                timeout=self.options.timeout,
                say=self.say,
                drift=_drift_results,
            )
            self.add(swarm_results)
            return running
        if mode == "plan":
            self.display.stage("drift (plan only, nothing changes)")
            planned = make_plan(self.loaded, engine, remove_orphans=self.options.remove_orphans)
            self.add(_drift_results(self.loaded, planned.plan))
            results, running = services.observed(self.loaded, engine)
        elif mode == "no-up":
            # judging what runs includes whether it is what the spec says: a container whose command,
            # environment or ports drifted is not the infrastructure the spec describes (plan exits 1 on it)
            self.display.stage("services as they run now, and drift from the spec (--no-up)")
            planned = make_plan(self.loaded, engine, remove_orphans=self.options.remove_orphans)
            self.add(_drift_results(self.loaded, planned.plan))
            results, running = services.observed(self.loaded, engine)
        else:
            self.display.stage("reconcile (up)")
            try:
                result = up(
                    self.loaded,
                    engine,
                    progress=self.say,
                    remove_orphans=self.options.remove_orphans,
                    build=self.options.build,
                    timeout=self.options.timeout,
                    lock=False,
                    on_done=schedule.service_done if schedule is not None else None,
                )
            except EngineError as exc:
                self.add([services.not_reconciled(self.loaded, exc)])
                results, running = services.observed(self.loaded, engine)
                self.add(results)
                return running
            results, running = services.from_up(self.loaded, result, engine)
            for name in result.plan.order:
                r = result.services.get(name)
                if r and r.timing:
                    self.run.timeline.append(
                        ServiceTimeline(
                            service=name,
                            requested_at=r.timing.requested_at,
                            running_at=r.timing.running_at,
                            healthy_at=r.timing.healthy_at,
                        )
                    )
        self.add(results)
        return running

    @contextlib.contextmanager
    def _sampling(self, engine: Any) -> Iterator[None]:
        """Each service's memory and CPU sampled from before ``up`` until the probes and suites are
        over (run/usage.py); their ``usage`` results come after the suites'."""
        from validator.run.usage import UsageStage

        stage = UsageStage(self.loaded, engine, self.options.orchestrator)
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

    def _suites_beside(self, into: list[Result], crashed: list[BaseException]) -> None:
        try:
            into.extend(self._suites())
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, raised there
            crashed.append(exc)

    def _suites(self) -> list[Result]:
        from validator.suites.runner import run_suite

        out: list[Result] = []
        for name in self.spec.suites:
            self.display.stage(f"suite {name}")
            results, tests = run_suite(self.loaded, name, self.output, self.cancel)
            for test in tests:
                test.message = self.redactor.text(test.message)
                test.nodeid = self.redactor.text(test.nodeid)  # parametrized ids carry values too
            self.run.tests.extend(tests)
            out.extend(results)
        return out

    def _suites_not_run(self) -> None:
        """``--no-suites``: a criterion reading a suite's counts says why it has none."""
        from validator.suites.coverage import not_run
        from validator.suites.verdict import FIELDS

        for name, suite in self.spec.suites.items():
            why = f"suite {name} did not run (--no-suites)"
            for member, family in ((name, "suite"), *((group, "group") for group in suite.groups)):
                for field in FIELDS:
                    self._record(metric_name(family, member, field), Evidence.unavailable(f"suite {name}", why))
            for key, reason in not_run(name, suite, why).items():
                self._record(key, Evidence.unavailable(f"suite {name}", reason))

    def _metrics(self) -> None:
        from validator.checks.preflight import measure
        from validator.core.tally import tally

        with self.lock:
            self._measured(measure(self.loaded), "preflight")
            self._measured(tally(self.run.results, time.time() - self.run.started_at), "checks tally")
        self.run.dimensions = {key: dim for key, dim in run_catalog(self.loaded).items() if key in self.run.evidence}

    def _criteria(self) -> None:
        if not self.spec.criteria:
            return
        from validator.criteria.evaluate import evaluate_criteria

        self.display.stage(f"criteria ({len(self.spec.criteria)})")
        declared = list(run_catalog(self.loaded))
        self.add(evaluate_criteria(self.loaded, self.run.evidence, declared, self.run.dimensions))


def _drift_results(loaded: LoadedSpec, plan: Any) -> list[Result]:
    out = []
    for conflict in plan.conflicts:
        out.append(
            Result(
                kind="drift",
                name="conflict",
                verdict="fail",
                expected="no foreign object in the way",
                actual="conflict",
                message=conflict,
            )
        )
    for action in plan.actions:
        out.append(
            Result(
                kind="drift",
                name=f"{action.kind} {action.target}",
                verdict="fail",
                expected="matches the spec",
                actual=action.kind,
                message="; ".join(action.reasons),
                location=locate(loaded, ("services", action.service)) if action.service else None,
            )
        )
    for name in plan.unchanged:
        out.append(
            Result(
                kind="drift",
                name=name,
                verdict="pass",
                expected="matches the spec",
                actual="unchanged",
                location=locate(loaded, ("services", name)),
            )
        )
    return out
