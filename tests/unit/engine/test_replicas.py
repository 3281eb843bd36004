"""``scale``/``deploy.replicas`` on plain containers, the pure parts: names, the plan of a scale up, a
scale down and a drift, the slowest replica's timing, and the refusals left."""

from __future__ import annotations

import dataclasses

import pytest

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine import labels as L
from validator.engine.body import create_body
from validator.engine.desired import desired_state
from validator.engine.graph import up_graph
from validator.engine.planner import plan
from validator.engine.timings import slowest
from validator.engine.waiter import Timing
from validator.errors import SpecError

WEB = {"image": "web:1", "command": ["httpd", "-f"], "environment": {"MODE": "one"}}


def desired(tmp_path, **services):
    return desired_state(load_dict(tmp_path, base_spec(**services)), {})


def kinds(result) -> list[tuple[str, str, int | None]]:
    return [(a.kind, a.target, a.replica) for a in result.actions]


def test_every_replica_is_named_as_compose_names_it(tmp_path):
    one = desired(tmp_path, web=WEB).services["web"]
    assert (one.replicas, one.container, one.replica_name(1)) == (1, "demo-web-1", "demo-web-1")
    three = desired(tmp_path, web={**WEB, "deploy": {"replicas": 3}}).services["web"]
    assert three.replica_containers == ("demo-web-1", "demo-web-2", "demo-web-3")
    assert three.container == "demo-web-1"
    assert desired(tmp_path, web={**WEB, "scale": 2}).services["web"].replicas == 2


def test_replicas_share_one_config_hash_and_differ_by_their_replica_label(tmp_path):
    one = desired(tmp_path, web=WEB).services["web"]
    three = desired(tmp_path, web={**WEB, "scale": 3}).services["web"]
    assert one.config_hash == three.config_hash  # scaling never recreates, as Compose leaves scale out of its hash
    bodies = [
        create_body(
            three, project="demo", image_id="sha256:x", spec_files=(), api_version="1.41", version="0", replica=number
        )[0]
        for number in (1, 2, 3)
    ]
    assert [b["Labels"][L.REPLICA] for b in bodies] == ["1", "2", "3"]
    assert [b["Labels"]["com.docker.compose.container-number"] for b in bodies] == ["1", "2", "3"]
    assert all(b["Labels"][L.SERVICE] == "web" for b in bodies)
    aliases = [b["NetworkingConfig"]["EndpointsConfig"]["demo_default"]["Aliases"] for b in bodies]
    assert aliases == [[f"demo-web-{n}", "web"] for n in (1, 2, 3)]  # each its own name, as Compose
    rest = [{k: v for k, v in body.items() if k not in ("Labels", "NetworkingConfig")} for body in bodies]
    assert rest[0] == rest[1] == rest[2]


def test_a_reference_to_a_scaled_service_names_its_first_replica(tmp_path):
    state = desired(tmp_path, web={**WEB, "scale": 2}, side={"image": "s:1", "network_mode": "service:web"})
    assert state.services["side"].config["network_mode"] == "container:demo-web-1"


def test_container_name_with_several_replicas_is_refused_as_compose_refuses_it(tmp_path):
    with pytest.raises(SpecError) as caught:
        desired(tmp_path, web={**WEB, "container_name": "web", "deploy": {"replicas": 2}})
    assert "container_name cannot be set with deploy.replicas 2" in str(caught.value)


def test_cold_plan_creates_every_replica(tmp_path):
    state = desired(tmp_path, web={**WEB, "scale": 3})
    result = plan(state, dataclasses.replace(observed_as_applied(state), containers={}))
    assert kinds(result) == [("create", "demo-web-1", 1), ("create", "demo-web-2", 2), ("create", "demo-web-3", 3)]
    assert plan(state, observed_as_applied(state)).empty


def test_scale_up_keeps_the_single_container_and_creates_the_rest(tmp_path):
    before = desired(tmp_path, web=WEB)
    after = desired(tmp_path, web={**WEB, "scale": 3})
    result = plan(after, observed_as_applied(before))
    assert kinds(result) == [("create", "demo-web-2", 2), ("create", "demo-web-3", 3)]


