"""Run one probe: skip when its service is not running, cut it at its timeout, retry with backoff,
and turn ``expect: fail`` into an expected failure (xfail) — or an error when it passes, and a failure
when it got no answer from its target at all (an expected failure must be observed).

A probe observes its target: what the target does wrong (refuses, answers badly, times out) is a
*fail*. When the probe's own code raises (a ``TypeError``, a ``KeyError`` on an answer it did not
expect to parse) it observed nothing: that is an *error* with the exception's type and message (the
traceback with ``--debug``), and its metrics are unavailable.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.checks.peer import Peer, judge_answer
from validator.checks.peer import judge as judge_peer
from validator.core.location import Location
from validator.core.metrics import Declared, Family, MetricKey, metric_name
from validator.core.result import Result, Verdict, locate
from validator.errors import EngineError, FatalError
from validator.probes.base import Outcome, ProbeContext, ProbeSkip
from validator.probes.registry import PROBES
from validator.redact import clip
from validator.spec.load import LoadedSpec

if TYPE_CHECKING:
    from validator.spec.model import Spec

# Exceptions that report what the target did: I/O and HTTP errors (requests' are OSErrors), the
# engine's errors, a malformed answer (ValueError, json's included), and the errors of the database
# and data libraries probes drive, recognised by module so that none is imported here.
_OBSERVED: tuple[type[BaseException], ...] = (OSError, FatalError, ValueError)
_OBSERVED_MODULES = ("mysql.connector", "deltalake", "pyspark", "py4j", "requests", "urllib3")


def _probes(spec: Spec) -> Mapping[str, Any]:
    return spec.probes


def _of_kind(kind: str, declared: Declared) -> Declared:
    return dataclasses.replace(declared, applies=lambda probe: probe.kind == kind, when=f"of kind {kind}")


def _family() -> Family:
    """The fields every probe has, and those each kind declares in its registry entry."""
    common = (
        Declared(field="duration", dimension="time", meaning="the probe's time, retries included"),
        Declared(field="passed", dimension="", meaning="1 when the probe passed, else 0"),
    )
    by_kind = tuple(_of_kind(kind, d) for kind, entry in PROBES.items() for d in entry.metrics if d.field != "duration")
    return Family(
        name="probe",
        members=_probes,
        metrics=(*common, *by_kind),
        doc="each probe's time and verdict (1/0), and what its kind measures",
    )


METRICS = _family()


def _crashed(exc: BaseException) -> bool:
    if isinstance(exc, _OBSERVED):
        return False
    return not any(type(exc).__module__.startswith(m) for m in _OBSERVED_MODULES)


def _left_out(loaded: LoadedSpec, service: str | None) -> str:
    """Why ``service`` runs no container in this run by design ("" when it runs or is not a service)."""
    from validator.spec.profiles import active, enabled

    svc = loaded.spec.services.get(service) if service is not None else None
    if svc is None:
        return ""
    if service not in active(loaded.spec.services, loaded.environment):
        on = ", ".join(sorted(enabled(loaded.environment))) or "none"
        return f"runs only under profile(s) {', '.join(svc.profiles)} (enabled: {on})"
    if svc.replicas == 0:
        return "is scaled to 0"
    return ""


def run_probe(
    loaded: LoadedSpec,
    name: str,
    ctx: ProbeContext,
    cancel: threading.Event | None = None,
    unready: Mapping[str, str] | None = None,
) -> Result:
    """One probe's result. ``unready`` names the services ``up`` could not make ready, with why: a
    probe of one is skipped like one whose service is not running (what it saw would be no evidence)."""
    spec: Any = loaded.spec.probes[name]
    where = locate(loaded, ("probes", name))
    left_out = _left_out(loaded, spec.service)
    if left_out:
        # a probe the spec declares is a check the run owes: its service not running by design (a
        # profile not enabled, scale 0) makes it unmeasured, never a quiet skip a run can pass with
        why = f"probe {name} needs service {spec.service}, which {left_out}: it cannot run"
        return Result(
            kind="probe",
            name=name,
            verdict="error",
            message=why,
            location=where,
            unavailable=_unavailable(spec, name, why),
        )
    if spec.service is not None and (spec.service not in ctx.running or spec.service in (unready or {})):
        why = (unready or {}).get(spec.service) or f"service {spec.service} is not running"
        return _skipped(spec, name, why, where, duration=0.0)
    peer = judge_peer(spec, ctx)
    if peer.foreign:
        foreign = peer.foreign
        reason = f"probe {name} did not reach its service: {foreign}"
        return Result(
            kind="probe",
            name=name,
            verdict="fail",
            expected=f"an answer from service {spec.service}",
            actual="another process",
            message=foreign,
            location=where,
            unavailable=_unavailable(spec, name, reason),
            ran_on=_ran_on(spec, ctx),
        )
    began = time.monotonic()
    tried = _attempts(spec, ctx, began + spec.timeout, cancel)
    elapsed = time.monotonic() - began
    if tried.skip is not None:
        return _skipped(spec, name, tried.skip, where, duration=elapsed)
    if tried.crash is not None:
        crashed = _crash_result(spec, name, tried.crash, tried.problem, elapsed, where, tried.count)
        return dataclasses.replace(crashed, ran_on=_ran_on(spec, ctx))
    answered = _answered_by(spec, tried, ctx)
    judged = _judged(spec, name, tried, elapsed, where, ctx)
    unverified = "; ".join(u for u in (peer.unverified, answered.unverified) if u)
    if unverified and judged.verdict == "pass":
        # what could not be told of the peer is said with the pass, never dropped
        return dataclasses.replace(judged, message=f"{judged.message} ({unverified})".strip())
    return judged


def _answered_by(spec: Any, tried: _Tried, ctx: ProbeContext) -> Peer:
    """The peer of the URL a passing answer came from when it is not the spec's (a redirect
    followed): judged as the spec's own; a foreign one turns the outcome into a failure."""
    outcome = tried.outcome
    if outcome is None or not outcome.passed or not outcome.answered_by:
        return Peer()
    found = judge_answer(spec, outcome.answered_by, ctx)
    if found.foreign:
        tried.outcome = Outcome(
            passed=False,
            expected=f"an answer from service {spec.service}",
            actual="another process",
            message=f"the redirect it followed led to {clip(outcome.answered_by, 200)}: {found.foreign}",
        )
    return found


