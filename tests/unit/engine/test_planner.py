"""The plan is a pure function of (desired, observed): tested without Docker."""

from __future__ import annotations

import dataclasses

import pytest

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine.desired import desired_state
from validator.engine.observed import ObservedContainer
from validator.engine.planner import plan, topological_order

WEB = {
    "image": "web:1",
    "command": ["httpd", "-f"],
    "environment": {"MODE": "one", "DB_PASSWORD": "s3cret-value"},
    "ports": ["127.0.0.1:8080:80"],
    "mem_limit": "256m",
    "cpus": 0.5,
    "volumes": ["./conf:/etc/web:ro", "./data:/data"],
    "healthcheck": {"test": ["CMD", "true"], "interval": "2s", "timeout": "1s"},
}
DB = {"image": "db:1", "healthcheck": {"test": ["CMD", "true"], "interval": "2s", "timeout": "1s"}}


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "web.conf").write_text("a = 1\n")
    (tmp_path / "data").mkdir()
    return tmp_path


def desired_for(folder, **services):
    return desired_state(load_dict(folder, base_spec(**services)))


def test_cold_plan_creates_everything(folder):
    desired = desired_for(folder, web=WEB, db=DB)
    result = plan(
        desired,
        dataclasses.replace(
            observed_as_applied(desired),
            containers={},
            networks=set(),
            image_ids={"web:1": "sha256:x", "db:1": "sha256:y"},
        ),
    )
    assert [(a.kind, a.target) for a in result.actions] == [
        ("create-network", "demo_default"),
        ("create", "demo-db-1"),
        ("create", "demo-web-1"),
    ]


def test_missing_image_is_pulled_and_buildable_image_is_built(folder):
    desired = desired_for(folder, web=WEB, job={"build": "./job"})
    observed = dataclasses.replace(observed_as_applied(desired), containers={}, image_ids={})
    kinds = {(a.kind, a.target) for a in plan(desired, observed).actions}
    assert ("pull", "web:1") in kinds and ("build", "demo-job") in kinds


def test_no_change_means_no_action(folder):
    desired = desired_for(folder, web=WEB, db=DB)
    result = plan(desired, observed_as_applied(desired))
    assert result.empty and result.actions == () and set(result.unchanged) == {"web", "db"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"environment": {"MODE": "two", "DB_PASSWORD": "s3cret-value"}}, "environment: MODE changed"),
        ({"command": ["httpd", "-v"]}, "command: changed"),
        ({"ports": ["127.0.0.1:9090:80"]}, "ports: +127.0.0.1:9090:80/tcp, -1 earlier item"),
        ({"mem_limit": "512m"}, "mem_limit: 256 MiB -> 512 MiB"),
        ({"cpus": 1}, "cpus: 0.5 -> 1.0"),
        (
            {"healthcheck": {"test": ["CMD", "true"], "interval": "5s", "timeout": "1s"}},
            "healthcheck.interval: 2s -> 5s",
        ),
        (
            {"environment": {"MODE": "one", "DB_PASSWORD": "other-secret"}},
            "environment: DB_PASSWORD changed",
        ),
    ],
)
def test_each_drift_recreates_exactly_that_service(folder, change, reason):
    before = desired_for(folder, web=WEB, db=DB)
    after = desired_for(folder, web={**WEB, **change}, db=DB)
    result = plan(after, observed_as_applied(before))
    assert [(a.kind, a.service) for a in result.actions] == [("recreate", "web")]
    assert result.actions[0].reasons == (reason,)
    assert "s3cret" not in str(result) and "other-secret" not in str(result)


def test_without_what_docker_reports_the_old_value_is_never_guessed(folder):
    before = desired_for(folder, web=WEB, db=DB)
    after = desired_for(folder, web={**WEB, "environment": {"MODE": "two", "DB_PASSWORD": "s3cret-value"}}, db=DB)
    observed = observed_as_applied(before)
    blind = {n: tuple(dataclasses.replace(c, inspected=None) for c in cs) for n, cs in observed.containers.items()}
    result = plan(after, dataclasses.replace(observed, containers=blind))
    assert result.actions[0].reasons == ("environment: MODE changed",)


def test_a_label_with_plain_values_is_replaced_once(folder):
    desired = desired_for(folder, web=WEB, db=DB)
    observed = observed_as_applied(desired)
    (web,) = observed.containers["web"]
    legacy = dataclasses.replace(
        web,
        config_hash="sha256-of-old",
        config={"config": desired.services["web"].config, "mounted": desired.services["web"].mounted},
    )
    result = plan(desired, dataclasses.replace(observed, containers={**observed.containers, "web": (legacy,)}))
    assert [(a.kind, a.service) for a in result.actions] == [("recreate", "web")]
    assert result.actions[0].reasons == (
        "its labels hold plain values (an older validator wrote them): recreated to hold hashes",
    )