def test_a_container_an_older_version_named_project_service_is_renamed_not_recreated(tmp_path):
    state = desired(tmp_path, web=WEB)
    observed = observed_as_applied(state)
    (web,) = observed.containers["web"]
    old = dataclasses.replace(web, name="demo-web")
    result = plan(state, dataclasses.replace(observed, containers={"web": (old,)}))
    assert kinds(result) == [("rename", "demo-web", 1)]
    rename = result.actions[0]
    assert rename.new_name == "demo-web-1" and rename.container_id == "id-web"
    assert rename.reasons == (
        "to demo-web-1, Compose's name (docker compose ps/logs/exec see it once it is recreated with "
        "Compose's labels: up --force-recreate)",
    )


def test_scale_down_removes_the_highest_numbers_and_renames_the_last_one_standing(tmp_path):
    before = desired(tmp_path, web={**WEB, "scale": 3})
    observed = observed_as_applied(before)
    to_two = plan(desired(tmp_path, web={**WEB, "scale": 2}), observed)
    assert kinds(to_two) == [("remove", "demo-web-3", 3)]
    assert to_two.actions[0].reasons == ("scaled to 2 replicas (this is replica 3)",)
    to_one = plan(desired(tmp_path, web=WEB), observed)
    assert kinds(to_one) == [("remove", "demo-web-2", 2), ("remove", "demo-web-3", 3)]


def test_a_drifted_service_recreates_every_replica(tmp_path):
    before = desired(tmp_path, web={**WEB, "scale": 2})
    after = desired(tmp_path, web={**WEB, "scale": 2, "environment": {"MODE": "two"}})
    result = plan(after, observed_as_applied(before))
    assert kinds(result) == [("recreate", "demo-web-1", 1), ("recreate", "demo-web-2", 2)]
    assert all(a.reasons == ("environment: MODE changed",) for a in result.actions)
    assert [a.container_id for a in result.actions] == ["id-web", "id-web-2"]


def test_a_stopped_replica_is_started_alone_and_a_duplicate_number_removed(tmp_path):
    state = desired(tmp_path, web={**WEB, "scale": 2})
    observed = observed_as_applied(state)
    first, second = observed.containers["web"]
    stopped = dataclasses.replace(second, state="exited", exit_code=137)
    twin = dataclasses.replace(first, id="id-twin", name="demo-web-1-old")
    result = plan(state, dataclasses.replace(observed, containers={"web": (first, twin, stopped)}))
    assert kinds(result) == [("remove", "demo-web-1-old", 1), ("start", "demo-web-2", 2)]
    assert result.actions[0].reasons == ("another container is replica 1",)


def test_a_container_without_a_replica_label_is_replica_one(tmp_path):
    from validator.engine.observed import from_summary

    summary = {"Id": "x", "Names": ["/demo-web"], "Labels": {L.SERVICE: "web"}, "State": "running", "Status": "Up"}
    assert from_summary(summary).replica == 1
    summary["Labels"] = {L.SERVICE: "web", L.REPLICA: "7"}
    assert from_summary(summary).replica == 7
    summary["Labels"] = {L.SERVICE: "web", L.REPLICA: "seven"}
    assert from_summary(summary).replica == 0  # no replica the spec asks for: the planner removes it


def test_dependents_restart_only_for_a_new_first_replica(tmp_path):
    api = {"image": "api:1", "network_mode": "service:web"}
    state = desired(tmp_path, web={**WEB, "scale": 3}, api=api)
    observed = observed_as_applied(state)
    web = observed.containers["web"]
    scaled_up = plan(state, dataclasses.replace(observed, containers={**observed.containers, "web": web[:1]}))
    assert [(a.kind, a.service) for a in scaled_up.actions] == [("create", "web"), ("create", "web")]
    lost_first = plan(state, dataclasses.replace(observed, containers={**observed.containers, "web": web[1:]}))
    # api shares web-1's network namespace: a new web-1 is a new ID, which api joins only by a recreate
    # (the engine records the owner's ID at create; Compose recreates it too; engine/shared_ns.py)
    assert [(a.kind, a.service) for a in lost_first.actions] == [("create", "web"), ("recreate", "api")]


def test_compose_containers_must_match_the_replica_count(tmp_path):
    state = desired(tmp_path, web={**WEB, "scale": 3})
    observed = observed_as_applied(state)
    composed = tuple(dataclasses.replace(c, owner="compose") for c in observed.containers["web"][:2])
    result = plan(state, dataclasses.replace(observed, containers={"web": composed}))
    assert not result.actions
    assert result.conflicts == (
        "web: docker compose runs 2 containers of it, the spec asks for 3; run docker compose up, or down it",
    )
    fine = tuple(dataclasses.replace(c, owner="compose") for c in observed.containers["web"])
    assert plan(state, dataclasses.replace(observed, containers={"web": fine})).empty


