"""A service's memory or CPU peak over the run as its evidence allows, for the tables reporters print."""

from __future__ import annotations

from validator.core.metrics import metric_name
from validator.core.run import RunResult
from validator.units import format_size


def peak(run: RunResult, service: str, field: str) -> str:
    """``40 MiB (62%)``, ``0.25 cores``; ``≥ 10 MiB`` for a lower bound (not observed for the whole
    run); ``-`` when there is none."""
    evidence = run.evidence.get(metric_name("service", service, field))
    if evidence is None or evidence.low is None:
        return "-"
    shown = format_size(evidence.low) if field == "memory_peak" else f"{evidence.low:.2f} cores"
    if field == "memory_peak":
        ratio = run.evidence.get(metric_name("service", service, "memory_peak_ratio"))
        if ratio is not None and ratio.low is not None:
            shown += f" ({100 * ratio.low:.0f}%)"
    return shown if evidence.is_exact else f"≥ {shown}"
