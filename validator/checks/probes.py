"""Run one probe: skip when its service is not running, cut it at its timeout, retry with backoff,
and turn ``expect: fail`` into an expected failure (xfail) — or an error when it passes."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from validator.core.result import Result, locate
from validator.probes.base import Outcome, ProbeContext, ProbeSkip
from validator.probes.registry import probe_module
from validator.spec.load import LoadedSpec


def run_probe(loaded: LoadedSpec, name: str, ctx: ProbeContext, cancel: threading.Event | None = None) -> Result:
    spec: Any = loaded.spec.probes[name]
    where = locate(loaded, ("probes", name))
    kind = spec.kind
    if spec.service is not None and spec.service not in ctx.running:
        return Result("probe", name, "skip", "", "", f"service {spec.service} is not running", 0.0, where)
    began = time.monotonic()
    deadline = began + spec.timeout
    delay = spec.retry_interval
    attempts = 0
    outcome: Outcome | None = None
    problem = ""
    while True:
        attempts += 1
        remaining = deadline - time.monotonic()
        sub = dataclasses.replace(ctx, deadline=deadline)
        try:
            outcome = _attempt(kind, spec, sub, remaining)
            problem = ""
        except ProbeSkip as exc:
            return Result("probe", name, "skip", "", "", str(exc), time.monotonic() - began, where)
        except TimeoutError:
            outcome, problem = None, f"no answer within {spec.timeout:g}s"
        except Exception as exc:  # noqa: BLE001 - a probe's failure is a verdict, not a crash
            outcome, problem = None, _explain(exc)
        if (outcome is not None and outcome.passed) or attempts > spec.retries:
            break
        if cancel is not None and cancel.is_set():
            break
        pause = min(delay, deadline - time.monotonic())
        if pause <= 0:
            break
        (cancel or threading.Event()).wait(pause)
        delay *= 2
    elapsed = time.monotonic() - began
    passed = outcome is not None and outcome.passed
    metrics = {f"probe.{name}.duration": elapsed, f"probe.{name}.passed": 1.0 if passed else 0.0}
    if outcome is not None:
        metrics.update({f"probe.{name}.{k}": v for k, v in outcome.metrics.items() if k != "duration"})
    expected = outcome.expected if outcome else ""
    actual = outcome.actual if outcome else "error"
    message = (outcome.message if outcome else problem) or ""
    if attempts > 1:
        message = f"{message} (after {attempts} attempts)".strip()
    if spec.expect == "fail":
        if passed:
            return Result(
                "probe",
                name,
                "error",
                "fail (expected)",
                actual,
                f"expected to fail ({spec.reason}) but passed: remove expect: fail",
                elapsed,
                where,
                metrics,
            )
        observed = f" ({message})" if message else ""
        return Result(
            "probe",
            name,
            "xfail",
            expected,
            actual,
            f"expected failure: {spec.reason}{observed}",
            elapsed,
            where,
            metrics,
        )
    verdict = "pass" if passed else "fail"
    if outcome is None and problem.startswith("internal"):
        verdict = "error"
    return Result("probe", name, verdict, expected, actual, message, elapsed, where, metrics)  # type: ignore[arg-type]


def _attempt(kind: str, spec: Any, ctx: ProbeContext, timeout: float) -> Outcome:
    """One attempt in a worker thread, abandoned at ``timeout`` (a hung target never hangs the run)."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["outcome"] = probe_module(kind).run(spec, ctx)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    worker = threading.Thread(target=work, name=f"probe-{kind}", daemon=True)
    worker.start()
    worker.join(max(0.0, timeout))
    if worker.is_alive():
        raise TimeoutError
    if "error" in box:
        raise box["error"]
    outcome: Outcome = box["outcome"]
    return outcome


def _explain(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    try:
        import requests

        if isinstance(exc, requests.exceptions.ConnectionError):
            text = "connection refused or reset" if "refused" in text.lower() or "reset" in text.lower() else text
            return f"cannot connect: {text[:200]}"
        if isinstance(exc, requests.exceptions.Timeout):
            return f"no answer in time: {text[:200]}"
    except ImportError:
        pass
    if isinstance(exc, OSError | ConnectionError):
        return f"{type(exc).__name__}: {text[:200]}"
    return f"{type(exc).__name__}: {text[:300]}"