def test_the_service_timing_is_its_slowest_replicas():
    fast = Timing(requested_at=10.0, running_at=11.0, healthy_at=12.0, startup=1.0, healthy=1.0, restarts=1)
    slow = Timing(requested_at=10.5, running_at=13.0, healthy_at=13.5, startup=2.5, healthy=0.5, restarts=2)
    both = slowest([fast, slow])
    assert (both.requested_at, both.running_at, both.healthy_at) == (10.0, 13.0, 13.5)
    assert (both.startup, both.healthy, both.restarts, both.ready) == (2.5, 1.0, 3, None)
    # one replica whose health time is unknown (its health log rolled over): the service's is unknown
    unknown = Timing(requested_at=10.0, running_at=11.0, startup=1.0)
    assert slowest([fast, slow, unknown]).healthy is None and slowest([fast, slow, unknown]).startup == 2.5


def test_scale_zero_runs_no_container_and_removes_the_ones_that_run(tmp_path):
    from validator.backends.registry import backend

    loaded = load_dict(tmp_path, base_spec(web={**WEB, "deploy": {"replicas": 0}}))
    assert backend(loaded, "containers", warn=print).name == "containers"
    zero = desired(tmp_path, web={**WEB, "scale": 0})
    web = zero.services["web"]
    assert (web.replicas, web.names) == (0, ())
    nothing = plan(zero, dataclasses.replace(observed_as_applied(zero), containers={}))
    assert nothing.empty and nothing.unchanged == ("web",)
    assert nothing.notes == ("web: scale 0, it runs no container (services that depend on it do not wait for it)",)
    # from three replicas, or from one: every container goes, none is created
    down = plan(zero, observed_as_applied(desired(tmp_path, web={**WEB, "scale": 3})))
    assert kinds(down) == [("remove", "demo-web-1", 1), ("remove", "demo-web-2", 2), ("remove", "demo-web-3", 3)]
    assert down.actions[0].reasons == ("scaled to 0 replicas (this is replica 1)",)
    assert kinds(plan(zero, observed_as_applied(desired(tmp_path, web=WEB)))) == [("remove", "demo-web-1", 1)]


def test_a_scale_zero_service_holds_no_name_a_foreign_container_could_clash_with(tmp_path):
    from validator.engine.observed import observe

    foreign = {"Id": "f", "Names": ["/demo-web-1"], "Labels": {}, "State": "running", "Ports": []}

    class Engine:  # the engine's answers when the project runs nothing and a foreign demo-web exists
        api_version = "1.41"

        def containers(self, filters=None):
            return [] if filters else [foreign]

        def networks(self, filters=None):
            return []

        def volumes(self, filters=None):
            return []

        def inspect_image(self, image):
            return {"Id": "sha256:x"}

    one = observe(Engine(), desired(tmp_path, web=WEB))  # type: ignore[arg-type]
    assert "demo-web-1" in one.foreign_names  # the fake does show the clash when the name is wanted
    zero = observe(Engine(), desired(tmp_path, web={**WEB, "scale": 0}))  # type: ignore[arg-type]
    assert zero.foreign_names == {}


def test_sharing_or_linking_a_scale_zero_service_is_a_located_error(tmp_path):
    cases = {
        "network_mode": {"network_mode": "service:web"},
        "volumes_from": {"volumes_from": ["web:ro"]},
        "links": {"links": ["web:w"]},
    }
    for field, extra in cases.items():
        with pytest.raises(SpecError) as caught:
            desired(tmp_path, web={**WEB, "scale": 0}, api={"image": "api:1", **extra})
        finding = caught.value.findings[0]
        assert finding.path[:3] == ("services", "api", field), field
        assert finding.message == "needs a container of service 'web', which runs none (scale 0)"
        assert finding.location.line > 0
    # depends_on is no reference to a container: Compose starts the dependent without waiting
    waits = {"image": "api:1", "depends_on": {"web": {"condition": "service_healthy"}}}
    state = desired(tmp_path, web={**WEB, "scale": 0}, api=waits)
    assert state.services["api"].replicas == 1


