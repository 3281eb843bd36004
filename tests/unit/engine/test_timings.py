"""The engine's record of a container read for times of its *current* start only (engine/timings.py).

The documents in recorded/inspect-restarts.json are `docker inspect` output of real containers on
engine 20.10 (validator-test/busybox), trimmed to the fields timings read:

- ``first``: health check every 1 s, ready 2 s after start; inspected once healthy.
- ``restarted-starting`` / ``restarted``: the same container after ``docker restart``, inspected while
  its health is starting, then once healthy again: the health log still holds the first start's probes.
- ``restarted-full-log``: the same, 6 s later: the log's five entries are all of the current start.
- ``policy-restarted``: ``restart: always``; its first start exited 1 after 2 s, the policy started
  it again (RestartCount 1); health check ``true`` every 1 s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from validator.engine import timings as T
from validator.engine.waiter import Timing

RECORDED: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "recorded" / "inspect-restarts.json").read_text()
)


def _stamp(text: str) -> float:
    value = T.engine_time(text)
    assert value is not None
    return value


def test_a_first_start_has_its_startup_and_its_first_passing_probe():
    doc = RECORDED["first"]
    timing = T.from_inspect(doc)
    started = _stamp(doc["State"]["StartedAt"])
    assert timing.startup == pytest.approx(started - _stamp(doc["Created"]))
    first_pass = next(e for e in doc["State"]["Health"]["Log"] if e["ExitCode"] == 0)
    assert timing.healthy == pytest.approx(_stamp(first_pass["End"]) - started)
    assert timing.healthy_at == _stamp(first_pass["End"])


def test_after_docker_restart_the_earlier_starts_probes_are_not_this_starts_health():
    """Case 10: the first passing probe in the log ended before the new StartedAt; main took
    max(0, negative) = 0.00 s. Only probes begun at or after StartedAt count."""
    doc = RECORDED["restarted"]
    started = _stamp(doc["State"]["StartedAt"])
    log = doc["State"]["Health"]["Log"]
    assert _stamp(next(e for e in log if e["ExitCode"] == 0)["End"]) < started  # the recorded trap
    current_pass = next(e for e in log if e["ExitCode"] == 0 and _stamp(e["Start"]) >= started)
    timing = T.from_inspect(doc)
    assert timing.healthy == pytest.approx(_stamp(current_pass["End"]) - started)
    assert timing.healthy > 1.0  # ready 2 s after start, probed every 1 s: never 0
    # the container was created once and started twice: Created -> StartedAt is not a startup
    assert timing.startup is None
    assert timing.requested_at == started  # the timeline shows this start, not the creation


def test_a_health_check_not_passed_since_the_restart_gives_no_health_time():
    doc = RECORDED["restarted-starting"]
    assert any(e["ExitCode"] == 0 for e in doc["State"]["Health"]["Log"])  # earlier start's passes
    assert T.from_inspect(doc).healthy is None


def test_a_full_log_of_this_start_may_have_lost_its_first_pass():
    doc = RECORDED["restarted-full-log"]
    assert len(doc["State"]["Health"]["Log"]) == T.HEALTH_LOG
    timing = T.from_inspect(doc)
    assert timing.healthy is None and timing.healthy_at is None


def test_a_restart_by_policy_has_neither_startup_nor_the_earlier_starts_health():
    doc = RECORDED["policy-restarted"]
    assert doc["RestartCount"] == 1
    started = _stamp(doc["State"]["StartedAt"])
    timing = T.from_inspect(doc)
    assert timing.startup is None
    log = doc["State"]["Health"]["Log"]
    assert timing.healthy == pytest.approx(_stamp(log[1]["End"]) - started)
    assert timing.restarts == 1


def test_an_impossible_span_is_unknown_never_zero():
    assert T.elapsed(10.0, 9.5) is None
    assert T.elapsed(None, 3.0) is None and T.elapsed(3.0, None) is None
    assert T.elapsed(2.0, 2.0) == 0.0 and T.elapsed(2.0, 3.5) == 1.5
    # a probe that ended before it began (an engine clock step) under a first start
    doc = json.loads(json.dumps(RECORDED["first"]))
    passing = next(e for e in doc["State"]["Health"]["Log"] if e["ExitCode"] == 0)
    passing["End"] = "2026-12-06T14:01:40Z"  # before StartedAt
    assert T.from_inspect(doc).healthy is None
    # a creation stamped after the start (the engine's clock set back between them)
    doc["Created"] = "2026-12-06T15:00:00Z"
    assert T.from_inspect(doc).startup is None


def test_a_health_log_entry_without_its_start_stamp_makes_health_unknown():
    doc = json.loads(json.dumps(RECORDED["restarted"]))
    del doc["State"]["Health"]["Log"][0]["Start"]
    assert T.from_inspect(doc).healthy is None


def test_a_running_containers_duration_is_unknown_its_finished_at_is_an_earlier_starts():
    assert T.ran_for(RECORDED["restarted"]) is None
    stopped = {"State": {"StartedAt": "2026-12-06T14:01:43.5Z", "FinishedAt": "2026-12-06T14:01:45Z"}}
    assert T.ran_for(stopped) == pytest.approx(1.5)


def test_a_saved_figure_of_an_earlier_start_gives_way_to_the_engines_record_of_this_one(tmp_path):
    """The saved figure (measured by up on the first start) is dropped after the restart; what takes
    its place is this start's own health time from the engine's record, not the earlier start's."""
    first, restarted = RECORDED["first"], RECORDED["restarted"]
    measured = Timing(requested_at=1.0, startup=0.4, healthy=2.3)
    T.stamp_starts({"id-web": measured}, lambda cid: first)
    T.save(tmp_path, "demo", {"web": {"id-web": measured}})
    saved = T.load(tmp_path, "demo")
    assert T.of_service(saved, "web", ["id-web"], lambda cid: first).healthy == 2.3
    again = T.of_service(saved, "web", ["id-web"], lambda cid: restarted)
    assert again.healthy == T.from_inspect(restarted).healthy and again.startup is None


