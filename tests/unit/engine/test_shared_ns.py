"""A container sharing another's namespace is kept only in its owner's current one (engine/shared_ns.py;
adversary graph6 cases 09 and 12): the rule, the plan it makes and the graph edge it adds."""

from __future__ import annotations

import dataclasses

import pytest

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine.desired import desired_state
from validator.engine.graph import up_graph
from validator.engine.planner import plan
from validator.engine.shared_ns import Owner, SharedNamespace, joined, mounts, stale

SHARE = SharedNamespace(kind="network", container="demo-net-1", service="net")
NET = {"image": "busybox:1", "command": ["sleep", "3600"]}
WEB = {"image": "busybox:1", "command": ["httpd", "-f"], "network_mode": "service:net"}


def _stale(**changes):
    facts = {
        "joined_id": "id-net",
        "started": 20.0,
        "running": True,
        "owner": Owner(id="id-net", started=10.0, running=True),
        "owner_starts": None,
    }
    return stale(SHARE, **{**facts, **changes})


def test_a_sharer_started_after_its_owners_current_start_is_current():
    assert _stale() is None
    assert _stale(started=10.0) is None  # the same instant is not before


@pytest.mark.parametrize(
    ("changes", "need"),
    [
        ({"started": 5.0}, "restart"),  # owner restarted since: web is in its earlier namespace
        ({"started": None}, "restart"),  # its start is unknown: not shown current
        ({"owner_starts": "start"}, "restart"),  # up starts the owner: a new namespace
        ({"owner_starts": "restart"}, "restart"),
        ({"owner": Owner(id="id-net", started=None, running=False)}, "restart"),  # the owner is down
        ({"owner_starts": "recreate"}, "recreate"),  # a new owner: a new ID, joined only at create
        ({"owner_starts": "create"}, "recreate"),
        ({"owner": Owner(id="id-other", started=1.0, running=True)}, "recreate"),  # its owner was replaced
        ({"owner": None}, "recreate"),  # its owner is gone
        ({"owner": Owner(id="id-other", started=1.0, running=True), "running": False}, "recreate"),
    ],
)
def test_a_sharer_out_of_its_owners_current_namespace(changes, need):
    result = _stale(**changes)
    assert result is not None and result[0] == need, result
    assert "network namespace of demo-net-1" in result[1]


def test_a_sharer_that_is_not_running_holds_no_namespace():
    assert _stale(running=False, started=5.0) is None
    assert _stale(running=False, owner_starts="start") is None
    assert _stale(joined_id=None, started=5.0) is None  # nothing read of it: nothing to judge


def test_joined_reads_the_owner_ids_the_engine_recorded():
    detail = {"HostConfig": {"NetworkMode": "container:abc", "PidMode": "container:def", "IpcMode": "private"}}
    assert joined(detail) == {"network": "abc", "pid": "def"}
    assert joined({"HostConfig": {"NetworkMode": "demo_default"}}) == {}
    assert joined(None) == {}


def _state(tmp_path, **services):
    return desired_state(load_dict(tmp_path, base_spec(**services)), {})


def test_desired_names_each_shared_namespace_and_its_owner(tmp_path):
    state = _state(tmp_path, net=NET, web={**WEB, "pid": "service:net", "ipc": "container:outside"})
    assert state.services["web"].shares == (
        SharedNamespace(kind="network", container="demo-net-1", service="net"),
        SharedNamespace(kind="pid", container="demo-net-1", service="net"),
        SharedNamespace(kind="ipc", container="outside"),
    )
    assert state.services["net"].shares == ()


def _observed(desired, *, net_started=10.0, web_started=20.0, web_joined="id-net", **net_changes):
    observed = observed_as_applied(desired)
    net = dataclasses.replace(observed.containers["net"][0], started=net_started, **net_changes)
    web = dataclasses.replace(observed.containers["web"][0], started=web_started, joined={"network": web_joined})
    return dataclasses.replace(observed, containers={"net": (net,), "web": (web,)})


def _kinds(result):
    return [(a.kind, a.service) for a in result.actions]


def test_case09_a_sharer_started_before_its_owners_restart_is_restarted(tmp_path):
    state = _state(tmp_path, net=NET, web=WEB)
    assert plan(state, _observed(state)).empty
    result = plan(state, _observed(state, net_started=30.0))  # net restarted by hand after web's start
    assert _kinds(result) == [("restart", "web")]
    assert "started before its current start" in result.actions[0].reasons[0]


def test_case09_up_that_starts_the_owner_restarts_the_sharer_after_it(tmp_path):
    state = _state(tmp_path, net=NET, web=WEB)
    observed = _observed(state, state="exited", exit_code=137)
    result = plan(state, observed)
    assert _kinds(result) == [("start", "net"), ("restart", "web")]
    steps = {s.key: s for s in up_graph(state, observed, result).steps}
    assert "wait demo-net-1 running" in steps["start demo-web-1"].needs
    assert "stop demo-web-1" in steps["start demo-web-1"].needs  # the restart: stopped, then started again


def test_case12_a_recreated_owner_recreates_its_sharer(tmp_path):
    before = _state(tmp_path / "a", net=NET, web=WEB)
    after = _state(tmp_path / "b", net={**NET, "environment": {"GEN": "2"}}, web=WEB)
    result = plan(after, _observed(before))
    assert _kinds(result) == [("recreate", "net"), ("recreate", "web")]
    assert "which is recreated" in result.actions[1].reasons[0]


def test_a_sharer_naming_a_replaced_owner_is_recreated(tmp_path):
    state = _state(tmp_path, net=NET, web=WEB)
    result = plan(state, _observed(state, web_joined="id-removed"))
    assert _kinds(result) == [("recreate", "web")]
    exited = _observed(state, web_joined="id-removed")
    web = dataclasses.replace(exited.containers["web"][0], state="exited", exit_code=1)
    exited = dataclasses.replace(exited, containers={**exited.containers, "web": (web,)})
    assert _kinds(plan(state, exited)) == [("recreate", "web")]  # a start would not find its owner


