"""The one place check stages are registered. Static stages read only the spec and the host (they
run concurrently, before reconciling); each is a module with ``run(ctx) -> Iterable[Result]``.
Probe kinds are registered in ``validator.probes.registry``; reporters in ``validator.reporters``."""

from __future__ import annotations

from validator.checks import configs, preflight, pydeps
from validator.checks.context import CheckContext, Stage
from validator.core.result import Kind

__all__ = ["STATIC_STAGES", "CheckContext", "Stage"]

# stage -> its module (the kind of the results it gives); mypy checks each module against ``Stage``
STATIC_STAGES: dict[Kind, Stage] = {"host": preflight, "config": configs, "python": pydeps}