@dataclasses.dataclass(kw_only=True)
class _Tried:
    """What the attempts came to: the last outcome, or why there is none (no answer, a crash, a skip)."""

    count: int = 0
    outcome: Outcome | None = None
    problem: str = ""
    crash: BaseException | None = None
    skip: str | None = None


def _attempts(spec: Any, ctx: ProbeContext, deadline: float, cancel: threading.Event | None) -> _Tried:
    """Attempts until one passes, the retries are spent, the deadline comes or the run is stopped;
    the pause between them doubles from ``retry_interval``."""
    tried = _Tried()
    delay = spec.retry_interval
    while True:
        tried.count += 1
        remaining = deadline - time.monotonic()
        sub = dataclasses.replace(ctx, deadline=deadline)
        try:
            tried.outcome = _attempt_replicas(spec.kind, spec, sub, remaining)
            tried.problem, tried.crash = "", None
        except ProbeSkip as exc:
            tried.skip = str(exc)
            return tried
        except (_Abandoned, TimeoutError):
            tried.outcome, tried.problem, tried.crash = None, f"no answer within {spec.timeout:g}s", None
        except Exception as exc:  # noqa: BLE001 - a probe's failure is a verdict; its own crash an error
            tried.outcome, tried.problem = None, _explain(exc)
            tried.crash = exc if _crashed(exc) else None
        if (tried.outcome is not None and tried.outcome.passed) or tried.count > spec.retries:
            return tried
        if cancel is not None and cancel.is_set():
            return tried
        pause = min(delay, deadline - time.monotonic())
        if pause <= 0:
            return tried
        (cancel or threading.Event()).wait(pause)
        delay *= 2


def _skipped(spec: Any, name: str, why: str, where: Location | None, *, duration: float) -> Result:
    return Result(
        kind="probe",
        name=name,
        verdict="skip",
        message=why,
        duration=duration,
        location=where,
        unavailable=_unavailable(spec, name, f"probe {name} did not run: {why}"),
    )


