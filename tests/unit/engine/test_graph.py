"""The plan as a graph of single engine calls (engine/graph.py), golden-tested through its printed
form: tests/unit/engine/golden/<case>.txt, compared exactly (VALIDATOR_UPDATE_GOLDEN=1 writes them)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine.desired import desired_state
from validator.engine.graph import Graph, down_graph, pull_graph, up_graph
from validator.engine.planner import plan, stop_needs
from validator.engine.stop_graph import stop_plan

GOLDEN = Path(__file__).parent / "golden"
HEALTHY = {"test": ["CMD", "true"], "interval": "1s"}
DB = {"image": "db:1", "healthcheck": HEALTHY, "volumes": ["data:/var/lib/db"]}
WEB = {
    "image": "web:1",
    "scale": 2,
    "depends_on": {"db": {"condition": "service_healthy", "restart": True}},
}
JOB = {"image": "job:1", "restart": "no", "depends_on": {"db": {"condition": "service_started"}}}
API = {"image": "web:1", "depends_on": {"job": {"condition": "service_completed_successfully"}}}


def _desired(tmp_path, **services):
    spec = {**base_spec(**services), "volumes": {"data": {}}}
    return desired_state(load_dict(tmp_path, spec), {})


def _golden(name: str, graph: Graph, pulls: Graph | None = None) -> None:
    """``pulls``: the graph up walks first; the golden file prints it, then the graph after it."""
    path = GOLDEN / f"{name}.txt"
    text = graph.render() if pulls is None else pulls.render() + PULLS_DONE + graph.render()
    if os.environ.get("VALIDATOR_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"the printed graph differs from {path}"


PULLS_DONE = "-- the pulls done, the containers planned from what they left:\n"


def _as_up_walks(desired, observed, **options) -> tuple[Graph, Graph]:
    """The two graphs ``up`` walks (engine/pull_first.py): the plan's pulls, then the graph of the plan
    drawn again after them, every pulled image on the ID the pull left (here a new one)."""
    pulls = pull_graph(plan(desired, observed, **options))
    pulled = frozenset(step.target for step in pulls.steps)
    after = dataclasses.replace(
        observed, image_ids={**observed.image_ids, **{image: f"sha256:{image}-pulled" for image in pulled}}
    )
    return pulls, up_graph(desired, after, plan(desired, after, pulled=pulled, **options), **options)


def test_a_cold_up(tmp_path):
    desired = _desired(tmp_path, db=DB, web=WEB, job=JOB, api=API)
    observed = dataclasses.replace(
        observed_as_applied(desired), containers={}, networks=set(), volumes=set(), image_ids={"db:1": "sha256:d"}
    )
    pulls, graph = _as_up_walks(desired, observed)
    _golden("up-cold", graph, pulls)
    assert [s.key for s in pulls.steps] == ["pull web:1", "pull job:1"] and not any(s.needs for s in pulls.steps)
    present = dataclasses.replace(observed, image_ids={"db:1": "d", "web:1": "w", "job:1": "j"})
    waves = graph.waves()
    # both replicas of web start in the same wave, after db is ready by exec (its own health test)
    assert waves["create demo-web-1"] == waves["create demo-web-2"] > waves["wait demo-db-1 ready"]
    (web,) = [s for s in graph.steps if s.key == "create demo-web-1"]
    assert "wait demo-db-1 healthy" not in web.needs
    # without readiness by exec they wait for the engine's healthy status
    plain = up_graph(desired, present, plan(desired, present), ready_by_exec=False)
    (web,) = [s for s in plain.steps if s.key == "create demo-web-1"]
    assert "wait demo-db-1 healthy" in web.needs and "wait demo-db-1 ready" not in plain.waves()
    # the job waits for db running only; api for the job's completion
    assert waves["create demo-job-1"] == waves["wait demo-db-1 running"] + 1
    (api,) = [s for s in graph.steps if s.key == "create demo-api-1"]
    assert "wait demo-job-1 completed" in api.needs


def test_a_recreate_restarts_the_dependents_that_ask_for_it(tmp_path):
    desired = _desired(tmp_path, db=DB, web=WEB)
    observed = observed_as_applied(desired)
    changed = dataclasses.replace(desired.services["db"], config_hash="changed")
    desired = dataclasses.replace(desired, services={**desired.services, "db": changed})
    graph = up_graph(desired, observed, plan(desired, observed))
    _golden("up-recreate", graph)
    waves = graph.waves()
    # the dependents stop first (stop graph), db is removed before its successor takes its name
    assert waves["stop demo-web-1"] < waves["stop demo-db-1"] < waves["remove demo-db-1"] < waves["create demo-db-1"]
    assert "remove demo-web-1" not in waves  # a restart keeps its container


def test_a_scale_down_removes_then_renames(tmp_path):
    desired = _desired(tmp_path, db=DB, web=WEB)
    observed = observed_as_applied(desired)
    one = dataclasses.replace(desired.services["web"], replica_containers=("demo-web",))
    smaller = dataclasses.replace(desired, services={**desired.services, "web": one})
    graph = up_graph(smaller, observed, plan(smaller, observed))
    _golden("up-scale-down", graph)


def test_down(tmp_path):
    desired = _desired(tmp_path, db=DB, web=WEB, job=JOB)
    observed = observed_as_applied(desired)
    containers = [c for items in observed.containers.values() for c in items]
    graph = down_graph(stop_plan(stop_needs(desired), containers), networks=["demo_default"], volumes=["demo_data"])
    _golden("down", graph)
    waves = graph.waves()
    assert waves["stop demo-db-1"] > max(waves["remove demo-web-1"], waves["remove demo-web-2"])
    assert waves["remove-network demo_default"] == max(waves.values())


def test_a_graph_is_built_in_the_order_of_its_edges(tmp_path):
    desired = _desired(tmp_path, db=DB, web=WEB)
    observed = dataclasses.replace(observed_as_applied(desired), containers={})
    graph = up_graph(desired, observed, plan(desired, observed))
    seen: set[str] = set()
    for step in graph.steps:
        assert set(step.needs) <= seen, step.key
        seen.add(step.key)
    assert graph.render() != (GOLDEN / "down.txt").read_text()  # another graph never matches a golden file


def test_every_call_up_makes_is_a_step(tmp_path):
    # an image's own health check (read, then waited for), files copied in, a second network, a
    # post_start hook, a dependency that is not required (an ordering edge), readiness by exec off
    cache = {"image": "cache:1"}
    app = {
        "image": "app:1",
        "depends_on": {"cache": {"condition": "service_healthy"}},
        "networks": ["front", "back"],
        "configs": ["conf"],
        "post_start": [{"command": ["true"]}],
    }
    side = {"image": "side:1", "depends_on": {"app": {"condition": "service_started", "required": False}}}
    spec = {
        **base_spec(cache=cache, app=app, side=side),
        "networks": {"front": {}, "back": {}},
        "configs": {"conf": {"content": "a: 1\n"}},
    }
    desired = desired_state(load_dict(tmp_path, spec), {})
    observed = dataclasses.replace(
        observed_as_applied(desired), containers={}, networks=set(), volumes=set(), image_ids={}
    )
    pulls, graph = _as_up_walks(desired, observed, ready_by_exec=False)
    _golden("up-extras", graph, pulls)
    steps = {s.key: s for s in graph.steps}
    assert "health-check cache" in steps["wait demo-cache-1 healthy"].needs
    assert steps["create demo-app-1"].needs[0] == "wait demo-cache-1 healthy"
    assert steps["start demo-app-1"].needs == ("create demo-app-1", "put-files demo-app-1", "connect demo-app-1")
    assert steps["connect demo-app-1"].networks == ("demo_front",)  # demo_back is joined at create
    assert steps["wait demo-app-1 running"].needs == ("post-start demo-app-1",)
    assert steps["create demo-side-1"].after == ("wait demo-app-1 running",)
    assert "wait demo-app-1 running" not in steps["create demo-side-1"].needs


def test_a_kept_container_in_its_state_has_no_step(tmp_path):
    desired = _desired(tmp_path, db=DB, web=WEB)
    graph = up_graph(desired, observed_as_applied(desired), plan(desired, observed_as_applied(desired)))
    assert graph.steps == ()


SEED = {"image": "seed:1", "restart": "no", "healthcheck": {"test": ["CMD", "false"], "interval": "1s"}}
APP = {"image": "web:1", "depends_on": {"seed": {"condition": "service_healthy"}}}
REPORT = {"image": "web:1", "depends_on": {"seed": {"condition": "service_completed_successfully"}}}


def test_each_edge_waits_for_exactly_its_condition(tmp_path):
    # adversary graph4 01: a job waited on healthy by app and completed by report has a wait for each
    # state; app needs the healthy one (its readiness by exec), report the completed one
    desired = _desired(tmp_path, seed=SEED, app=APP, report=REPORT)
    observed = dataclasses.replace(observed_as_applied(desired), containers={})
    graph = up_graph(desired, observed, plan(desired, observed))
    _golden("up-conditions", graph)
    steps = {s.key: s for s in graph.steps}
    assert steps["create demo-app-1"].needs[0] == "wait demo-seed-1 ready"
    assert steps["create demo-report-1"].needs[0] == "wait demo-seed-1 completed"
    plain = {s.key: s for s in up_graph(desired, observed, plan(desired, observed), ready_by_exec=False).steps}
    assert plain["create demo-app-1"].needs[0] == "wait demo-seed-1 healthy"
    # 01b: the health check the image's: the healthy wait needs the image read, as a running goal's
    image_seed = {"image": "seed:1", "restart": "no"}
    desired = _desired(tmp_path, seed=image_seed, app=APP, report=REPORT)
    steps = {s.key: s for s in up_graph(desired, observed, plan(desired, observed)).steps}
    assert steps["wait demo-seed-1 healthy"].needs == ("wait demo-seed-1 running", "health-check seed")
    assert steps["create demo-app-1"].needs[0] == "wait demo-seed-1 healthy"
    assert "wait demo-seed-1 ready" not in steps  # nothing of the spec's to run by exec


def test_a_kept_container_is_waited_for_the_states_it_is_not_in(tmp_path):
    desired = _desired(tmp_path, seed=SEED, app=APP, report=REPORT)
    applied = observed_as_applied(desired)
    seed = dataclasses.replace(applied.containers["seed"][0], state="exited", exit_code=0, health="unhealthy")
    observed = dataclasses.replace(applied, containers={**applied.containers, "seed": (seed,)})
    the_plan = plan(desired, observed)
    assert the_plan.for_service("seed") is None  # a completed job is kept, not rerun
    keys = {s.key for s in up_graph(desired, observed, the_plan).steps}
    # completed already; never healthy: app's edge waits (and fails on the exited container, as
    # Compose's "container ... exited (0)"), report's needs nothing
    assert "wait demo-seed-1 completed" not in keys and "wait demo-seed-1 healthy" in keys
    # adversary graph4 03: a kept container whose image's check says unhealthy is waited for again
    web = {"image": "web:1"}
    desired = _desired(tmp_path, web=web)
    applied = observed_as_applied(desired)
    sick = dataclasses.replace(applied.containers["web"][0], health="unhealthy")
    observed = dataclasses.replace(applied, containers={"web": (sick,)})
    steps = up_graph(desired, observed, plan(desired, observed)).steps
    assert [s.key for s in steps] == ["wait demo-web-1 running", "wait demo-web-1 image-healthy"]
    # with no check, or a passing one, it has no step; with its check disabled, it is never waited healthy
    for health in (None, "healthy"):
        fine = dataclasses.replace(sick, health=health)
        observed = dataclasses.replace(applied, containers={"web": (fine,)})
        assert up_graph(desired, observed, plan(desired, observed)).steps == ()
    desired = _desired(tmp_path, web={**web, "healthcheck": {"disable": True}})
    observed = dataclasses.replace(observed_as_applied(desired), containers={})
    keys = {s.key for s in up_graph(desired, observed, plan(desired, observed)).steps}
    assert "wait demo-web-1 image-healthy" not in keys
