"""The stop graph of ``down`` and of ``up``'s recreate path: pure, tested without Docker."""

from __future__ import annotations

import dataclasses

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine.desired import desired_state
from validator.engine.observed import ObservedContainer
from validator.engine.planner import stop_needs, stop_needs_of_spec, stop_plan

DB = {"image": "db:1", "stop_grace_period": "3s"}
API = {"image": "api:1", "depends_on": ["db"]}
WORKER = {
    "image": "w:1",
    "depends_on": {"db": {"condition": "service_started"}, "api": {"condition": "service_started"}},
}
LONE = {"image": "lone:1", "stop_signal": "SIGINT"}


def all_of(observed):
    return [c for items in observed.containers.values() for c in items]


def desired(tmp_path, **services):
    return desired_state(load_dict(tmp_path, base_spec(**services)))


def test_each_service_stops_after_its_dependents_and_independents_do_not_wait(tmp_path):
    state = desired(tmp_path, db=DB, api=API, worker=WORKER, lone=LONE)
    steps = {s.service: s for s in stop_plan(stop_needs(state), all_of(observed_as_applied(state)))}
    assert steps["db"].after == ("id-api", "id-worker")
    assert steps["api"].after == ("id-worker",)
    assert steps["worker"].after == () and steps["lone"].after == ()
    assert steps["db"].timeout == 3.0 and steps["lone"].timeout == 10.0  # Compose's default grace
    assert all(s.remove for s in steps.values())


def test_edges_only_to_containers_being_stopped_and_kept_services_not_removed(tmp_path):
    state = desired(tmp_path, db=DB, api=API, worker=WORKER)
    containers = {c.service: c for c in all_of(observed_as_applied(state))}
    steps = {
        s.service: s
        for s in stop_plan(stop_needs(state), [containers["db"], containers["api"]], keep=frozenset({"id-api"}))
    }
    assert set(steps) == {"db", "api"}
    assert steps["db"].after == ("id-api",) and steps["api"].after == ()
    assert steps["db"].remove and not steps["api"].remove


def test_orphans_go_first_with_their_own_stop_timeout(tmp_path):
    state = desired(tmp_path, db=DB)
    (db,) = observed_as_applied(state).containers["db"]
    orphan = dataclasses.replace(db, id="id-old", name="p-old", service="old")
    stray = ObservedContainer(
        id="id-x", name="p-x", service=None, config_hash=None, config=None, image_id=None, state="running"
    )
    steps = {s.name: s for s in stop_plan(stop_needs(state), [*all_of(observed_as_applied(state)), orphan, stray])}
    assert steps["p-old"].timeout is None and steps["p-old"].after == ()
    assert steps[state.services["db"].container].after == ("id-old", "id-x")


def test_needs_from_the_spec_alone_match_the_desired_state(tmp_path):
    loaded = load_dict(tmp_path, base_spec(db=DB, api=API, worker=WORKER, lone=LONE))
    assert stop_needs_of_spec(loaded.spec) == stop_needs(desired_state(loaded))


def test_down_without_a_spec_orders_by_the_depends_on_label_and_keeps_each_containers_grace():
    from validator.engine import compose_labels as CL
    from validator.engine.stop_graph import StopNeeds
    from validator.engine.teardown import _running

    def summary(cid: str, service: str, depends: str) -> dict[str, object]:
        labels = {"dev.validator.service": service, CL.DEPENDS_ON: depends}
        return {"Id": cid, "Names": [f"/p-{service}-1"], "Labels": labels}

    found = [
        _running(summary("a", "api", "db:service_healthy:false,cache:service_started:true")),
        _running(summary("d", "db", "")),
        _running(summary("c", "cache", "")),
    ]
    assert found[0].depends_on == {"db", "cache"}
    needs = {c.service: StopNeeds(c.depends_on, None) for c in found if c.service}
    steps = {s.service: s for s in stop_plan(needs, found)}
    assert steps["db"].after == ("a",) and steps["cache"].after == ("a",) and steps["api"].after == ()
    assert all(s.timeout is None for s in steps.values())  # each container's own StopTimeout


def test_down_reads_the_few_keys_it_needs_from_a_spec_as_written():
    from validator.engine.teardown import declared_needs

    needs = declared_needs(
        {
            "api": {"depends_on": {"db": {"condition": "service_healthy"}}, "stop_grace_period": "3s"},
            "worker": {"depends_on": ["db"], "pre_stop": [{"command": "echo bye"}]},
            "db": {"stop_grace_period": "lots"},  # lint refuses it; down reads it as unset
            "odd": "not a mapping",
        }
    )
    assert needs["api"].depends_on == {"db"} and needs["api"].timeout == 3.0
    assert needs["worker"].pre_stop == ({"command": ["echo", "bye"]},) and needs["worker"].timeout is None
    assert needs["db"].timeout is None and needs["odd"].depends_on == frozenset()