def _judged(spec: Any, name: str, tried: _Tried, elapsed: float, where: Location | None, ctx: ProbeContext) -> Result:
    """The verdict on what the last attempt observed, ``expect: fail`` applied."""
    outcome = tried.outcome
    passed = outcome is not None and outcome.passed
    metrics = {metric_name("probe", name, "duration"): elapsed, metric_name("probe", name, "passed"): float(passed)}
    if outcome is not None and passed:
        metrics.update({metric_name("probe", name, k): v for k, v in outcome.metrics.items() if k != "duration"})
    expected = outcome.expected if outcome else ""
    actual = outcome.actual if outcome else "error"
    message = (outcome.message if outcome else tried.problem) or ""
    if tried.count > 1:
        message = f"{message} (after {tried.count} attempts)".strip()
    # What its kind measures is evidence only from a probe that passed: a failed (or expected-to-fail)
    # probe's figures describe a run that went wrong — a CDC path timed although its MERGE lost the
    # changes is no "change in Delta within 60 s". Its own duration and ``passed`` stay (they are
    # validator's); the rest is unavailable, so a criterion reading it is an error, never a pass.
    missing = {
        metric_name("probe", name, k): f"probe {name} failed, so its measurements are no evidence: {message or actual}"
        for k in (outcome.metrics if outcome is not None and not passed else {})
        if k != "duration"
    }
    missing.update(
        {
            k: f"probe {name} did not measure it: {message or actual}"
            for k in _unavailable(spec, name, "")
            if k not in metrics and k not in missing
        }
    )
    verdict: Verdict = "pass" if passed else "fail"
    if spec.expect == "fail" and passed:
        verdict, expected = "error", "fail (expected)"
        message = f"expected to fail ({spec.reason}) but passed: remove expect: fail"
    elif spec.expect == "fail" and (outcome is None or not outcome.reached):
        # an expected failure is a failure the probe *observed*: its target answered, wrongly. One that
        # got no answer at all (refused, reset, silent, unresolvable) saw nothing of the known bug the
        # reason describes — the target may simply be gone — so it stays a failure
        message = f"expected to fail ({spec.reason}), but it observed nothing of its target: {message or actual}"
    elif spec.expect == "fail":
        verdict = "xfail"
        message = f"expected failure: {spec.reason}" + (f" ({message})" if message else "")
    return Result(
        kind="probe",
        name=name,
        verdict=verdict,
        expected=expected,
        actual=actual,
        message=message,
        duration=elapsed,
        location=where,
        metrics=metrics,
        unavailable=missing,
        ran_on=_ran_on(spec, ctx),
    )


def _ran_on(spec: Any, ctx: ProbeContext) -> str:
    """Which machine the probe ran on: a container's engine (by its ID), or this host by name."""
    host = f"this host ({socket.gethostname()})"
    if not PROBES[spec.kind].in_container or ctx.engine_factory is None:
        return host
    try:
        engine = ctx.engine()
        identity = getattr(engine, "identity", None)  # an engine stand-in in a test may not name itself
        who = identity() if callable(identity) else "an engine"
        return f"{who} at {getattr(engine, 'address', '?')}" + (f", service {spec.service}" if spec.service else "")
    except FatalError:
        return f"an engine that did not say which it is, from {host}"


def _unavailable(spec: Any, name: str, reason: str) -> dict[MetricKey, str]:
    """Every metric this probe declares (its kind's too), unavailable for ``reason``."""
    fields = [d.field for d in METRICS.metrics if d.applies is None or d.applies(spec)]
    return {metric_name("probe", name, f): reason for f in fields}


def _crash_result(
    spec: Any, name: str, exc: BaseException, problem: str, elapsed: float, where: Location | None, attempts: int
) -> Result:
    message = f"the probe itself crashed: {problem}" + (f" (after {attempts} attempts)" if attempts > 1 else "")
    if os.environ.get("VALIDATOR_DEBUG"):
        message += "\n" + "".join(traceback.format_exception(exc)).rstrip()
    return Result(
        kind="probe",
        name=name,
        verdict="error",
        actual="crashed",
        message=message,
        duration=elapsed,
        location=where,
        unavailable=_unavailable(spec, name, f"probe {name} crashed: {problem}"),
    )


class _Abandoned(Exception):
    """The attempt outlived its time and was left running in its thread."""


