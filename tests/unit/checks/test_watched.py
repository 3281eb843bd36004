"""A service judged over the whole run, from the engine's happenings (the records the run watcher
keeps, built here by hand) and the last observation."""

from __future__ import annotations

from validator.checks.watched import judge, limits_changed
from validator.core.metrics import metric_name
from validator.core.result import Result
from validator.engine.watch import ContainerWatch, Happening

T0 = 1_000_000.0  # the run began
READY = T0 + 5  # up reported the service ready


def watch(*happenings: tuple[float, str, int | None, str | None], last: dict | None = None) -> ContainerWatch:
    record = ContainerWatch(id="c1", name="demo-web", service="web")
    record.happenings = [
        Happening(at=at, seen_at=at, action=action, exit_code=code, health=health)
        for at, action, code, health in happenings
    ]
    if last is not None:
        record.last, record.last_at = last, T0 + 60
    return record


RUNNING = {"Running": True, "Status": "running"}


def test_a_service_that_held_passes_and_counts_no_restart():
    judged = judge(
        [watch((T0 + 1, "create", None, None), (T0 + 2, "start", None, None), last=RUNNING)],
        since=READY,
        run_started=T0,
    )
    assert judged.ok and judged.restarts == 0


def test_a_crash_loop_after_up_fails_naming_each_death_and_counts_the_restarts():
    loop = [(T0 + 2, "start", None, None)]
    for i in range(5):
        loop += [(T0 + 10 + 3 * i, "die", 1, None), (T0 + 11 + 3 * i, "start", None, None)]
    judged = judge([watch(*loop, last=RUNNING)], since=READY, run_started=T0)
    assert judged.restarts == 5
    (problem,) = judged.problems
    assert problem.startswith("demo-web died at ") and "(exit 1)" in problem and "and 2 more" in problem
    assert "was restarted 5 times" in problem and "(+10.0s)" in problem


def test_a_container_that_exits_during_the_suites_fails_even_with_exit_0():
    judged = judge(
        [
            watch(
                (T0 + 2, "start", None, None),
                (T0 + 30, "die", 0, None),
                last={"Running": False, "Status": "exited", "ExitCode": 0},
            )
        ],
        since=READY,
        run_started=T0,
    )
    assert (
        not judged.ok
        and "died at" in judged.problems[0]
        and "not running at the last observation" in judged.problems[0]
    )


def test_a_one_shot_job_may_exit_0_but_not_1():
    done = watch((T0 + 2, "start", None, None), (T0 + 6, "die", 0, None), last={"Running": False, "ExitCode": 0})
    assert judge([done], since=READY, run_started=T0, completes=True).ok
    failed = watch((T0 + 2, "start", None, None), (T0 + 6, "die", 1, None), last={"Running": False, "ExitCode": 1})
    assert not judge([failed], since=READY, run_started=T0, completes=True).ok


def test_turning_unhealthy_later_fails_whoever_declared_the_check():
    judged = judge(
        [
            watch(
                (T0 + 3, "health_status", None, "healthy"), (T0 + 40, "health_status", None, "unhealthy"), last=RUNNING
            )
        ],
        since=READY,
        run_started=T0,
    )
    assert judged.problems == ["demo-web turned unhealthy at " + judged.problems[0].split(" at ", 1)[1]]
    unhealthy_now = {"Running": True, "Health": {"Status": "unhealthy"}}
    assert (
        "unhealthy at the last observation"
        in judge([watch(last=unhealthy_now)], since=READY, run_started=T0).problems[0]
    )


def test_what_up_did_before_the_service_was_ready_is_ups_business():
    """up stopping and starting the container (a restart it planned: kill, die, stop, start) is
    neither a death after ready nor a restart."""
    planned = watch(
        (T0 + 1, "kill", None, None),
        (T0 + 1.1, "die", 143, None),
        (T0 + 1.2, "stop", None, None),
        (T0 + 2, "start", None, None),
        last=RUNNING,
    )
    judged = judge([planned], since=READY, run_started=T0)
    assert judged.ok and judged.restarts == 0