def test_an_exited_sharer_is_only_started(tmp_path):
    state = _state(tmp_path, net=NET, web=WEB)
    observed = _observed(state, net_started=30.0)
    web = dataclasses.replace(observed.containers["web"][0], state="exited", exit_code=1)
    result = plan(state, dataclasses.replace(observed, containers={**observed.containers, "web": (web,)}))
    assert _kinds(result) == [("start", "web")]  # its start joins net's current namespace


def test_a_compose_sharer_out_of_its_owners_namespace_is_a_conflict(tmp_path):
    state = _state(tmp_path, net=NET, web=WEB)
    observed = _observed(state, net_started=30.0)
    web = dataclasses.replace(observed.containers["web"][0], owner="compose")
    result = plan(state, dataclasses.replace(observed, containers={**observed.containers, "web": (web,)}))
    assert not result.actions
    assert len(result.conflicts) == 1 and "started before its current start" in result.conflicts[0]


DB = {"image": "busybox:1", "command": ["sleep", "3600"], "volumes": ["/data"]}
READER = {"image": "busybox:1", "command": ["sleep", "3600"], "volumes_from": ["db:ro"], "volumes": ["/own"]}


def test_desired_names_the_source_of_volumes_from(tmp_path):
    state = _state(tmp_path, db=DB, reader={**READER, "volumes_from": ["db:ro", "container:outside"]})
    assert state.services["reader"].shares == (
        SharedNamespace(kind="volumes", container="demo-db-1", service="db", own_targets=("/own",)),
        SharedNamespace(kind="volumes", container="outside", own_targets=("/own",)),
    )


def test_mounts_reads_volumes_and_binds_by_target():
    detail = {
        "Mounts": [
            {"Type": "volume", "Name": "v1", "Source": "/var/lib/docker/volumes/v1/_data", "Destination": "/data"},
            {"Type": "bind", "Source": "/srv/conf", "Destination": "/conf"},
            {"Type": "tmpfs", "Destination": "/run"},
        ]
    }
    assert mounts(detail) == {"/data": "volume v1", "/conf": "bind /srv/conf"}
    assert mounts(None) is None


def _volumes_observed(desired, *, db_mounts, reader_mounts):
    observed = observed_as_applied(desired)
    db = dataclasses.replace(observed.containers["db"][0], mounts=db_mounts)
    reader = dataclasses.replace(observed.containers["reader"][0], mounts=reader_mounts)
    return dataclasses.replace(observed, containers={"db": (db,), "reader": (reader,)})


def test_case13_a_recreated_source_recreates_the_volumes_from_sharer(tmp_path):
    before = _state(tmp_path / "a", db=DB, reader=READER)
    after = _state(tmp_path / "b", db={**DB, "environment": {"GEN": "2"}}, reader=READER)
    same = {"/data": "volume v1"}
    assert plan(before, _volumes_observed(before, db_mounts=same, reader_mounts={**same, "/own": "volume o"})).empty
    result = plan(after, _volumes_observed(before, db_mounts=same, reader_mounts=same))
    assert _kinds(result) == [("recreate", "db"), ("recreate", "reader")]


def test_case13_a_kept_sharer_on_another_volume_than_the_sources_is_recreated(tmp_path):
    state = _state(tmp_path, db=DB, reader=READER)
    observed = _volumes_observed(state, db_mounts={"/data": "volume new"}, reader_mounts={"/data": "volume old"})
    result = plan(state, observed)
    assert _kinds(result) == [("recreate", "reader")]
    assert "at /data" in result.actions[0].reasons[0]
    # its own mount at a target the source mounts too wins: not taken from the source
    own = _volumes_observed(state, db_mounts={"/own": "volume x"}, reader_mounts={"/own": "volume mine"})
    assert plan(state, own).empty


def test_a_restart_of_the_source_leaves_a_volumes_from_sharer_alone(tmp_path):
    state = _state(tmp_path, db=DB, reader=READER)
    observed = _volumes_observed(state, db_mounts={"/data": "volume v"}, reader_mounts={"/data": "volume v"})
    db = dataclasses.replace(observed.containers["db"][0], state="exited", exit_code=137)
    result = plan(state, dataclasses.replace(observed, containers={**observed.containers, "db": (db,)}))
    assert _kinds(result) == [("start", "db")]


def test_a_recreate_carries_the_old_containers_anonymous_volumes_over():
    from validator.engine.body import carry_anonymous_volumes

    anon = "a" * 64
    body = {
        "Image": "x",
        "HostConfig": {
            "Mounts": [
                {"Type": "volume", "Target": "/data", "ReadOnly": False},
                {"Type": "volume", "Target": "/new", "ReadOnly": False},
                {"Type": "tmpfs", "Target": "/run"},
            ]
        },
    }
    old = {
        "Mounts": [
            {"Type": "volume", "Name": anon, "Destination": "/data"},
            {"Type": "volume", "Name": "demo_named", "Destination": "/new"},  # a named one: the spec's, not carried
        ]
    }
    carried = carry_anonymous_volumes(body, old)
    assert carried["HostConfig"]["Mounts"][0] == {
        "Type": "volume",
        "Target": "/data",
        "ReadOnly": False,
        "Source": anon,
    }
    assert carried["HostConfig"]["Mounts"][1:] == body["HostConfig"]["Mounts"][1:]
    assert "Source" not in body["HostConfig"]["Mounts"][0]  # the body itself is left as it was
    assert carry_anonymous_volumes(body, None) is body
