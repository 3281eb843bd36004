"""Copied files read back from the started container (engine/apply.py ``_read_back``, adversary graph6
case 11's class): a copy counts only once the started container holds what was copied; the launch
record is written only after that, and a kept container costs the applier no read. Read back again by
every plan (engine/copies.py ``with_copies``, adversary graph7 case 05): a copy that differs is drift."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from tests.unit.engine.test_apply import FakeEngine
from tests.unit.engine.test_launches import applied
from validator.engine.compose_fields import CopiedFile
from validator.engine.copies import copy_differs, with_copies
from validator.engine.desired import desired_state
from validator.engine.docker_api import FileBack
from validator.engine.launches import LaunchRecords
from validator.engine.planner import plan

SECRET = b"s3cret-VALUE"


class FilesEngine(FakeEngine):
    """Keeps what is copied in; ``lost`` paths are gone by the start, ``rewritten`` come back changed."""

    def __init__(self, lost: frozenset[str] = frozenset(), rewritten: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.lost, self.rewritten = lost, rewritten
        self.files: dict[tuple[str, str], CopiedFile] = {}
        self.reads: list[str] = []

    def put_files(self, cid: str, files: tuple[CopiedFile, ...]) -> None:
        self._call(f"put-files {self.names[cid]}")
        for item in files:
            self.files[(cid, item.path)] = item

    def read_file(self, cid: str, path: str, limit: int) -> FileBack | None:
        self._call(f"read {self.names[cid]} {path}")
        self.reads.append(path)
        item = self.files.get((cid, path))
        if item is None or path in self.lost:
            return None
        content = b"changed" if path in self.rewritten else item.content
        return FileBack(regular=True, mode=item.mode, uid=item.uid, gid=item.gid, content=content, whole=True)


def _spec(**files: dict[str, Any]) -> dict[str, Any]:
    web = {"image": "web:1", "configs": [{"source": "conf", "target": "/etc/app.conf"}]}
    web["secrets"] = [{"source": "token", "mode": 0o400, "uid": "1000"}]
    if files:
        web.update(files)
    return {
        **base_spec(web=web, plain={"image": "p:1"}),
        "configs": {"conf": {"content": "x=1\n"}},
        "secrets": {"token": {"environment": "COPY6_TOKEN"}},
    }


def _run(tmp_path, engine: FilesEngine, spec: dict[str, Any], *, kept: bool = False) -> tuple[Any, LaunchRecords]:
    desired = desired_state(
        load_dict(tmp_path, spec, environ={"COPY6_TOKEN": SECRET.decode()}), {"COPY6_TOKEN": SECRET.decode()}
    )
    observed = observed_as_applied(desired)
    if not kept:
        observed = dataclasses.replace(observed, containers={})
    result, records = applied(engine, desired, observed, tmp_path)
    return result, records


def test_each_copied_file_is_read_back_after_the_start_and_before_the_record(tmp_path):
    engine = FilesEngine()
    result, records = _run(tmp_path, engine, _spec())
    assert result.ok, {n: r.message for n, r in result.services.items()}
    assert sorted(engine.reads) == ["/etc/app.conf", "/run/secrets/token"]
    calls = engine.calls
    assert calls.index("start demo-web-1") < calls.index("read demo-web-1 /etc/app.conf")
    assert records.launched(["id-new-demo-web-1", "id-new-demo-plain-1"]) == {
        "id-new-demo-web-1",
        "id-new-demo-plain-1",
    }


@pytest.mark.parametrize("broken", ["lost", "rewritten"])
def test_a_copy_the_started_container_does_not_hold_fails_the_service_and_leaves_no_record(tmp_path, broken):
    engine = FilesEngine(**{broken: frozenset({"/run/secrets/token"})})  # type: ignore[arg-type]
    result, records = _run(tmp_path, engine, _spec())
    web = result.services["web"]
    assert web.status == "failed" and "/run/secrets/token" in web.message and "secret" in web.message
    assert SECRET.decode() not in web.message and "changed" not in web.message
    assert result.services["plain"].status == "ready" and not result.ok
    assert records.launched(["id-new-demo-web-1", "id-new-demo-plain-1"]) == {"id-new-demo-plain-1"}


def test_a_kept_container_costs_no_read(tmp_path):
    engine = FilesEngine()
    result, _ = _run(tmp_path, engine, _spec(), kept=True)
    assert result.ok and engine.reads == [] and not any(c.startswith("put-files") for c in engine.calls)


def test_post_start_hooks_run_only_once_the_copies_are_read_back(tmp_path):
    engine = FilesEngine(lost=frozenset({"/etc/app.conf"}))
    hooked: list[str] = []
    engine.exec = lambda cid, argv, **_: (hooked.append(cid), (0, ""))[1]  # type: ignore[method-assign]
    result, records = _run(tmp_path, engine, _spec(post_start=[{"command": ["touch", "/hooked"]}]))
    assert result.services["web"].status == "failed" and hooked == []
    assert "id-new-demo-web-1" not in records.launched(["id-new-demo-web-1"])


FILE = CopiedFile(path="/etc/app.conf", content=b"x=1\n", uid=1000, gid=0, mode=0o440)


@pytest.mark.parametrize(
    ("back", "why"),
    [
        (None, "no file there"),
        (FileBack(regular=False, mode=0o755, uid=0, gid=0, content=b"", whole=False), "not a regular file there"),
        (FileBack(regular=True, mode=0o440, uid=1000, gid=0, content=b"x=2\n", whole=True), "its content differs"),
        (FileBack(regular=True, mode=0o440, uid=1000, gid=0, content=b"x=1\n", whole=False), "its content differs"),
        (
            FileBack(regular=True, mode=0o444, uid=1000, gid=0, content=b"x=1\n", whole=True),
            "its mode is 0444, not 0440",
        ),
        (
            FileBack(regular=True, mode=0o440, uid=0, gid=0, content=b"x=1\n", whole=True),
            "its owner is 0:0, not 1000:0",
        ),
        (FileBack(regular=True, mode=0o440, uid=1000, gid=0, content=b"x=1\n", whole=True), None),
    ],
)
def test_copy_differs_names_what_differs_and_never_the_content(back, why):
    assert copy_differs(FILE, back) == why


class _Held:
    """The files each container holds now: path -> content (the mode and owner as copied)."""

    def __init__(self, desired: Any, changed: dict[str, bytes]) -> None:
        self.copied = {item.path: item for svc in desired.services.values() for item in svc.files}
        self.changed = changed
        self.reads: list[tuple[str, str]] = []

    def read_file(self, cid: str, path: str, limit: int) -> FileBack | None:
        self.reads.append((cid, path))
        item = self.copied[path]
        content = self.changed.get(path, item.content)
        return FileBack(regular=True, mode=item.mode, uid=item.uid, gid=item.gid, content=content, whole=True)


def _desired(tmp_path) -> Any:
    env = {"COPY6_TOKEN": SECRET.decode()}
    return desired_state(load_dict(tmp_path, _spec(), environ=env), env)


def test_every_plan_reads_each_copy_of_a_launched_container_back(tmp_path):
    desired = _desired(tmp_path)
    engine = _Held(desired, {})
    observed = with_copies(engine, desired, observed_as_applied(desired))  # type: ignore[arg-type]
    assert sorted(engine.reads) == [("id-web", "/etc/app.conf"), ("id-web", "/run/secrets/token")]
    assert not plan(desired, observed).actions  # one read per file, of the service with copies only


def test_a_copy_changed_in_a_kept_container_is_drift_and_recreates_it(tmp_path):
    desired = _desired(tmp_path)
    engine = _Held(desired, {"/run/secrets/token": b"EDITED-BY-HAND"})
    observed = with_copies(engine, desired, observed_as_applied(desired))  # type: ignore[arg-type]
    (action,) = plan(desired, observed).actions
    assert action.kind == "recreate" and action.service == "web"
    assert any("/run/secrets/token" in why and "content differs" in why for why in action.reasons)
    assert not any("EDITED" in why or SECRET.decode() in why for why in action.reasons)


def test_a_container_without_a_launch_record_is_not_read(tmp_path):
    desired = _desired(tmp_path)
    engine = _Held(desired, {})
    observed = observed_as_applied(desired)
    unlaunched = {s: tuple(dataclasses.replace(c, launched=False) for c in cs) for s, cs in observed.containers.items()}
    with_copies(engine, desired, dataclasses.replace(observed, containers=unlaunched))  # type: ignore[arg-type]
    assert engine.reads == []
