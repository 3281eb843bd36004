"""The usage sampler's place in a run: started before ``up`` (so each container is followed from its
start), stopped once the probes and suites are over, its observations judged into ``usage`` results
(``checks/usage.py``). When the run samples nothing (``settings.sample_usage: false``, Swarm, no
services), every usage metric is unavailable and says why."""

from __future__ import annotations

from typing import Any

from validator.checks.usage import judge, not_sampled
from validator.core.metrics import MetricKey
from validator.core.result import Result
from validator.core.run import UsageSeries
from validator.engine.stats import UsageSampler
from validator.errors import FatalError
from validator.spec.load import LoadedSpec


class UsageStage:
    def __init__(self, loaded: LoadedSpec, engine: Any, unfollowed: str = "", watcher: Any = None) -> None:
        self.loaded = loaded
        self.engine = engine
        self.unfollowed = unfollowed  # why the backend's services cannot be followed ("": they can)
        self.watcher = watcher  # the run watcher (engine/watch.py): the sampler is a feed of its events
        self.sampler: Any = None
        self.off = ""  # why nothing is sampled ("" when the sampler runs)

    def start(self) -> None:
        if not self.loaded.spec.services:
            return
        if not self.loaded.spec.settings.sample_usage:
            self.off = "sampling is off (settings.sample_usage: false)"
        elif self.unfollowed:
            self.off = self.unfollowed
        elif self.engine is None or self.watcher is None:
            self.off = "no engine"
        if self.off:
            return

        try:
            self.sampler = UsageSampler(self.engine, self.loaded.spec.project)
            self.watcher.add_feed(self.sampler)
        except FatalError as exc:  # the engine did not list what runs: the run goes on, unsampled
            self.sampler = None
            self.off = f"the project's running containers could not be listed ({exc})"

    def stop(self) -> None:
        """Stop without judging (the run ended early)."""
        if self.sampler is not None:
            self.sampler.stop()
            self.sampler = None

    def finish(self) -> tuple[list[Result], list[UsageSeries], dict[MetricKey, str]]:
        """The ``usage`` results, the series to draw, and what is unavailable (when not sampled)."""

        if self.sampler is None:
            return [], [], not_sampled(self.loaded, self.off) if self.off else {}
        usage = self.sampler.stop()
        self.sampler = None
        results, series = judge(self.loaded, usage)
        return results, series, {}