def test_mounted_config_content_is_drift_but_data_is_not(folder):
    before = desired_for(folder, web=WEB)
    (folder / "data" / "table.parquet").write_text("rows")
    assert plan(desired_for(folder, web=WEB), observed_as_applied(before)).empty
    (folder / "conf" / "web.conf").write_text("a = 2\n")
    result = plan(desired_for(folder, web=WEB), observed_as_applied(before))
    assert result.actions[0].reasons == ("mounted file conf/web.conf changed",)


def test_image_moved_to_a_new_id(folder):
    desired = desired_for(folder, web=WEB)
    observed = observed_as_applied(desired, image_id="sha256:" + "1" * 64)
    observed = dataclasses.replace(observed, image_ids={"web:1": "sha256:" + "2" * 64})
    (action,) = plan(desired, observed).actions
    assert action.kind == "recreate"
    assert action.reasons == ("image: web:1 moved to a new ID (111111111111 -> 222222222222)",)


def test_dependants_restart_only_when_declared(folder):
    app = {"image": "app:1", "depends_on": {"db": {"condition": "service_healthy", "restart": True}}}
    other = {"image": "app:1", "depends_on": ["db"]}
    before = desired_for(folder, db=DB, app=app, other=other)
    after = desired_for(folder, db={**DB, "environment": {"X": "1"}}, app=app, other=other)
    result = plan(after, observed_as_applied(before))
    assert [(a.kind, a.service) for a in result.actions] == [("recreate", "db"), ("restart", "app")]
    assert result.actions[1].reasons == ("dependency db is recreated",)


def test_stopped_container_is_started(folder):
    desired = desired_for(folder, web=WEB)
    (action,) = plan(desired, observed_as_applied(desired, state="exited")).actions
    assert (action.kind, action.reasons) == ("start", ("container is exited",))


def test_orphans_are_noted_or_removed(folder):
    desired = desired_for(folder, web=WEB)
    orphan = ObservedContainer(
        id="id-old", name="demo-old", service="old", config_hash="h", config=None, image_id=None, state="running"
    )
    observed = dataclasses.replace(observed_as_applied(desired), orphans=[orphan])
    assert plan(desired, observed).empty
    assert "orphan container demo-old" in plan(desired, observed).notes[0]
    (action,) = plan(desired, observed, remove_orphans=True).actions
    assert (action.kind, action.target) == ("remove-orphan", "demo-old")


def test_a_running_orphan_is_drift_check_fails_and_a_stopped_one_is_not(folder):
    """graph5 05: an orphan left running answered for a service's name on the project's network while
    check passed on a note. A running orphan is a failing drift result (``--remove-orphans``: none)."""
    from validator.backends.drift import drift_results

    desired = desired_for(folder, web=WEB)
    running = ObservedContainer(
        id="id-old", name="demo-legacy-1", service="legacy", config_hash="h", config=None, image_id=None,
        state="running",
    )
    stopped = dataclasses.replace(running, id="id-gone", name="demo-gone-1", service="gone", state="exited")
    observed = dataclasses.replace(observed_as_applied(desired), orphans=[running, stopped])
    planned = plan(desired, observed)
    assert planned.orphans_running == (("demo-legacy-1", "service 'legacy' is no longer in the spec"),)
    failing = [r for r in drift_results(load_dict(folder, base_spec(web=WEB)), planned) if r.verdict == "fail"]
    assert [r.name for r in failing] == ["orphan demo-legacy-1"]
    assert plan(desired, observed, remove_orphans=True).orphans_running == ()


def test_foreign_objects_are_conflicts_never_actions(folder):
    desired = desired_for(folder, web=WEB)
    observed = dataclasses.replace(
        observed_as_applied(desired),
        containers={},
        foreign_names={"demo-web": "container demo-web (abc)"},
        foreign_ports={"8080/tcp": "container squatter (def)"},
    )
    result = plan(desired, observed)
    assert not result.empty
    assert result.conflicts == (
        "the name demo-web is taken by container demo-web (abc), which this project does not own",
        "host port 8080/tcp is published by container squatter (def), which this project does not own",
    )


def test_start_interval_note_on_old_engines(folder):
    svc = {**DB, "healthcheck": {**DB["healthcheck"], "start_period": "10s", "start_interval": "1s"}}
    desired = desired_for(folder, db=svc)
    assert "needs engine API 1.44" in plan(desired, observed_as_applied(desired, api_version="1.41")).notes[0]
    assert plan(desired, observed_as_applied(desired, api_version="1.44")).notes == ()


def test_dependency_order(folder):
    desired = desired_for(
        folder,
        c={"image": "x", "depends_on": ["b"]},
        b={"image": "x", "depends_on": ["a"]},
        a={"image": "x"},
        d={"image": "x"},
    )
    assert topological_order(desired) == ["a", "b", "c", "d"]


def test_force_recreate(folder):
    desired = desired_for(folder, web=WEB)
    (action,) = plan(desired, observed_as_applied(desired), force_recreate=True).actions
    assert (action.kind, action.reasons) == ("recreate", ("--force-recreate",))


