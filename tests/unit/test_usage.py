"""Memory and CPU over the run, without an engine: a stats answer read as ``docker stats`` reads it;
when a container counts as observed for the whole run; the sampler's threads over a fake engine
(the seam: ``events``, ``containers``, ``stats``, ``try_inspect``); the evidence each service's usage
gives, and what criteria make of it."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import pytest

from tests.harness.specs import load_dict
from tests.metrics import key
from validator.catalog import run_catalog
from validator.checks.usage import judge, not_sampled
from validator.core.metrics import Evidence
from validator.criteria.evaluate import evaluate_criteria
from validator.engine import labels as L
from validator.engine.stats import GRACE, MAX_POINTS, ContainerUsage, Sample, Usage, UsageSampler, read_sample
from validator.engine.watch import ACTIONS, RunWatcher
from validator.errors import EngineError

MIB = 1024 * 1024


def answer(usage: int, inactive: int = 0, cpu: tuple[int, int] = (0, 0), system: tuple[int, int] = (0, 0)) -> dict:
    """A cgroup v1 stats answer (the shape engine 20.10 sends here)."""
    return {
        "memory_stats": {"usage": usage, "stats": {"total_inactive_file": inactive, "inactive_file": inactive}},
        "cpu_stats": {"cpu_usage": {"total_usage": cpu[1]}, "system_cpu_usage": system[1], "online_cpus": 2},
        "precpu_stats": {"cpu_usage": {"total_usage": cpu[0]}, "system_cpu_usage": system[0]},
    }


def test_a_stats_answer_is_read_as_docker_stats_reads_it():
    # memory: usage less the inactive page cache (cgroup v1's total_, v2's plain inactive_file)
    assert read_sample(answer(50 * MIB, 10 * MIB), 1.0).memory == 40 * MIB
    v2 = {"memory_stats": {"usage": 50 * MIB, "stats": {"inactive_file": 5 * MIB}}}
    assert read_sample(v2, 1.0).memory == 45 * MIB
    assert read_sample(answer(5 * MIB, 9 * MIB), 1.0).memory == 5 * MIB  # more inactive than usage: usage
    # CPU: the container's share of the host's CPU time over the tick, times the CPUs online (cores)
    busy = answer(MIB, cpu=(1_000_000_000, 1_500_000_000), system=(10_000_000_000, 12_000_000_000))
    assert read_sample(busy, 1.0).cpu == pytest.approx(0.5)
    assert read_sample(answer(MIB, cpu=(0, 10**9), system=(0, 2 * 10**9)), 1.0).cpu is None  # first tick
    restarted = answer(MIB, cpu=(9 * 10**9, 10**8), system=(10**10, 12 * 10**9))
    assert read_sample(restarted, 1.0).cpu is None
    # a container that is not running: the engine sends an answer with empty stats
    stopped = read_sample({"read": "0001-01-01T00:00:00Z", "memory_stats": {}, "cpu_stats": {}}, 1.0)
    assert stopped.memory is None and stopped.cpu is None


def followed(due: float, *ats: float, memory: float = MIB) -> ContainerUsage:
    usage = ContainerUsage(id="c1", name="p-web", service="web", due_from=due)
    for at in ats:
        usage.take(Sample(at=at, memory=memory, cpu=0.1))
    return usage


def test_observed_for_the_whole_run_or_why_not():
    assert followed(0.0, 1.0, 2.0, 3.0).unobserved(end=4.0) == ""
    assert "first stats answer came 6.0s after" in followed(0.0, 6.0, 7.0).unobserved(end=8.0)
    assert "stopped for 7.0s" in followed(0.0, 1.0, 8.0, 9.0).unobserved(end=9.5)
    assert "last stats answer came 8.0s before the end" in followed(0.0, 1.0, 2.0).unobserved(end=10.0)
    gone = followed(0.0, 1.0, 2.0)
    gone.until = 2.5  # removed: its observation ends there, complete
    assert gone.unobserved(end=60.0) == ""
    assert followed(0.0).unobserved(end=1.0) == "no stats answer came"


def test_the_series_is_bounded_and_keeps_the_highs():
    usage = ContainerUsage(id="c", name="n", service="s", due_from=0.0)
    for i in range(10 * MAX_POINTS):
        usage.take(Sample(at=float(i), memory=float(i % 97), cpu=None))
    assert len(usage.series) <= 2 * MAX_POINTS
    assert max(s.memory or 0 for s in usage.series) == 96 == usage.memory_peak
    assert usage.longest_gap == 1.0


SPEC = {
    "version": 1,
    "project": "use",
    "services": {
        "web": {"image": "x", "mem_limit": "64m"},
        "free": {"image": "x"},
        "off": {"image": "x", "scale": 0},
    },
}


def sampled(loaded, *containers: ContainerUsage, events_problem: str = "") -> dict:
    usage = Usage(
        started_at=0.0, stopped_at=10.0, containers={c.id: c for c in containers}, events_problem=events_problem
    )
    results, series = judge(loaded, usage)
    return {"results": {r.name: r for r in results}, "series": series}


def container(cid: str, service: str, peak: float, *, limit: float | None, due: float = 0.0, end: float = 10.0):
    usage = ContainerUsage(id=cid, name=f"use-{cid}", service=service, due_from=due, inspected=True)
    usage.memory_limit = limit
    at = due + 0.5
    while at <= end:
        usage.take(Sample(at=at, memory=peak if at > 4 else peak / 2, cpu=0.25))
        at += 1.0
    return usage


def test_a_service_observed_for_the_whole_run_has_values(tmp_path):
    loaded = load_dict(tmp_path, SPEC)
    seen = sampled(
        loaded, container("a", "web", 40 * MIB, limit=64 * MIB), container("b", "free", 10 * MIB, limit=None)
    )
    web, free = seen["results"]["web"], seen["results"]["free"]
    assert set(seen["results"]) == {"web", "free"}  # scale 0 runs nothing: measures nothing
    assert web.verdict == "pass" and web.actual == "memory peak 40 MiB of 64 MiB (62%), CPU peak 0.25 cores"
    assert web.metrics == {
        key("service.web.memory_peak"): 40 * MIB,
        key("service.web.cpu_peak"): 0.25,
        key("service.web.memory_peak_ratio"): 40 / 64,
        key("service.web.oom_kills"): 0.0,
    }
    # no limit in the spec: no ratio declared, none given
    assert key("service.free.memory_peak_ratio") not in {**free.metrics, **free.unavailable, **free.bounds}
    declared = {k for k in run_catalog(loaded) if k.field in ("memory_peak", "memory_peak_ratio", "cpu_peak")}
    assert declared <= set(web.metrics) | set(free.metrics)
    assert [s.container for s in seen["series"]] == ["use-a", "use-b"] and seen["series"][0].memory_limit == 64 * MIB


def test_a_service_followed_late_has_a_lower_bound_and_criteria_prove_only_what_it_allows(tmp_path):
    spec = {
        **SPEC,
        "criteria": {
            "HI": {"title": "t", "condition": "service.web.memory_peak_ratio > 0.5"},
            "LO": {"title": "t", "condition": "service.web.memory_peak_ratio < 0.8"},
        },
    }
    loaded = load_dict(tmp_path, spec)
    late = container("a", "web", 40 * MIB, limit=64 * MIB, due=0.0)
    late.first_answer = GRACE + 2.0  # its first answer came 7 s after its start
    web = sampled(loaded, late)["results"]["web"]
    bound = web.bounds[key("service.web.memory_peak")]
    assert bound.low == 40 * MIB and bound.high is None
    assert "container use-a was not observed for the whole run (its first stats answer came 7.0s" in bound.why
    assert web.bounds[key("service.web.memory_peak_ratio")].low == 40 / 64
    evidence = {k: Evidence.bounded("usage web", b) for k, b in web.bounds.items()}
    verdicts = {r.id: r.verdict for r in evaluate_criteria(loaded, evidence, list(run_catalog(loaded)), {})}
    assert verdicts["HI"] == "pass" and verdicts["LO"] != "pass"


def test_a_service_never_sampled_is_unavailable_and_the_oom_killed_one_fails(tmp_path):
    loaded = load_dict(tmp_path, SPEC)
    never = ContainerUsage(id="a", name="use-web-1", service="web", due_from=0.0, problem="the engine refused")
    nothing = sampled(loaded, never)["results"]
    assert (
        nothing["web"].verdict == "skip" and "never sampled while running: the engine refused" in nothing["web"].message
    )
    assert "no memory sample" in nothing["web"].unavailable[key("service.web.memory_peak")]
    assert nothing["free"].verdict == "skip" and "none of its containers ran" in nothing["free"].message
    assert set(nothing["free"].unavailable) == {
        key(f"service.free.{f}") for f in ("memory_peak", "cpu_peak", "oom_kills")
    }

    killed = container("a", "web", 10 * MIB, limit=64 * MIB)
    killed.oom_kills.append(time.mktime((2026, 12, 6, 12, 1, 2, 0, 0, -1)))
    web = sampled(loaded, killed)["results"]["web"]
    assert web.verdict == "fail" and web.actual == "OOM-killed 1 time"
    assert web.message == "the engine killed it for lack of memory under its 64 MiB memory limit: use-a at 12:01:02"
    # it reached its limit, whatever the samples a second apart saw
    assert web.metrics[key("service.web.memory_peak")] == 64 * MIB
    assert web.metrics[key("service.web.memory_peak_ratio")] == 1.0
    assert web.metrics[key("service.web.oom_kills")] == 1.0
    lost = sampled(loaded, container("a", "web", MIB, limit=64 * MIB), events_problem="the stream ended")
    assert lost["results"]["web"].bounds[key("service.web.oom_kills")].low == 0.0


def test_not_sampled_says_why_for_each_declared_metric(tmp_path):
    loaded = load_dict(tmp_path, SPEC)
    off = not_sampled(loaded, "sampling is off (settings.sample_usage: false)")
    assert set(off) == {
        key(f"service.{s}.{f}")
        for s, fields in (("web", ("memory_peak", "memory_peak_ratio", "cpu_peak", "oom_kills")),)
        for f in fields
    } | {key(f"service.free.{f}") for f in ("memory_peak", "cpu_peak", "oom_kills")}
    assert off[key("service.web.cpu_peak")] == (
        "service web was not sampled: sampling is off (settings.sample_usage: false)"
    )


# --- the sampler's threads over a fake engine -----------------------------------------------------


class Stream:
    """A stream the test feeds; iteration blocks until an item or ``close()`` (as a socket read)."""

    def __init__(self) -> None:
        self.items: queue.Queue[Any] = queue.Queue()
        self.closed = threading.Event()

    def __iter__(self):
        while True:
            item = self.items.get()
            if item is None:
                return
            yield item

    def close(self) -> None:
        self.closed.set()
        self.items.put(None)


class FakeEngine:
    def __init__(self, running: dict[str, str]) -> None:
        self.running = running  # container id -> service, running when the sampler starts
        self.events_stream = Stream()
        self.streams: dict[str, Stream] = {}
        self.opened = threading.Condition()
        self.gone: set[str] = set()
        self.subscriptions = 0

    def events(self, filters: dict, since: float | None = None) -> Stream:
        assert filters == {"type": ["container"], "event": list(ACTIONS)}  # the watcher's one stream
        self.subscriptions += 1
        return self.events_stream

    def answers(self, timeout: float) -> bool:
        return True

    def containers(self, filters: dict) -> list[dict]:
        if filters["label"] != [f"{L.PROJECT}=p"]:
            return []  # Compose's label: none here
        assert filters["status"] == ["running"]
        return [
            {"Id": cid, "Names": [f"/p-{svc}-1"], "Labels": {L.PROJECT: "p", L.SERVICE: svc}}
            for cid, svc in self.running.items()
        ]

    def stats(self, cid: str) -> Stream:
        if cid in self.gone:
            raise EngineError(f"cannot read the stats of container {cid}: No such container")
        with self.opened:
            stream = self.streams[cid] = Stream()
            self.opened.notify_all()
        return stream

    def try_inspect(self, cid: str) -> dict | None:
        return None if cid in self.gone else {"HostConfig": {"Memory": 64 * MIB}}

    def stream_of(self, cid: str) -> Stream:
        with self.opened:
            assert self.opened.wait_for(lambda: cid in self.streams, timeout=5), cid
            return self.streams[cid]


def watched(engine: FakeEngine, **options) -> UsageSampler:
    """A sampler fed by a run watcher's event stream (its only one), as check runs it."""
    sampler = UsageSampler(engine, "p", **options)  # type: ignore[arg-type]
    RunWatcher(engine, "p", feeds=[sampler], ping_every=60).start()  # type: ignore[arg-type]
    return sampler


