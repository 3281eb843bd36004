"""``up``'s pulls, walked before it plans its containers.

A pull may move its tag to another image (``pull_policy: always``, ``daily``..., an image someone
removed): a container judged against the ID the tag named before the pull would be kept on the old
image while ``up`` says ready. Compose pulls first (``ensureImagesExists``), then converges comparing
each container's image with the one the tag names now, and recreates only where they differ; ``up``
does the same: it walks the plan's pulls (``graph.pull_graph``) with the one executor
(engine/execute.py), then plans again (``planner.plan(pulled=...)``) from an observation taken after
them — the planner's rule "image moved to a new ID" then recreates each container the pull moved the
tag away from, and a pull of the same digest recreates nothing.

A failed pull ends ``up`` before anything else is done, as in Compose (its up fails before it creates
a network or a container): nothing is half-applied, no dependent starts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from validator.engine.desired import DesiredState
from validator.engine.execute import StepResult, execute
from validator.engine.graph import Step, pull_graph
from validator.engine.planner import Plan
from validator.errors import EngineError

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

PULLS_AT_ONCE = 4  # pulls and builds at a time: each streams layers; more only share the same link


@dataclass(kw_only=True)
class Pulls:
    """What the walk of a plan's pulls left."""

    images: dict[str, str] = field(default_factory=dict)  # image reference -> the ID the pull left it on
    steps: dict[str, StepResult] = field(default_factory=dict)  # each pull step's outcome and times
    seconds: float = 0.0
    failure: str | None = None  # why the first pull that failed failed (up then ends: nothing is changed)

    def merged(self, later: Pulls) -> Pulls:
        """This walk followed by ``later``'s (another round: engine/reconcile.py)."""
        return Pulls(
            images={**self.images, **later.images},
            steps={**self.steps, **later.steps},  # an image pulled once is not pulled again: keys differ
            seconds=self.seconds + later.seconds,
            failure=self.failure or later.failure,
        )

    def moved(self, before: dict[str, str | None]) -> list[str]:
        """The images whose tag names another image than ``before`` said (an observation's IDs)."""
        return [image for image, new in self.images.items() if before.get(image) != new]


def pull_all(
    engine: Engine,
    desired: DesiredState,
    plan: Plan,
    *,
    progress: Callable[[str, str], None],
    deadline: float,
) -> Pulls:
    """Walk the pulls of ``plan`` (at most ``PULLS_AT_ONCE`` at a time) until ``deadline``
    (monotonic); the first failure stops launching the others (those in flight end on their own)."""
    began = time.monotonic()
    out = Pulls()
    lock = threading.Lock()

    def pull(step: Any) -> None:
        assert isinstance(step, Step)
        svc = desired.services[step.service or ""]
        progress(svc.name, f"pulling {svc.image}: " + "; ".join(step.reasons))
        started = time.monotonic()
        image = engine.pull(svc.image, lambda line: progress(svc.name, line))
        with lock:
            out.images[svc.image] = image
        progress(svc.name, f"image {svc.image} ready in {time.monotonic() - started:.1f}s")

    outcome = execute(
        pull_graph(plan).steps,
        pull,
        workers=PULLS_AT_ONCE,
        failures=(EngineError,),
        fatal=lambda _: True,
        deadline=deadline,
        grace=5.0,
    )
    if outcome.raised is not None:  # an interrupt, a lost engine
        raise outcome.raised
    out.steps = outcome.steps
    out.seconds = time.monotonic() - began
    failed = [r for r in outcome.steps.values() if r.status == "failed"]
    if outcome.fatal is not None or failed:  # fatal: the first to fail; else one the deadline ended
        out.failure = (outcome.fatal or failed[0]).error
    return out
