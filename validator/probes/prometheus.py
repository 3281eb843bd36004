"""``prometheus``: ready; the AlertManager from the spec is an active target in
``/api/v1/alertmanagers``; configured rules are loaded."""

import re
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from validator.probes.base import Outcome, ProbeContext
from validator.redact import clip, quoted
from validator.spec.probes.prometheus import AlertmanagerAddress, PrometheusSpec, alertmanager_address


def run(spec: PrometheusSpec, ctx: ProbeContext) -> Outcome:
    base = spec.url.rstrip("/")
    timeout = min(10.0, max(1.0, ctx.remaining()))
    ready = ctx.http.request("GET", f"{base}/-/ready", timeout=timeout)
    if ready.status_code != 200:
        return Outcome(
            passed=False, expected="ready", actual=f"status {ready.status_code}", message=clip(ready.text, 200)
        )
    steps, problems = ["ready"], []
    if spec.alertmanager:
        active: list[str] = []
        wanted = alertmanager_address(spec.alertmanager)
        deadline = time.monotonic() + max(0.0, ctx.remaining() - 2)
        while True:  # Prometheus discovers its AlertManagers shortly after start: poll, bounded
            data = ctx.http.request("GET", f"{base}/api/v1/alertmanagers", timeout=timeout).json().get("data", {})
            active = [str(a.get("url", "")) for a in data.get("activeAlertmanagers", [])]
            if any(sends_to(url, wanted) for url in active) or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        if any(sends_to(url, wanted) for url in active):
            steps.append(f"AlertManager {spec.alertmanager} active")
        else:
            problems.append(f"no active AlertManager at {quoted(spec.alertmanager)} (active: {active})")
    if spec.min_rules or spec.rule_groups:
        groups = _evaluated_groups(spec, base, timeout, ctx)
        names = [g.get("name") for g in groups]
        count = sum(len(g.get("rules", [])) for g in groups)
        missing = [g for g in spec.rule_groups if g not in names]
        if missing:
            problems.append(f"rule group(s) {missing} not loaded (loaded: {names})")
        if count < spec.min_rules:
            problems.append(f"{count} rule(s) loaded, wanted at least {spec.min_rules}")
        unhealthy = _unhealthy_rules(_judged(spec, groups))
        problems.extend(unhealthy)
        if not missing and count >= spec.min_rules and not unhealthy:
            steps.append(f"{count} rule(s) in {len(names)} group(s), every one evaluating (health ok)")
    expected = (
        "ready"
        + (f", AlertManager {spec.alertmanager} active" if spec.alertmanager else "")
        + (", rules loaded and evaluating" if spec.min_rules or spec.rule_groups else "")
    )
    return Outcome(passed=not problems, expected=expected, actual="; ".join(steps), message="; ".join(problems))


def sends_to(url: str, wanted: AlertmanagerAddress) -> bool:
    """Whether Prometheus's active AlertManager ``url`` (``http://host:port/prefix/api/v2/alerts``) is
    ``wanted``: the host and port parsed and compared whole (a substring test passed
    ``prod-alertmanager:9093`` for ``alertmanager:9093``), the scheme when given, and the path prefix
    when given, by whole segments."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return False
    if (parts.hostname or "") != wanted.host or port != wanted.port:
        return False
    if wanted.scheme and parts.scheme.lower() != wanted.scheme:
        return False
    return not wanted.path or f"{parts.path}/".startswith(f"{wanted.path}/")


def _judged(spec: PrometheusSpec, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The groups whose rules must be healthy: those the spec names, or every group when it names none."""
    return [g for g in groups if not spec.rule_groups or g.get("name") in spec.rule_groups]


def _evaluated_groups(spec: PrometheusSpec, base: str, timeout: float, ctx: ProbeContext) -> list[dict[str, Any]]:
    """``/api/v1/rules`` once every judged rule has been evaluated at least once (health no longer
    "unknown"), or at the probe's deadline: a rule that loaded but never evaluated is not shown to work."""
    deadline = time.monotonic() + max(0.0, ctx.remaining() - 2)
    while True:  # bounded by the probe's deadline
        scraped = _every_target_scraped(base, timeout, ctx)
        answer = ctx.http.request("GET", f"{base}/api/v1/rules", timeout=timeout).json()
        groups: list[dict[str, Any]] = answer.get("data", {}).get("groups", [])
        # a rule evaluated before every target's first scrape ran on partial data: it may fail only
        # once all series exist (two targets' series collapsing to one labelset), so it is judged at
        # an evaluation after that
        pending = [
            r
            for g in _judged(spec, groups)
            for r in g.get("rules", [])
            if r.get("health") == "unknown" or scraped is None or _instant(r.get("lastEvaluation")) <= scraped
        ]
        if not pending or time.monotonic() >= deadline:
            return groups
        time.sleep(0.5)


def _every_target_scraped(base: str, timeout: float, ctx: ProbeContext) -> float | None:
    """When the last of the active scrape targets was first seen scraped (epoch seconds), 0 with no
    target; None while one has not been scraped yet."""
    targets = ctx.http.request("GET", f"{base}/api/v1/targets", timeout=timeout).json().get("data", {})
    active = targets.get("activeTargets", []) if isinstance(targets, dict) else []
    moments = [_instant(t.get("lastScrape")) for t in active]
    if any(m <= 0 for m in moments):
        return None
    return max(moments, default=0.0)


def _instant(stamp: object) -> float:
    """Prometheus's RFC 3339 time (nanoseconds, ``Z``) as epoch seconds; 0 for none or the zero time."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", str(stamp or "")).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0
    return max(0.0, moment)


def _unhealthy_rules(groups: list[dict[str, Any]]) -> list[str]:
    """One line per rule whose health is not "ok": a rule that fails at every evaluation (health "err")
    can never fire, and one never evaluated ("unknown") is not evidence that it works."""
    problems = []
    for group in groups:
        for rule in group.get("rules", []):
            health = rule.get("health")
            if health == "ok":
                continue
            error = rule.get("lastError") or ("not evaluated yet" if health == "unknown" else "")
            problems.append(
                f"rule {quoted(rule.get('name'))} of group {quoted(group.get('name'))}: health {quoted(health)}"
                + (f" ({clip(str(error), 200)})" if error else "")
            )
    return problems