def settle(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the sampler's threads did not get there in time"
        time.sleep(0.01)


def test_the_sampler_follows_what_runs_and_what_starts_and_counts_oom_kills():
    engine = FakeEngine({"c1": "web"})
    sampler = watched(engine)
    engine.stream_of("c1").items.put(answer(30 * MIB))
    engine.events_stream.items.put(
        {"Action": "start", "Actor": {"ID": "c2", "Attributes": {L.PROJECT: "p", L.SERVICE: "db", "name": "p-db-1"}}}
    )
    engine.events_stream.items.put(
        {"Action": "start", "Actor": {"ID": "x9", "Attributes": {L.PROJECT: "other", "name": "x"}}}
    )
    engine.stream_of("c2").items.put(answer(5 * MIB))
    engine.events_stream.items.put(
        {"Action": "oom", "timeNano": 10**18, "Actor": {"ID": "c2", "Attributes": {L.PROJECT: "p", "name": "p-db-1"}}}
    )
    settle(lambda: sampler.containers.get("c2") is not None and sampler.containers["c2"].oom_kills != [])
    settle(lambda: sampler.containers["c2"].inspected)
    # c1 is removed: its stream ends and the engine no longer knows it
    engine.gone.add("c1")
    engine.stream_of("c1").items.put(None)
    settle(lambda: sampler.containers["c1"].until is not None)
    began = time.monotonic()
    usage = sampler.stop()
    assert time.monotonic() - began < 2.0  # nothing waits on the engine
    assert set(usage.containers) == {"c1", "c2"}  # the other project's container is not followed
    web, db = usage.containers["c1"], usage.containers["c2"]
    assert web.service == "web" and web.memory_peak == 30 * MIB and web.unobserved(usage.stopped_at) == ""
    assert db.name == "p-db-1" and db.memory_peak == 5 * MIB and db.memory_limit == 64 * MIB
    assert db.oom_kills == [1e9] and usage.events_problem == ""
    assert engine.streams["c2"].closed.is_set() and engine.subscriptions == 1  # the watcher's, not a second one
    assert sampler.watcher is not None
    sampler.watcher.stop()  # stops its feeds too: the sampler again, harmlessly
    assert engine.events_stream.closed.is_set() and sampler.stop().containers.keys() == usage.containers.keys()


def test_a_start_for_a_container_already_followed_does_not_follow_it_twice():
    engine = FakeEngine({"c1": "web"})
    sampler = watched(engine)
    first = engine.stream_of("c1")
    engine.events_stream.items.put(
        {"Action": "start", "Actor": {"ID": "c1", "Attributes": {L.PROJECT: "p", L.SERVICE: "web"}}}
    )  # a restart: the same container, its stream goes on
    first.items.put(answer(MIB))
    settle(lambda: sampler.containers["c1"].memory_peak == MIB)
    assert engine.streams["c1"] is first
    sampler.stop()


def test_past_the_bound_containers_are_named_not_followed():
    engine = FakeEngine({"c1": "web", "c2": "web", "c3": "db"})
    sampler = watched(engine, max_streams=2)
    usage = sampler.stop()
    assert len(usage.containers) == 2 and usage.skipped == ["p-db-1"]


def test_stop_does_not_wait_on_a_stuck_engine():
    """A stats stream that never opens (an engine stuck on a lock, as 20.10's libnetwork deadlock
    leaves it): stop() returns at once all the same, and the stuck thread records nothing after."""
    ids = ("c1", "c2", "c3", "c4", "c5")
    engine = FakeEngine({cid: "web" for cid in ids})
    release = threading.Event()
    opening = engine.stats

    def stuck(cid: str) -> Stream:
        release.wait(timeout=30)
        return opening(cid)

    engine.stats = stuck  # type: ignore[method-assign]
    sampler = watched(engine)
    began = time.monotonic()
    usage = sampler.stop()
    assert time.monotonic() - began < 1.5  # one bound for all threads (not half a second each)
    assert set(usage.containers) == set(ids)
    assert all(u.first_answer is None for u in usage.containers.values())
    release.set()
    for cid in ids:
        engine.stream_of(cid).items.put(answer(MIB))
    time.sleep(0.2)
    assert all(u.memory_peak is None for u in sampler.containers.values())


def test_a_run_that_samples_nothing_says_why_for_each_usage_metric(tmp_path):
    import io

    from validator.run.pipeline import CheckOptions, Pipeline
    from validator.ui import Display

    for settings, orchestrator, why in (
        ({"sample_usage": False}, "containers", "sampling is off (settings.sample_usage: false)"),
        ({}, "swarm", "the sampler follows plain containers only, not Swarm tasks"),
    ):
        loaded = load_dict(tmp_path, {**SPEC, "settings": settings})
        pipeline = Pipeline(loaded, CheckOptions(orchestrator=orchestrator), Display(quiet=True, stream=io.StringIO()))
        with pipeline._sampling(engine=None):
            pass
        evidence = pipeline.run.evidence[key("service.web.memory_peak_ratio")]
        assert evidence.low is None and evidence.reason == f"service web was not sampled: {why}"
        assert not pipeline.run.results and pipeline.run.usage == []


def test_the_caller_may_name_the_containers_to_follow():
    engine = FakeEngine({"c1": "web"})
    sampler = watched(engine, containers={"c7": ("p-db-1", "db")})
    engine.stream_of("c7").items.put(answer(3 * MIB))
    settle(lambda: sampler.containers["c7"].memory_peak == 3 * MIB)
    usage = sampler.stop()
    assert set(usage.containers) == {"c7"} and usage.containers["c7"].service == "db"