def test_a_docker_restart_counts_and_fails():
    restarted = watch(
        (T0 + 2, "start", None, None),
        (T0 + 20, "kill", None, None),
        (T0 + 20.1, "die", 143, None),
        (T0 + 20.2, "stop", None, None),
        (T0 + 20.5, "start", None, None),
        (T0 + 20.5, "restart", None, None),
        last=RUNNING,
    )
    judged = judge([restarted], since=READY, run_started=T0)
    assert judged.restarts == 1 and not judged.ok


def test_restart_grace_tolerates_a_spell_it_recovered_from_in_time():
    quick = watch((T0 + 20, "die", 1, None), (T0 + 21, "start", None, None), last=RUNNING)
    judged = judge([quick], since=READY, run_started=T0, grace=5.0)
    assert judged.ok and judged.restarts == 1
    slow = watch((T0 + 20, "die", 1, None), (T0 + 40, "start", None, None), last=RUNNING)
    assert not judge([slow], since=READY, run_started=T0, grace=5.0).ok


def test_oom_and_removal_are_named():
    killed = watch(
        (T0 + 20, "oom", None, None), (T0 + 20.1, "die", 137, None), last={"Running": False, "ExitCode": 137}
    )
    assert "lack of memory (OOM)" in judge([killed], since=READY, run_started=T0).problems[0]
    removed = watch((T0 + 20, "destroy", None, None))
    removed.last_at, removed.gone = T0 + 60, True
    problem = judge([removed], since=READY, run_started=T0).problems[0]
    assert "was removed at" in problem and "no longer exists" in problem


def test_a_replica_is_watched_from_its_own_ready_moment_not_its_services():
    """Review 2, case 13: replica 2 is ready at +1 s and dies at +3 s; up reports the service at +5 s,
    after its slowest replica. Watched from the service's moment, the death falls in a hole."""
    crash = watch(
        (T0 + 0.5, "start", None, None), (T0 + 3, "die", 1, None), (T0 + 4, "start", None, None), last=RUNNING
    )
    assert judge([crash], since=READY, run_started=T0).ok  # the hole: nothing seen after +5 s
    judged = judge([crash], since=READY, run_started=T0, ready_each={"c1": T0 + 1})
    (problem,) = judged.problems
    assert problem.startswith("demo-web died at ") and "(exit 1)" in problem
    # a replica's own moment never makes the watch start later than the service's
    assert not judge([crash], since=T0 + 2, run_started=T0, ready_each={"c1": T0 + 3.5}).ok


def test_restarts_before_the_run_count_by_the_engines_restart_count():
    """graph5 02: a kept container whose crash loop restarted it three times before the run, quiet
    during it, counts 3 (the engine's RestartCount at the last observation), not 0, and fails its
    service though it is up whenever looked at."""
    record = watch(last=RUNNING)
    record.restart_count = 3
    judged = judge([record], since=READY, run_started=T0)
    assert judged.restarts == 3
    assert judged.problems == [
        "demo-web was restarted 3 times by its restart policy before the run (the engine's RestartCount): "
        "it died and came back"
    ]


def test_one_restart_before_the_run_is_tolerated_under_a_grace_two_are_not():
    once = watch(last=RUNNING)
    once.restart_count = 1
    assert judge([once], since=READY, run_started=T0, grace=30.0).ok
    assert not judge([once], since=READY, run_started=T0).ok
    twice = watch(last=RUNNING)
    twice.restart_count = 2
    assert not judge([twice], since=READY, run_started=T0, grace=30.0).ok


def test_restarts_count_the_runs_when_higher_than_the_engines():
    """A ``docker restart`` during the run resets the engine's RestartCount (a start by hand): the
    run's own count stands."""
    record = watch((T0 + 2, "start", None, None), (T0 + 10, "restart", None, None), last=RUNNING)
    record.restart_count = 0
    assert judge([record], since=READY, run_started=T0).restarts == 1


# --- restart_grace: one allowance per container, spent by every piece of evidence (v9 case 02) ----