def test_a_pass_of_an_earlier_start_is_not_a_pass_of_this_one():
    """The waiter's judgement of a container found exited (engine/stamps.passed_since_start): only a
    probe of its current start counts. Restarted, not probed yet: the earlier start's passes are no
    evidence; probed since: they are."""
    from validator.engine.stamps import passed_since_start, probes_of_start

    starting = RECORDED["restarted-starting"]["State"]
    assert probes_of_start(starting) == [] and not passed_since_start(starting)
    assert passed_since_start(RECORDED["restarted"]["State"])
    assert passed_since_start(RECORDED["first"]["State"])
    assert probes_of_start({"Health": {"Log": []}}) is None  # no StartedAt: cannot be told


def test_a_figure_is_not_tied_to_a_start_that_began_after_it_was_measured():
    """graph5 case 10: the waiter saw api healthy on its first start; api crashed and its policy started
    it again while up waited for another service. The inspect after the walk shows the second start:
    the figures are of the first, so they are tied to no start and a later run does not report them."""
    from validator.engine import timings as T
    from validator.engine.stamps import engine_time
    from validator.engine.waiter import Timing

    first, second = "2026-12-06T15:25:00.250000000Z", "2026-12-06T15:25:06.000000000Z"
    seen_running = engine_time(first) + 0.3
    measured = {"c1": Timing(requested_at=seen_running - 1, running_at=seen_running, startup=0.3, healthy=1.05)}
    T.stamp_starts(measured, lambda cid: {"State": {"StartedAt": second}})
    assert measured["c1"].started is None
    saved = {"api": {"container": "c1", **{k: v for k, v in vars(measured["c1"]).items()}}}
    assert T.known_each(saved, "api", ["c1"], lambda cid: {"State": {"StartedAt": second}}) == {}
    T.stamp_starts(measured, lambda cid: {"State": {"StartedAt": first}})
    assert measured["c1"].started == first
