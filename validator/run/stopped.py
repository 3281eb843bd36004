"""What a run stopped before its verdict says: an interrupt (SIGINT, SIGTERM, SIGHUP) or the engine
lost. What was judged is kept; every service, probe and suite not finished is an ERROR saying why,
with its metrics unavailable, so no criterion reading them can pass. When the engine was lost, the
services judged earlier become errors too: nothing shows they held until the verdict.

(Beside the pipeline, which calls it; it moves with it.)"""

from __future__ import annotations

from collections.abc import Mapping

from validator.checks import probes, services
from validator.core.result import Result, locate
from validator.core.run import RunResult
from validator.spec.load import LoadedSpec
from validator.spec.profiles import active
from validator.suites.verdict import not_finished


def unfinished(
    loaded: LoadedSpec,
    run: RunResult,
    why: str,
    *,
    suites: list[Result],
    probes_done: Mapping[str, Result],
    suites_wanted: bool,
) -> list[Result]:
    """The results to add: the finished probes and suites not added yet, and an error for each
    service, probe and suite that has no result."""

    have = {(r.kind, r.name) for r in run.results}
    out: list[Result] = []
    if not any(kind == "service" for kind, _ in have):
        for name, svc in active(loaded.spec.services, loaded.environment).items():
            if svc.replicas > 0:
                out.append(services.stopped(loaded, name, why))
    for name in loaded.spec.probes:
        if ("probe", name) not in have:
            out.append(probes_done.get(name) or probes.stopped(loaded, name, why))
    if suites_wanted:
        out.extend(suites)
        finished = {r.name for r in suites if r.kind == "suite"} | {n for k, n in have if k == "suite"}
        for name in loaded.spec.suites:
            if name not in finished:
                where = locate(loaded, ("suites", name))
                out.extend(not_finished(loaded, name, f"did not finish: {why}", "", where, 0.0, "not finished"))
    return out


def lost_services(results: list[Result], loaded: LoadedSpec, why: str) -> list[tuple[int, Result]]:
    """Each service result judged before the engine was lost, as an error (index, new result)."""

    return [(i, services.lost(loaded, r, why)) for i, r in enumerate(results) if r.kind == "service"]
