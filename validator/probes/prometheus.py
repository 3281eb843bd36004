"""``prometheus``: ready; the AlertManager from the spec is an active target in
``/api/v1/alertmanagers``; configured rules are loaded."""

import time

from validator.probes.base import Outcome, ProbeContext
from validator.redact import clip, quoted
from validator.spec.probes.prometheus import PrometheusSpec


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
        deadline = time.monotonic() + max(0.0, ctx.remaining() - 2)
        while True:  # Prometheus discovers its AlertManagers shortly after start: poll, bounded
            data = ctx.http.request("GET", f"{base}/api/v1/alertmanagers", timeout=timeout).json().get("data", {})
            active = [a.get("url", "") for a in data.get("activeAlertmanagers", [])]
            if any(spec.alertmanager in url for url in active) or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        if any(spec.alertmanager in url for url in active):
            steps.append(f"AlertManager {spec.alertmanager} active")
        else:
            problems.append(f"no active AlertManager matching {quoted(spec.alertmanager)} (active: {active})")
    if spec.min_rules or spec.rule_groups:
        groups = (
            ctx.http.request("GET", f"{base}/api/v1/rules", timeout=timeout).json().get("data", {}).get("groups", [])
        )
        names = [g.get("name") for g in groups]
        count = sum(len(g.get("rules", [])) for g in groups)
        missing = [g for g in spec.rule_groups if g not in names]
        if missing:
            problems.append(f"rule group(s) {missing} not loaded (loaded: {names})")
        if count < spec.min_rules:
            problems.append(f"{count} rule(s) loaded, wanted at least {spec.min_rules}")
        if not missing and count >= spec.min_rules:
            steps.append(f"{count} rule(s) in {len(names)} group(s)")
    expected = (
        "ready"
        + (f", AlertManager {spec.alertmanager} active" if spec.alertmanager else "")
        + (", rules loaded" if spec.min_rules or spec.rule_groups else "")
    )
    return Outcome(passed=not problems, expected=expected, actual="; ".join(steps), message="; ".join(problems))