def test_a_restart_before_the_run_and_a_death_during_it_spend_one_allowance_twice():
    """v9 02: RestartCount 1 at the start (a crash before the run), then a death during it the grace
    saw it come back from: two spells of one container, a crash loop. Either alone is tolerated."""
    during = ((T0 + 20, "die", 3, None), (T0 + 21, "start", None, None))
    both = watch(*during, last=RUNNING)
    both.restart_count = 2  # the engine counts the one before the run and the one during it
    judged = judge([both], since=READY, run_started=T0, grace=5.0)
    (problem,) = judged.problems
    assert "died at" in problem and "(exit 3)" in problem
    assert "one spell per container was spent (1 before the run)" in problem
    assert judged.restarts == 2
    only_during = watch(*during, last=RUNNING)
    only_during.restart_count = 1
    assert judge([only_during], since=READY, run_started=T0, grace=5.0).ok
    only_before = watch(last=RUNNING)
    only_before.restart_count = 1
    assert judge([only_before], since=READY, run_started=T0, grace=5.0).ok


def test_a_death_up_tolerated_before_ready_spends_the_allowance_too():
    """up's wait forgives a death it saw come back under the grace (and an unhealthy spell): that is
    the container's spell; a second, during the run, is a crash loop, and so are two before ready."""
    early = [(T0 + 1, "start", None, None), (T0 + 2, "die", 1, None), (T0 + 3, "start", None, None)]
    later = [(T0 + 20, "die", 1, None), (T0 + 21, "start", None, None)]
    once = watch(*early, last=RUNNING)
    once.restart_count = 1
    assert judge([once], since=READY, run_started=T0, grace=5.0).ok
    twice = watch(*early, *later, last=RUNNING)
    twice.restart_count = 2
    (problem,) = judge([twice], since=READY, run_started=T0, grace=5.0).problems
    assert "spent (1 before it was ready)" in problem
    loop = watch(*early, (T0 + 3.5, "die", 1, None), (T0 + 4, "start", None, None), last=RUNNING)
    loop.restart_count = 2
    (problem,) = judge([loop], since=READY, run_started=T0, grace=5.0).problems
    assert "came back 2 times (2 before it was ready)" in problem and "a second is a crash loop" in problem
    sick = watch((T0 + 2, "health_status", None, "unhealthy"), (T0 + 3, "health_status", None, "healthy"), *later)
    sick.last, sick.last_at, sick.restart_count = RUNNING, T0 + 60, 1
    assert not judge([sick], since=READY, run_started=T0, grace=5.0).ok


def test_a_restart_the_run_saw_before_a_start_by_hand_is_not_subtracted_from_the_engines_count():
    """The engine sets RestartCount back to 0 on a start by hand (``docker restart`` included): a policy
    restart the run saw before one is not among the count, which is all restarts the run did not see
    since (one of them, and one during the run: two spells). A replayed event is no start by hand."""
    record = watch(
        (T0 + 2, "die", 1, None),
        (T0 + 3, "start", None, None),  # by its policy, then a docker restart sets the count back:
        (T0 + 4, "die", 143, None),
        (T0 + 4.1, "stop", None, None),
        (T0 + 4.2, "start", None, None),
        (T0 + 4.2, "restart", None, None),
        last=RUNNING,
    )
    assert record.counted_restarts() == 0
    record.restart_count = 1  # one restart by its policy since, the run did not see it
    judged = judge([record], since=T0 + 1, run_started=T0, grace=5.0)
    assert not judged.ok and "spent (1 before the run)" in judged.problems[0]
    replayed = watch((T0 + 2, "die", 1, None), (T0 + 3, "start", None, None), (T0 + 3, "start", None, None))
    assert replayed.counted_restarts() == 1