@pytest.mark.parametrize(
    ("ports", "error"),
    [
        (["127.0.0.1:8080:80"], "host port 8080 can be held by 1 container and the service runs 3 replicas"),
        (["8080-8081:80"], "host port 8080-8081 can be held by 2 containers and the service runs 3 replicas"),
        (["8080-8082:80"], None),
        (["127.0.0.1::80", "90"], None),
    ],
)
def test_a_host_port_too_few_for_the_replicas_is_a_located_error(tmp_path, ports, error):
    loaded = load_dict(tmp_path, base_spec(web={**WEB, "ports": ports, "scale": 3}))
    if error is None:
        assert desired_state(loaded, {}).services["web"].replicas == 3
        return
    with pytest.raises(SpecError) as caught:
        desired_state(loaded, {})
    (finding,) = caught.value.findings
    assert finding.path == ("services", "web", "ports", 0) and finding.location.line > 0
    assert error in finding.message
    assert desired_state(loaded, {}, refuse_unsupported=False).services["web"].replicas == 3  # down needs none


def test_a_scaled_service_reaches_a_state_once_every_replica_has(tmp_path):
    spec = base_spec(
        web={**WEB, "scale": 2},
        api={"image": "api:1", "depends_on": {"web": {"condition": "service_started"}}},
    )
    desired = desired_state(load_dict(tmp_path, spec), {})
    observed = dataclasses.replace(observed_as_applied(desired), containers={})
    graph = up_graph(desired, observed, plan(desired, observed))
    (create,) = [s for s in graph.steps if s.key == "create demo-api-1"]
    # its dependents wait for every replica
    assert {"wait demo-web-1 running", "wait demo-web-2 running"} <= set(create.needs)


def test_each_replica_keeps_its_own_figures_between_runs(tmp_path):
    from validator.engine import timings as T

    # each measured on the start the engine still reports (StartedAt below)
    one = Timing(requested_at=1.0, startup=0.5, healthy=1.0, started="2026-01-01T00:00:07.5Z")
    two = Timing(requested_at=1.0, startup=0.9, healthy=3.0, started="2026-01-01T00:00:07.5Z")
    T.save(tmp_path, "demo", {"web": {"id-1": one, "id-2": two}, "db": {"id-db": one}})
    saved = T.load(tmp_path, "demo")

    def engine_record(cid: str) -> dict:
        return {"Created": "2026-01-01T00:00:00.5Z", "State": {"StartedAt": "2026-01-01T00:00:07.5Z"}}

    assert T.known_each(saved, "db", ["id-db"]) == {"id-db": one}  # one container: stored as before scale existed
    assert T.of_service(saved, "web", ["id-1", "id-2"], engine_record) == T.slowest([one, two])
    # scaled down to replica 1: its own figures, not the slowest of a replica that is gone
    assert T.of_service(saved, "web", ["id-1"], engine_record) == one
    # a replica no run measured: the engine's record (7 s from created to started, no health log) joins
    # the others; its health time unknown, the service's is too
    grown = T.of_service(saved, "web", ["id-1", "id-2", "id-3"], engine_record)
    assert (grown.startup, grown.healthy) == (7.0, None)
    measured = Timing(requested_at=2.0, startup=0.1)
    assert T.of_service(saved, "web", ["id-1"], engine_record, {"id-1": measured}) == measured


def test_a_fixed_address_with_several_replicas_is_a_located_error(tmp_path):
    spec = base_spec(
        web={**WEB, "scale": 2, "mac_address": "02:42:ac:11:00:02", "networks": {"back": {"ipv4_address": "10.5.0.5"}}}
    )
    spec["networks"] = {"back": {"ipam": {"config": [{"subnet": "10.5.0.0/24"}]}}}
    with pytest.raises(SpecError) as caught:
        desired_state(load_dict(tmp_path, spec), {})
    assert sorted((".".join(map(str, f.path)), f.message) for f in caught.value.findings) == [
        ("services.web.mac_address", "mac_address is one container's and the service runs 2 replicas"),
        (
            "services.web.networks.back.ipv4_address",
            "networks.back.ipv4_address is one container's and the service runs 2 replicas",
        ),
    ]
    spec["services"]["web"]["scale"] = 1
    assert desired_state(load_dict(tmp_path, spec), {}).services["web"].replicas == 1
