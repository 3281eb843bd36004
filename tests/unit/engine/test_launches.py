"""Launch records (engine/launches.py) and the kept-container judgement built on them (adversary graph4
class B): a container counts as launched only with a record that every launch step succeeded, and an
exited-0 container counts as completed only when its exit 0 is its completion (planner.is_job)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine.desired import desired_state
from validator.engine.graph import already_there, up_graph
from validator.engine.launches import SCAN_EVERY, LaunchRecords
from validator.engine.observed import ObservedContainer, ObservedState, with_launches
from validator.engine.planner import NOT_LAUNCHED, is_job, plan, targets
from validator.errors import EngineError

GOLDEN = Path(__file__).parent / "golden"
HEALTHY = {"test": ["CMD", "true"], "interval": "1s"}

def applied(engine: object, desired: object, observed: ObservedState, tmp_path: Path) -> tuple[object, LaunchRecords]:
    """``engine`` walks the plan from ``observed`` to ``desired`` with launch records kept under
    ``tmp_path``: the result and the records."""
    from validator.engine.apply import Applier

    records = LaunchRecords(folder=tmp_path / "launched")
    result = Applier(
        engine=engine,  # type: ignore[arg-type]
        desired=desired,  # type: ignore[arg-type]
        observed=observed,
        plan=plan(desired, observed),  # type: ignore[arg-type]
        progress=lambda who, what: None,
        timeout=30,
        launches=records,
    ).run()
    return result, records



def _desired(tmp_path, **services):
    return desired_state(load_dict(tmp_path, base_spec(**services)), {})


def _with(observed: ObservedState, service: str, **changes) -> ObservedState:
    items = tuple(dataclasses.replace(c, **changes) for c in observed.containers[service])
    return dataclasses.replace(observed, containers={**observed.containers, service: items})


# --- the records -----------------------------------------------------------------------------------


def test_a_record_is_written_whole_read_back_and_dropped(tmp_path):
    records = LaunchRecords(folder=tmp_path / "launched" / "engine-1")
    assert records.launched(["abc", "def"]) == frozenset()  # no folder yet: nothing launched
    records.record("abc", service="web", config_hash="h")
    assert records.launched(["abc", "def"]) == {"abc"}
    assert [p.name for p in records.folder.iterdir()] == ["abc"]  # no temporary file left behind
    records.forget("abc")
    records.forget("abc")  # gone already: nothing to do
    assert records.launched(["abc"]) == frozenset()


def test_a_record_names_no_path_outside_its_folder(tmp_path):
    records = LaunchRecords(folder=tmp_path / "r")
    records.record("../../escape", service="web", config_hash=None)
    assert not (tmp_path / "escape").exists()
    assert [p.parent for p in (tmp_path / "r").iterdir()] == [tmp_path / "r"]
    assert records.launched(["../../escape"]) == {"../../escape"}


def test_a_record_that_cannot_be_dropped_fails_a_relaunch_and_is_only_said_after_a_remove(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    records = LaunchRecords(folder=blocker / "launched")  # a folder under a file: every call fails
    with pytest.raises(EngineError, match="cannot drop the launch record"):
        records.forget("abc", required=True)
    records.forget("abc")
    records.record("abc", service="web", config_hash=None)  # not written: said once, the next up recreates
    assert capsys.readouterr().err.count("cannot keep launch records") == 1


def test_the_records_folder_is_the_state_folder_per_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("VALIDATOR_STATE_DIR", str(tmp_path))

    class Engine:
        address = "unix:///x"

        def info(self):
            return {"ID": "AB:CD"}

    assert LaunchRecords.of(Engine()).folder == tmp_path / "launched" / "engine-id_AB_CD"  # type: ignore[arg-type]


def test_with_launches_marks_validators_own_containers_only():
    ours = ObservedContainer(
        id="a", name="p-web-1", service="web", config_hash="h", config={}, image_id=None, state="running"
    )
    theirs = dataclasses.replace(ours, id="b", owner="compose")
    details = {"a": {"State": {"StartedAt": "T2"}}}
    base = ObservedState(containers={"web": (ours,), "db": (theirs,)}, details=details)
    observed = with_launches(base, {"a": "T1", "b": None})
    web = observed.containers["web"][0]
    assert web.launched and (web.launch_start, web.started_at) == ("T1", "T2")
    assert not observed.containers["db"][0].launched  # Compose's: judged by its state alone


# --- the planner: launched or recreated ------------------------------------------------------------


def test_a_container_without_a_launch_record_is_recreated(tmp_path):
    desired = _desired(tmp_path, web={"image": "web:1"})
    observed = observed_as_applied(desired)
    assert plan(desired, observed).empty  # launched: kept as it is
    unrecorded = _with(observed, "web", launched=False)
    (action,) = plan(desired, unrecorded).actions
    assert (action.kind, action.target, action.reasons) == ("recreate", "demo-web-1", (NOT_LAUNCHED,))
    # whatever its state: a created container (its copy failed) is not only started
    created = _with(unrecorded, "web", state="created")
    assert [a.kind for a in plan(desired, created).actions] == ["recreate"]


def test_a_changed_config_is_named_before_the_missing_record(tmp_path):
    desired = _desired(tmp_path, web={"image": "web:1"})
    observed = _with(observed_as_applied(desired), "web", launched=False, config_hash="old")
    (action,) = plan(desired, observed).actions
    assert action.kind == "recreate" and NOT_LAUNCHED not in action.reasons


def test_a_container_compose_started_is_judged_by_its_state_alone(tmp_path):
    desired = _desired(tmp_path, web={"image": "web:1"})
    observed = _with(observed_as_applied(desired), "web", owner="compose", launched=False, config_hash=None)
    the_plan = plan(desired, observed)
    assert the_plan.actions == () and the_plan.conflicts == () and the_plan.unchanged == ("web",)


# --- exit 0: completed, or a stopped server ---------------------------------------------------------


def test_exit_0_is_completion_only_for_a_job(tmp_path):
    desired = _desired(
        tmp_path,
        server={"image": "s:1", "healthcheck": HEALTHY},  # a health check: a server
        plain={"image": "p:1"},  # the default policy only: a server that stopped cleanly exits 0 too
        # restart "no" written out is also the default: a server that stopped cleanly (adversary graph5 06)
        declared={"image": "j:1", "restart": "no"},
        waited={"image": "j:1"},  # another waits for it to complete: the one thing that makes a job
        api={"image": "a:1", "depends_on": {"waited": {"condition": "service_completed_successfully"}}},
    )
    wanted = targets(desired)
    assert {name for name in desired.services if is_job(wanted[name])} == {"waited"}
    observed = observed_as_applied(desired)
    for name in ("server", "plain", "declared", "waited"):
        observed = _with(observed, name, state="exited", exit_code=0, health=None)
    the_plan = plan(desired, observed)
    started = {a.service: a.kind for a in the_plan.actions}
    assert started == {"server": "start", "plain": "start", "declared": "start"}
    assert {n.split(":")[0] for n in the_plan.notes if "a completed job" in n} == {"waited"}


def test_a_declared_job_with_a_health_check_that_exited_0_is_started_again(tmp_path):
    desired = _desired(tmp_path, db={"image": "d:1", "restart": "no", "healthcheck": HEALTHY})
    observed = _with(observed_as_applied(desired), "db", state="exited", exit_code=0, health=None)
    assert [a.kind for a in plan(desired, observed).actions] == ["start"]


def test_already_there_needs_the_record_and_a_completion(tmp_path):
    base = ObservedContainer(
        id="a", name="p-x-1", service="x", config_hash="h", config={}, image_id=None, state="running", launched=True
    )
    assert already_there(base, "running", job=False)
    assert not already_there(dataclasses.replace(base, launched=False), "running", job=False)
    assert already_there(dataclasses.replace(base, launched=False, owner="compose"), "running", job=False)
    done = dataclasses.replace(base, state="exited", exit_code=0)
    assert already_there(done, "completed", job=True) and already_there(done, "running", job=True)
    assert not already_there(done, "running", job=False) and not already_there(done, "healthy", job=False)


# --- the printed graph ---------------------------------------------------------------------------


def test_the_graph_relaunches_what_is_not_launched_and_starts_a_stopped_server(tmp_path):
    """db: a server with a health check that exited 0 (stopped by hand) is started and waited for healthy,
    web after it; side: running but unrecorded (its post_start hook failed) is recreated, hook and all;
    job: a job (web waits for it to complete) that exited 0 is kept and waited for by no step."""
    desired = _desired(
        tmp_path,
        db={"image": "db:1", "healthcheck": HEALTHY},
        web={
            "image": "web:1",
            "depends_on": {
                "db": {"condition": "service_healthy"},
                "job": {"condition": "service_completed_successfully"},
            },
        },
        side={"image": "side:1", "post_start": [{"command": ["true"]}]},
        job={"image": "job:1"},
    )
    observed = observed_as_applied(desired)
    observed = _with(observed, "db", state="exited", exit_code=0, health=None)
    observed = _with(observed, "web", state="exited", exit_code=137)
    observed = _with(observed, "side", launched=False)
    observed = _with(observed, "job", state="exited", exit_code=0)
    graph = up_graph(desired, observed, plan(desired, observed))
    path = GOLDEN / "up-relaunch.txt"
    if os.environ.get("VALIDATOR_UPDATE_GOLDEN"):
        path.write_text(graph.render())
    assert graph.render() == path.read_text(), f"the printed graph differs from {path}"
    keys = {s.key for s in graph.steps}
    assert "start demo-db-1" in keys and "wait demo-db-1 healthy" in keys
    assert {"remove demo-side-1", "create demo-side-1", "post-start demo-side-1"} <= keys
    assert not any(k.endswith("demo-job-1") or " demo-job-1 " in k for k in keys)


# --- the applier: written after the last launch step, never after a failed one --------------------


def test_up_records_the_containers_it_launched_and_none_whose_copy_failed(tmp_path):
    from tests.unit.engine.test_apply import FakeEngine

    class CopyFails(FakeEngine):
        def put_files(self, cid: str, files: object) -> None:
            raise EngineError(f"cannot copy files into container {cid}: read-only")

    files = {"image": "f:1", "configs": [{"source": "conf", "target": "/etc/app.conf"}]}
    spec = {**base_spec(plain={"image": "p:1"}, files=files), "configs": {"conf": {"content": "x=1\n"}}}
    desired = desired_state(load_dict(tmp_path, spec), {})
    observed = dataclasses.replace(observed_as_applied(desired), containers={})
    result, records = applied(CopyFails(), desired, observed, tmp_path)
    assert result.services["plain"].status == "ready" and result.services["files"].status == "failed"
    assert records.launched(["id-new-demo-plain-1", "id-new-demo-files-1"]) == {"id-new-demo-plain-1"}


def test_prune_drops_only_old_records_of_containers_the_engine_no_longer_has(tmp_path):
    records = LaunchRecords(folder=tmp_path / "r")
    for cid in ("gone-old", "gone-new", "kept-old"):
        records.record(cid, service="web", config_hash=None)
    old = (tmp_path / "r" / "gone-old").stat().st_mtime - 2 * 86400
    os.utime(tmp_path / "r" / "gone-old", (old, old))
    os.utime(tmp_path / "r" / "kept-old", (old, old))
    now = (tmp_path / "r" / "gone-new").stat().st_mtime
    assert records.prune(lambda: ["kept-old"], now=now) == 1
    assert records.launched(["gone-old", "gone-new", "kept-old"]) == {"gone-new", "kept-old"}


def test_prune_lists_the_engine_s_containers_only_when_a_record_is_old_enough_to_go(tmp_path):
    records = LaunchRecords(folder=tmp_path / "r")
    records.record("fresh", service="web", config_hash=None)
    now = (tmp_path / "r" / "fresh").stat().st_mtime

    def listing() -> list[str]:
        raise AssertionError("listed the engine's containers with no record old enough to prune")

    assert records.prune(listing, now=now) == 0
    assert records.launched(["fresh"]) == {"fresh"}
    assert records.prune(lambda: [], now=now + 2 * 86400) == 1


def test_prune_scans_the_folder_at_most_once_an_hour(tmp_path):
    """A scan reads every record's age (thousands on a machine whose tests remove containers outside
    validator): the next ``up`` within the hour skips it, the one after scans again."""
    records = LaunchRecords(folder=tmp_path / "r")
    records.record("fresh", service="web", config_hash=None)
    now = (tmp_path / "r" / "fresh").stat().st_mtime
    assert records.prune(lambda: [], now=now) == 0  # scanned: nothing old
    records.record("gone", service="web", config_hash=None)
    old = now - 2 * 86400
    os.utime(tmp_path / "r" / "gone", (old, old))

    def listing() -> list[str]:
        raise AssertionError("scanned again within the hour")

    assert records.prune(listing, now=now + SCAN_EVERY / 2) == 0
    assert records.launched(["gone"]) == {"gone"}
    assert records.prune(lambda: ["fresh"], now=now + SCAN_EVERY + 1) == 1
    assert records.launched(["gone", "fresh"]) == {"fresh"}


def test_down_drops_the_record_of_every_container_it_stops(tmp_path):
    from tests.unit.engine.test_stopper import DownEngine, step
    from validator.engine.stopper import walk_down

    records = LaunchRecords(folder=tmp_path / "r")
    for cid in ("db", "api", "other"):
        records.record(cid, service=cid, config_hash=None)
    walk_down(DownEngine(), [step("db", "api"), step("api")], lambda w, m: None, forget=records.forget)  # type: ignore[arg-type]
    assert records.launched(["db", "api", "other"]) == {"other"}


# --- the start a record vouches for (adversary graph6 case 04) --------------------------------------


def test_a_record_names_the_start_its_hooks_ran_on_and_an_older_one_names_none(tmp_path):
    records = LaunchRecords(folder=tmp_path / "r")
    records.record("hooked", service="web", config_hash="h", started_at="2026-12-06T17:00:00.1Z")
    records.record("plain", service="db", config_hash="h")
    (tmp_path / "r" / "older").write_text('{"service": "x", "config_hash": null, "at": 1}')  # before started_at
    (tmp_path / "r" / "garbled").write_text("{not json")
    starts = records.starts(["hooked", "plain", "older", "garbled", "absent"])
    assert starts == {"hooked": "2026-12-06T17:00:00.1Z", "plain": None, "older": None, "garbled": None}
    assert records.launched(["hooked", "absent"]) == {"hooked"}


def _hooked(tmp_path):
    return _desired(
        tmp_path,
        web={"image": "web:1", "post_start": [{"command": ["sh", "-c", "echo hi > /srv/index.html"]}]},
        db={"image": "db:1"},
    )


def test_a_container_with_hooks_started_again_outside_up_is_restarted_through_them(tmp_path):
    desired = _hooked(tmp_path)
    observed = observed_as_applied(desired)
    assert plan(desired, observed).empty  # on the start its hooks ran on: kept
    restarted = _with(observed, "web", started_at="2026-12-06T17:05:00Z")
    (action,) = plan(desired, restarted).actions
    assert (action.kind, action.target, action.container_id) == ("restart", "demo-web-1", "id-web")
    assert "post_start hooks ran on the start at 2026-01-01" in action.reasons[0]
    assert "2026-12-06T17:05:00Z" in action.reasons[0]
    # a record that names no start (an older version's) vouches for none: restarted once, the safe way
    (unnamed,) = plan(desired, _with(observed, "web", launch_start=None)).actions
    assert unnamed.kind == "restart" and "a start the record does not name" in unnamed.reasons[0]
    # stopped since (restarted, then stopped by hand; a crashed job): started through its hooks, as any start
    stopped = _with(restarted, "web", state="exited", exit_code=0)
    assert [a.kind for a in plan(desired, stopped).actions] == ["start"]


def test_a_container_without_hooks_loses_nothing_on_a_restart(tmp_path):
    desired = _hooked(tmp_path)
    observed = _with(observed_as_applied(desired), "db", started_at="2026-12-06T17:05:00Z", launch_start=None)
    assert plan(desired, observed).empty


def test_a_restart_outside_up_is_named_after_a_config_change_and_never_for_compose_s_containers(tmp_path):
    desired = _hooked(tmp_path)
    observed = _with(observed_as_applied(desired), "web", started_at="later")
    changed = _with(observed, "web", config_hash="old")
    (action,) = plan(desired, changed).actions
    assert action.kind == "recreate" and not any("outside up" in r for r in action.reasons)
    compose = _with(observed, "web", owner="compose", launched=False, launch_start=None)
    assert plan(desired, compose).unchanged == ("db", "web")  # Compose's: judged by its state alone


def test_the_graph_restarts_a_container_started_outside_up_with_its_hooks(tmp_path):
    desired = _hooked(tmp_path)
    observed = _with(observed_as_applied(desired), "web", started_at="later")
    keys = [s.key for s in up_graph(desired, observed, plan(desired, observed)).steps]
    assert keys.index("stop demo-web-1") < keys.index("start demo-web-1") < keys.index("post-start demo-web-1")
    assert not any(k.startswith("create ") or k.startswith("remove ") for k in keys)


def test_up_records_the_start_read_before_the_hooks(tmp_path):
    """A start after the one the hooks were aimed at (the restart policy while they ran) is never vouched for."""
    from tests.unit.engine.test_apply import FakeEngine

    class RestartsDuringHook(FakeEngine):
        started = "S1"

        def try_inspect(self, cid: str) -> dict[str, object]:
            return {"HostConfig": {}, "State": {**self.state.get(cid, {}), "StartedAt": self.started}}

        def exec(self, cid: str, argv: list[str], **_: object) -> tuple[int, str]:
            self.started = "S2"  # the engine started it again while the hook ran
            return 0, ""

    desired = _hooked(tmp_path)
    observed = dataclasses.replace(observed_as_applied(desired), containers={})
    result, records = applied(RestartsDuringHook(), desired, observed, tmp_path)
    assert result.services["web"].status == "ready"
    assert records.starts(["id-new-demo-web-1", "id-new-demo-db-1"]) == {
        "id-new-demo-web-1": "S1",
        "id-new-demo-db-1": None,  # no hooks: no start named, no inspect needed
    }