# --- drift reasons print a value only when it cannot be a secret (engine/provenance.py) ----------


def _desired_env(folder, environ, **services):
    from tests.harness.specs import write_spec
    from validator.load import load_spec

    path = write_spec(folder, base_spec(**services))
    return desired_state(load_spec([str(path)], environ=environ), environ)


def test_a_rotated_interpolated_command_says_changed_on_both_sides(folder):
    svc = {"image": "web:1", "command": ["run", "--password", "${PW}"], "environment": {"FROM": "${PW}"}}
    before = _desired_env(folder, {"PW": "old-rotated-value"}, web=svc)
    after = _desired_env(folder, {"PW": "new-rotated-value"}, web=svc)
    result = plan(after, observed_as_applied(before))
    assert result.actions[0].reasons == ("command: changed", "environment: FROM changed")
    assert "rotated-value" not in str(result)


def test_env_file_values_and_label_files_are_hidden(folder):
    (folder / "app.env").write_text("SESSION=old-session-value\n")
    (folder / "labels.env").write_text("team=old-team-value\n")
    svc = {"image": "web:1", "env_file": "app.env", "label_file": ["labels.env"]}
    before = _desired_env(folder, {}, web=svc)
    (folder / "app.env").write_text("SESSION=new-session-value\n")
    (folder / "labels.env").write_text("team=new-team-value\n")
    after = _desired_env(folder, {}, web=svc)
    result = plan(after, observed_as_applied(before))
    assert set(result.actions[0].reasons) == {
        "environment: SESSION changed",
        "labels: team changed",
    }
    assert "session-value" not in str(result) and "team-value" not in str(result)


def test_a_value_no_longer_interpolated_hides_its_old_side_only(folder):
    before = _desired_env(folder, {"PW": "old-secret-value"}, web={"image": "web:1", "environment": {"X": "${PW}"}})
    after = _desired_env(folder, {}, web={"image": "web:1", "environment": {"X": "now-literal"}})
    result = plan(after, observed_as_applied(before))
    assert result.actions[0].reasons == ("environment: X changed",)
    assert "old-secret-value" not in str(result)


def test_a_label_without_the_provenance_record_shows_no_old_value(folder):
    before = desired_for(folder, web={**WEB, "mem_limit": "256m"})
    after = desired_for(folder, web={**WEB, "mem_limit": "512m", "environment": {"MODE": "two"}})
    observed = observed_as_applied(before)
    (web,) = observed.containers["web"]
    older = dataclasses.replace(web, config={k: v for k, v in web.config.items() if k != "secret"})
    result = plan(after, dataclasses.replace(observed, containers={"web": (older,)}))
    assert "mem_limit: changed -> 512 MiB" in result.actions[0].reasons
    assert "environment: MODE changed" in result.actions[0].reasons


def test_old_values_of_hidden_parts_are_registered_before_anything_prints_them(folder):
    from validator.engine.provenance import Provenance, old_secrets

    svc = {"image": "web:1", "command": ["run", "${PW}"], "environment": {"A": "${PW}", "B": "plain"}}
    before = _desired_env(folder, {"PW": "old-secret-value"}, web=svc)
    after = _desired_env(folder, {"PW": "new-secret-value"}, web=svc)
    inspected = {key: before.services["web"].config.get(key) for key in ("environment", "command", "entrypoint")}
    new = after.services["web"]
    was = Provenance.from_label(before.services["web"].sealed["secret"])
    assert old_secrets(inspected, new.config, new.provenance, was) == ["old-secret-value"] * 2


def test_the_planner_reads_neither_the_clock_nor_the_key_file(folder, monkeypatch):
    """Pure: the clock is the observation's (``observed.at``), the key the desired state's (``desired.key``);
    the same inputs give the same plan whatever the wall clock or the key file says."""
    import time

    from validator.engine import labels as L

    desired = desired_for(folder, web={**WEB, "pull_policy": "daily"}, db=DB)
    changed = dataclasses.replace(desired.services["web"], config_hash="other")
    observed = dataclasses.replace(
        observed_as_applied(desired),
        image_tagged={"web:1": 1_000_000.0},
        at=1_000_000.0 + 3600,
    )
    desired = dataclasses.replace(desired, services={**desired.services, "web": changed})
    before = plan(desired, observed)

    def refuse(*_args: object) -> object:
        raise AssertionError("the planner read the clock or the key file")

    monkeypatch.setattr(time, "time", refuse)
    monkeypatch.setattr(L, "state_key", refuse)
    assert plan(desired, observed) == before
    assert [a.kind for a in before.actions] == ["recreate"]  # the changed hash, opened with desired.key
    stale = plan(desired, dataclasses.replace(observed, at=1_000_000.0 + 2 * 86400))
    assert ("pull", "web:1") in [(a.kind, a.target) for a in stale.actions]
