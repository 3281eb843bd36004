"""Pulls before the plan (engine/pull_first.py): a plan drawn before a pull judges no container of the
pulled image; the plan drawn after it compares each with the image the pull left (Compose's meaning).
Pure logic over fakes; tests/integration/test_pull_moves_tag.py runs it against a real registry."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

import pytest

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine.desired import desired_state
from validator.engine.graph import pull_graph, up_graph
from validator.engine.planner import plan, until_pulled
from validator.engine.pull_first import PULLS_AT_ONCE, pull_all
from validator.errors import EngineError

OLD = "sha256:" + "a" * 64  # what observed_as_applied's containers run
NEW = "sha256:" + "b" * 64
APP = {"image": "app:1", "command": ["sleep", "1"], "pull_policy": "always"}
WORKER = {"image": "app:1", "command": ["sleep", "2"]}  # only names the image the pull moves
DB = {"image": "db:1", "command": ["sleep", "3"]}


def _desired(tmp_path, **services):
    return desired_state(load_dict(tmp_path, base_spec(**services)))


def _after_pull(observed, image: str, image_id: str):
    return dataclasses.replace(observed, image_ids={**observed.image_ids, image: image_id})


def test_a_plan_before_the_pull_judges_no_container_of_the_pulled_image(tmp_path):
    desired = _desired(tmp_path, app=APP, worker=WORKER, db=DB)
    before = plan(desired, observed_as_applied(desired, image_id=OLD))
    assert [(a.kind, a.target) for a in before.actions] == [("pull", "app:1")]
    # neither kept (a pass) nor recreated: unknown until the pull says what the tag names
    assert dict(before.unverified) == {"app": until_pulled("app:1"), "worker": until_pulled("app:1")}
    assert before.unchanged == ("db",)
    assert any(n.startswith("app, worker: image app:1 is pulled (pull_policy: always)") for n in before.notes)


def test_a_pull_that_moves_the_tag_recreates_every_service_naming_the_image(tmp_path):
    desired = _desired(tmp_path, app=APP, worker=WORKER, db=DB)
    observed = _after_pull(observed_as_applied(desired, image_id=OLD), "app:1", NEW)
    after = plan(desired, observed, pulled=frozenset({"app:1"}))
    assert {(a.kind, a.service) for a in after.actions} == {("recreate", "app"), ("recreate", "worker")}
    for action in after.actions:
        assert action.reasons == (f"image: app:1 moved to a new ID ({OLD[7:19]} -> {NEW[7:19]})",)
    assert after.unverified == () and after.unchanged == ("db",)
    # the graph up walks after its pulls holds no pull; the creates need no image step
    steps = {s.key: s for s in up_graph(desired, observed, after).steps}
    assert not [k for k in steps if k.startswith("pull ")]
    assert "remove demo-worker-1" in steps["create demo-worker-1"].needs


def test_a_pull_of_the_same_digest_recreates_nothing(tmp_path):
    desired = _desired(tmp_path, app=APP, worker=WORKER, db=DB)
    observed = observed_as_applied(desired, image_id=OLD)
    after = plan(desired, observed, pulled=frozenset({"app:1"}))
    assert after.empty and set(after.unchanged) == {"app", "worker", "db"}


def test_a_builder_whose_image_is_pulled_is_compared_after_the_pull(tmp_path):
    # before: "image is rebuilt" for any pull of a builder's image, whether or not it moved the tag
    builder = {"image": "app:1", "build": "./app", "pull_policy": "always", "command": ["sleep", "1"]}
    (tmp_path / "app").mkdir()
    desired = _desired(tmp_path, app=builder, worker=WORKER)
    observed = observed_as_applied(desired, image_id=OLD)
    assert [a.kind for a in plan(desired, observed).actions] == ["pull"]
    assert plan(desired, observed, pulled=frozenset({"app:1"})).empty
    moved = plan(desired, _after_pull(observed, "app:1", NEW), pulled=frozenset({"app:1"}))
    assert {a.service for a in moved.actions if a.kind == "recreate"} == {"app", "worker"}


def test_a_missing_image_whose_container_remains_is_judged_after_the_pull(tmp_path):
    # someone removed the tag (docker rmi -f) while the container ran: pull_policy missing pulls it
    desired = _desired(tmp_path, worker=WORKER)
    observed = _after_pull(observed_as_applied(desired, image_id=OLD), "app:1", None)  # type: ignore[arg-type]
    before = plan(desired, observed)
    assert [(a.kind, a.reasons) for a in before.actions] == [("pull", ("image not present locally",))]
    assert dict(before.unverified) == {"worker": until_pulled("app:1")}
    same = plan(desired, _after_pull(observed, "app:1", OLD), pulled=frozenset({"app:1"}))
    assert same.empty
    other = plan(desired, _after_pull(observed, "app:1", NEW), pulled=frozenset({"app:1"}))
    assert [a.kind for a in other.actions] == ["recreate"]


def test_the_up_graph_refuses_a_plan_that_still_pulls(tmp_path):
    desired = _desired(tmp_path, app=APP)
    observed = observed_as_applied(desired, image_id=OLD)
    with pytest.raises(ValueError, match="still pulls app:1"):
        up_graph(desired, observed, plan(desired, observed))
    assert [s.key for s in pull_graph(plan(desired, observed)).steps] == ["pull app:1"]


class _Engine:
    """Pulls that answer an ID per reference, or fail; counts how many run at once."""

    def __init__(self, ids: dict[str, str | Exception], gate: threading.Event | None = None) -> None:
        self.ids = ids
        self.gate = gate
        self.pulled: list[str] = []
        self.lock = threading.Lock()
        self.now = self.most = 0

    def pull(self, ref: str, progress: Callable[[str], None] | None = None) -> str:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            if self.gate is not None:
                assert self.gate.wait(5)
            answer = self.ids[ref]
            if isinstance(answer, Exception):
                raise answer
            self.pulled.append(ref)
            return answer
        finally:
            with self.lock:
                self.now -= 1


def _walk(tmp_path, engine, **services):
    desired = _desired(tmp_path, **services)
    observed = observed_as_applied(desired, image_id=OLD)
    lines: list[str] = []
    pulls = pull_all(
        engine,  # type: ignore[arg-type]
        desired,
        plan(desired, observed),
        progress=lambda who, line: lines.append(f"{who}: {line}"),
        deadline=1e12,
    )
    return pulls, observed, lines


def test_the_pulls_are_walked_and_say_which_tags_moved(tmp_path):
    engine = _Engine({"app:1": NEW, "db:1": OLD})
    pulls, observed, lines = _walk(tmp_path, engine, app=APP, db={**DB, "pull_policy": "always"})
    assert pulls.failure is None and pulls.images == {"app:1": NEW, "db:1": OLD}
    assert pulls.moved(observed.image_ids) == ["app:1"]
    assert {r.status for r in pulls.steps.values()} == {"done"} and set(pulls.steps) == {"pull app:1", "pull db:1"}
    assert "app: pulling app:1: pull_policy: always" in lines


def test_a_failed_pull_is_the_walks_failure(tmp_path):
    engine = _Engine({"app:1": EngineError("cannot pull image app:1: connection refused"), "db:1": OLD})
    pulls, _, _ = _walk(tmp_path, engine, app=APP, db={**DB, "pull_policy": "always"})
    assert pulls.failure == "cannot pull image app:1: connection refused"
    assert pulls.steps["pull app:1"].status == "failed" and "app:1" not in pulls.images


def test_pulls_run_at_once_up_to_the_bound(tmp_path):
    gate = threading.Event()
    services = {f"s{i}": {"image": f"img{i}:1", "command": ["sleep", "1"], "pull_policy": "always"} for i in range(6)}
    engine = _Engine({f"img{i}:1": NEW for i in range(6)}, gate)
    threading.Timer(0.5, gate.set).start()
    pulls, _, _ = _walk(tmp_path, engine, **services)
    assert pulls.failure is None and len(pulls.images) == 6
    assert engine.most == PULLS_AT_ONCE


def _planned(desired, observed):
    from validator.engine.reconcile import Planned, PlanOptions

    asked = PlanOptions(remove_orphans=False, force_recreate=False, build=False, ready_by_exec=True, rerun_jobs=False)
    return Planned(engine=None, desired=desired, observed=observed, plan=plan(desired, observed), asked=asked)  # type: ignore[arg-type]


def _fake_pulls(monkeypatch, answers: list[dict[str, str]], failure: str | None = None) -> list[str]:
    """``pull_all`` answering each round from ``answers``; returns the images each round pulled."""
    from validator.engine import reconcile
    from validator.engine.pull_first import Pulls

    rounds: list[str] = []

    def fake(engine, desired, the_plan, *, progress, deadline):
        rounds.append(",".join(a.target for a in the_plan.actions if a.kind == "pull"))
        return Pulls(images=answers[len(rounds) - 1] if failure is None else {}, failure=failure)

    monkeypatch.setattr(reconcile, "pull_all", fake)
    return rounds


def test_up_plans_again_from_a_new_look_only_when_a_pull_moved_a_tag(tmp_path, monkeypatch):
    from validator.engine import reconcile

    desired = _desired(tmp_path, app=APP, worker=WORKER)
    observed = observed_as_applied(desired, image_id=OLD)
    looks: list[int] = []

    def look(engine, desired, asked, pulled=frozenset()):
        looks.append(1)
        moved = _after_pull(observed, "app:1", NEW)
        return dataclasses.replace(_planned(desired, moved), plan=plan(desired, moved, pulled=pulled))

    monkeypatch.setattr(reconcile, "_observe_and_plan", look)
    # the same digest: no second look, nothing to do
    _fake_pulls(monkeypatch, [{"app:1": OLD}])
    same, pulls = reconcile._pull_first(_planned(desired, observed), progress=lambda *_: None, deadline=1e12)
    assert looks == [] and same.plan.empty and pulls is not None and pulls.images == {"app:1": OLD}
    # a moved tag: looked at again, both services recreated, no pull left in the plan up walks
    _fake_pulls(monkeypatch, [{"app:1": NEW}])
    moved, _ = reconcile._pull_first(_planned(desired, observed), progress=lambda *_: None, deadline=1e12)
    assert looks == [1] and {a.service for a in moved.plan.actions if a.kind == "recreate"} == {"app", "worker"}
    assert not [a for a in moved.plan.actions if a.kind == "pull"]


def test_a_failed_pull_ends_up_with_nothing_changed(tmp_path, monkeypatch):
    from validator.engine import reconcile

    desired = _desired(tmp_path, app=APP)
    _fake_pulls(monkeypatch, [], failure="cannot pull image app:1: connection refused")
    with pytest.raises(EngineError, match=r"connection refused; up changed nothing"):
        reconcile._pull_first(_planned(desired, observed_as_applied(desired)), progress=lambda *_: None, deadline=1e12)


def test_an_image_that_vanished_before_the_second_look_is_pulled_in_a_second_round(tmp_path, monkeypatch):
    from validator.engine import reconcile

    desired = _desired(tmp_path, app={**APP, "pull_policy": "missing"}, db=DB)
    observed = observed_as_applied(desired, image_id=OLD)
    first = dataclasses.replace(observed, image_ids={"app:1": OLD, "db:1": None})  # db is missing

    def look(engine, desired, asked, pulled=frozenset()):
        # someone removed app:1 after the first look: only what up pulled is there
        seen = dataclasses.replace(observed, image_ids={"app:1": None, "db:1": None, **dict.fromkeys(pulled, OLD)})
        return dataclasses.replace(_planned(desired, seen), plan=plan(desired, seen, pulled=pulled))

    monkeypatch.setattr(reconcile, "_observe_and_plan", look)
    rounds = _fake_pulls(monkeypatch, [{"db:1": OLD}, {"app:1": OLD}])
    planned, pulls = reconcile._pull_first(_planned(desired, first), progress=lambda *_: None, deadline=1e12)
    assert rounds == ["db:1", "app:1"] and pulls is not None and set(pulls.images) == {"app:1", "db:1"}
    assert planned.plan.empty


def test_rounds_of_pulls_are_bounded_by_the_images(tmp_path, monkeypatch):
    from validator.engine import reconcile

    desired = _desired(tmp_path, app=APP, db=DB)
    observed = observed_as_applied(desired, image_id=OLD)
    rounds = _fake_pulls(monkeypatch, [{}] * 10)  # pulls that report no image and no failure
    with pytest.raises(EngineError, match="cannot pull app:1: the engine reported no image after each pull"):
        reconcile._pull_first(_planned(desired, observed), progress=lambda *_: None, deadline=1e12)
    assert len(rounds) == 3  # two images: at most three rounds


def test_a_compose_container_of_a_pulled_image_is_judged_after_the_pull_too(tmp_path):
    desired = _desired(tmp_path, app=APP)
    observed = observed_as_applied(desired, image_id=OLD)
    (mine,) = observed.containers["app"]
    theirs = dataclasses.replace(mine, owner="compose")
    observed = dataclasses.replace(observed, containers={"app": (theirs,)})
    before = plan(desired, observed)
    assert dict(before.unverified) == {"app": until_pulled("app:1")} and before.unchanged == ()
    assert plan(desired, observed, pulled=frozenset({"app:1"})).unchanged == ("app",)