def test_a_death_within_an_unhealthy_spell_is_that_spell_but_two_deaths_are_two():
    """A database unhealthy while it initialises, then crashing once and healthy after its restart
    (adversary case 11's shape): one spell, before ready or during the run. Two deaths in one unhealthy
    spell are a crash loop: the restart between them ends the first."""
    spell = [
        (T0 + 2, "health_status", None, "unhealthy"),
        (T0 + 3, "die", 1, None),
        (T0 + 3.2, "start", None, None),
        (T0 + 4, "health_status", None, "healthy"),
    ]
    once = watch((T0 + 1, "start", None, None), *spell, last=RUNNING)
    once.restart_count = 1
    assert judge([once], since=READY, run_started=T0, grace=5.0).ok  # before ready
    assert judge([once], since=T0 + 1.5, run_started=T0, grace=5.0).ok  # during the run
    loop = [*spell[:3], (T0 + 3.5, "die", 1, None), (T0 + 3.6, "start", None, None), spell[3]]
    twice = watch((T0 + 1, "start", None, None), *loop, last=RUNNING)
    twice.restart_count = 2
    assert not judge([twice], since=READY, run_started=T0, grace=5.0).ok
    assert not judge([twice], since=T0 + 1.5, run_started=T0, grace=5.0).ok


def test_an_unhealthy_spell_before_ready_forgives_no_death_after_its_grace():
    """up waited for ``running`` only: the container was unhealthy before ready and healthy a minute
    later; a death 30 s in is no part of that spell (a spell lasts the grace at most): a second one."""
    record = watch(
        (T0 + 1, "start", None, None),
        (T0 + 2, "health_status", None, "unhealthy"),
        (T0 + 30, "die", 1, None),
        (T0 + 30.5, "start", None, None),
        (T0 + 62, "health_status", None, "healthy"),
        last=RUNNING,
    )
    record.restart_count = 1
    (problem,) = judge([record], since=READY, run_started=T0, grace=5.0).problems
    assert "died at" in problem and "spent (1 before it was ready)" in problem


def test_a_stop_and_start_during_the_run_is_a_restart_whoever_caused_it():
    """v9b case 06: a ``docker stop`` + ``docker start`` once the service was ready (die, stop, start)
    went down and came back: a restart, under restart_grace too (which tolerates it as its one spell);
    the start by hand set RestartCount back to 0. ``up``'s own stop and start before ready is none, and
    ``docker restart`` (die, stop, start, restart) is one."""
    bounced = watch(
        (T0 + 1, "create", None, None),
        (T0 + 2, "start", None, None),
        (T0 + 10, "die", 137, None),
        (T0 + 10.1, "stop", None, None),
        (T0 + 11, "start", None, None),
        last=RUNNING,
    )
    judged = judge([bounced], since=READY, run_started=T0, grace=30.0)
    assert judged.ok and judged.restarts == 1, judged
    assert len(bounced.restarts(READY)) == 1 and bounced.restarts(T0 + 20) == []  # before ready: up's
    restarted = watch(
        (T0 + 10, "die", 143, None),
        (T0 + 10.1, "stop", None, None),
        (T0 + 10.2, "start", None, None),
        (T0 + 10.2, "restart", None, None),
    )
    assert len(restarted.restarts(READY)) == 1 and len(restarted.restarts(T0 + 20)) == 1


def test_limits_read_when_up_was_over_hold_only_if_every_replica_kept_them_and_none_was_updated():
    """v9b case 05: a limit is read again from every replica at the last observation; one that differs,
    or a ``docker update`` since ready (what it ran under in between is not known), leaves no value."""
    memory, cpus = metric_name("service", "web", "memory_limit"), metric_name("service", "web", "cpus")
    result = Result(kind="service", name="web", verdict="pass", metrics={memory: 64.0, cpus: 0.5})
    kept, lifted = watch(last=RUNNING), watch(last=RUNNING)
    kept.limits, lifted.limits = {"memory_limit": 64.0, "cpus": 0.5}, {"memory_limit": 2048.0, "cpus": 0.5}
    assert limits_changed(result, [kept], READY) == {}
    changed = limits_changed(result, [kept, lifted], READY)
    assert list(changed) == [memory] and "not at the last observation on demo-web" in changed[memory]
    updated = watch((T0 + 10, "update", None, None), last=RUNNING)
    updated.limits = {"memory_limit": 64.0, "cpus": 0.5}  # lifted and set back during the run
    assert set(limits_changed(result, [updated], READY)) == {memory, cpus}
    assert limits_changed(result, [updated], T0 + 20) == {}  # an update before ready is up's
