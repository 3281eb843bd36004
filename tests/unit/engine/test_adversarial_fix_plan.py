"""Adversary graph5 cases 07 and 06, as pure plan logic (their real-engine twins:
tests/integration/test_adversarial_fix-plan.py).

07: a build moves its tag for every service that names the image, so each is recreated after the build.
06: a job is a service another waits on with ``service_completed_successfully``; nothing else makes one.
"""

from __future__ import annotations

import dataclasses

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine.desired import desired_state
from validator.engine.graph import up_graph
from validator.engine.planner import plan


def _shared(tmp_path):
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "Dockerfile").write_text("FROM scratch\n")
    spec = base_spec(
        api={"image": "app:1", "build": {"context": "ctx"}},
        worker={"image": "app:1", "depends_on": ["api"]},  # runs the image api builds
        other={"image": "other:1"},
    )
    return desired_state(load_dict(tmp_path, spec), {})


def test_a_build_recreates_every_service_that_names_its_image_after_the_build(tmp_path):
    desired = _shared(tmp_path)
    observed = observed_as_applied(desired)
    the_plan = plan(desired, observed, build=True)
    kinds = {(a.kind, a.service) for a in the_plan.actions}
    assert ("build", "api") in kinds
    assert ("recreate", "api") in kinds and ("recreate", "worker") in kinds
    assert not any(a.service == "other" for a in the_plan.actions)
    (worker,) = [a for a in the_plan.actions if a.service == "worker"]
    assert worker.reasons == ("image app:1 is rebuilt in this run",)
    steps = {s.key: s for s in up_graph(desired, observed, the_plan).steps}
    (create,) = [s for key, s in steps.items() if key.startswith("create ") and "worker" in key]
    assert "build app:1" in create.needs  # compared with the ID the build makes, not the one before it


def test_without_a_build_the_shared_image_keeps_both(tmp_path):
    desired = _shared(tmp_path)
    the_plan = plan(desired, observed_as_applied(desired))
    assert the_plan.actions == ()


def test_a_written_restart_no_does_not_make_a_stopped_server_a_job(tmp_path):
    spec = base_spec(
        web={"image": "web:1", "restart": "no"},  # a server; the file writes the default out
        policy={"image": "p:1", "deploy": {"restart_policy": {"condition": "on-failure"}}},
        app={"image": "app:1", "depends_on": ["web"]},
    )
    desired = desired_state(load_dict(tmp_path, spec), {})
    observed = observed_as_applied(desired)
    for name in ("web", "policy"):
        items = tuple(dataclasses.replace(c, state="exited", exit_code=0) for c in observed.containers[name])
        observed = dataclasses.replace(observed, containers={**observed.containers, name: items})
    the_plan = plan(desired, observed)
    assert {(a.kind, a.service) for a in the_plan.actions} == {("start", "web"), ("start", "policy")}
    assert not any("a completed job" in n for n in the_plan.notes)