def _attempt_replicas(kind: str, spec: Any, ctx: ProbeContext, timeout: float) -> Outcome:
    """A probe that reads a container vouches for every replica of its service (a scaled service's
    probe named after it judged only replica 1): it runs against each running replica in turn, passes
    only when every one passes and the service runs as many as the spec asks, and names each failing
    replica. Each metric is its largest replica's (the worst)."""
    replicas = _replica_containers(spec, ctx) if PROBES[kind].in_container else []
    if not replicas or (len(replicas) == 1 and _wanted_replicas(spec, ctx) <= 1):
        # one container, or none labelled as a replica (Swarm's tasks): the container ``running`` names
        return _attempt(kind, spec, ctx, timeout)
    began = time.monotonic()
    outcomes: list[tuple[int, Outcome]] = []
    for index, (number, container) in enumerate(replicas):
        # each replica gets an equal share of what is left, so one that never answers (a log line that
        # never comes) leaves time for the others and is named
        share = max(0.0, timeout - (time.monotonic() - began)) / (len(replicas) - index)
        sub = dataclasses.replace(
            ctx, running={**ctx.running, spec.service: container}, deadline=time.monotonic() + share
        )
        try:
            outcomes.append((number, _attempt(kind, spec, sub, share)))
        except (_Abandoned, TimeoutError):
            outcomes.append(
                (number, Outcome(passed=False, actual="no answer", message=f"no answer within {share:.1f}s"))
            )
    wanted = _wanted_replicas(spec, ctx)
    problems = [f"replica {n}: {o.message or o.actual}" for n, o in outcomes if not o.passed]
    if len(outcomes) < wanted:
        problems.append(f"ran against {len(outcomes)} of {wanted} replicas: the others are not running")
    metrics: dict[str, float] = {}
    for _, outcome in outcomes:
        for field, value in outcome.metrics.items():
            metrics[field] = max(value, metrics.get(field, value))
    first = outcomes[0][1]
    actuals = {o.actual for _, o in outcomes}
    return Outcome(
        passed=not problems,
        expected=f"{first.expected} (every replica)",
        actual=actuals.pop() if len(actuals) == 1 else "; ".join(f"replica {n}: {o.actual}" for n, o in outcomes),
        message="; ".join(problems) or f"every replica ({len(outcomes)}) checked",
        metrics=metrics,
    )


def _wanted_replicas(spec: Any, ctx: ProbeContext) -> int:
    svc = ctx.spec.services.get(spec.service) if spec.service is not None else None
    return svc.replicas if svc is not None and PROBES[spec.kind].in_container else 1


def _replica_containers(spec: Any, ctx: ProbeContext) -> list[tuple[int, str]]:
    """(replica number, container ID) of every running container of the probe's service, by number, as
    the engine labels them (validator writes Compose's labels too, so a Compose-started stack counts)."""
    from validator.engine import compose_labels as CL
    from validator.engine.observed import replica_number

    if spec.service is None or ctx.engine_factory is None:
        return []
    labels = [f"{CL.PROJECT}={ctx.spec.project}", f"{CL.SERVICE}={spec.service}"]
    try:
        found = ctx.engine().containers({"label": labels, "status": ["running"]})
    except EngineError:
        return []  # the single attempt meets the same engine and says what is wrong
    return sorted((replica_number((c.get("Labels") or {}).get(CL.NUMBER)), str(c["Id"])) for c in found)


def _attempt(kind: str, spec: Any, ctx: ProbeContext, timeout: float) -> Outcome:
    """One attempt in a worker thread, abandoned at ``timeout`` (a hung target never hangs the run)."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["outcome"] = PROBES[kind].run(spec, ctx)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    worker = threading.Thread(target=work, name=f"probe-{kind}", daemon=True)
    worker.start()
    worker.join(max(0.0, timeout))
    if worker.is_alive():
        raise _Abandoned
    if "error" in box:
        raise box["error"]
    outcome: Outcome = box["outcome"]
    return outcome


def _explain(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    try:
        import requests  # here: requests' error classes, only once a probe has failed

        if isinstance(exc, requests.exceptions.ConnectionError):
            text = "connection refused or reset" if "refused" in text.lower() or "reset" in text.lower() else text
            return f"cannot connect: {clip(text, 200)}"
        if isinstance(exc, requests.exceptions.Timeout):
            return f"no answer in time: {clip(text, 200)}"
        if isinstance(exc, requests.exceptions.InvalidHeader):
            # requests quotes the header it refuses, and a header is where a credential is sent (a
            # block scalar's newline after a token): the error never quotes what it failed on
            return (
                "InvalidHeader: a header requests refuses (a value that ends in a newline or starts "
                "with a space, or one that is not text); the value is not shown"
            )
    except ImportError:
        pass
    if isinstance(exc, OSError | ConnectionError):
        return f"{type(exc).__name__}: {clip(text, 200)}"
    return f"{type(exc).__name__}: {clip(text, 300)}"


def stopped(loaded: LoadedSpec, name: str, why: str) -> Result:
    """A probe the run stopped before it finished (interrupted, the engine lost): an error."""
    spec: Any = loaded.spec.probes[name]
    return Result(
        kind="probe",
        name=name,
        verdict="error",
        actual="not finished",
        message=f"not finished: {why}",
        location=locate(loaded, ("probes", name)),
        unavailable=_unavailable(spec, name, f"probe {name} did not finish: {why}"),
    )
