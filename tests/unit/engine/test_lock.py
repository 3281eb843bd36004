"""The project lock: a private folder, no symlink followed, keyed by the engine's own ID."""

from __future__ import annotations

import os
import stat

import pytest

from validator.engine.lock import LockDirError, ProjectLock, engine_identity, lock_dir
from validator.errors import LockedError


class FakeApi:
    def __init__(self, ident: str) -> None:
        self.ident = ident

    def info(self) -> dict[str, str]:
        return {"ID": self.ident}


class FakeEngine:
    def __init__(self, address: str, ident: str) -> None:
        self.address, self.api = address, FakeApi(ident)


@pytest.fixture(autouse=True)
def locks(tmp_path, monkeypatch):
    monkeypatch.setenv("VALIDATOR_LOCK_DIR", str(tmp_path))
    return tmp_path / "validator-locks"


def test_the_folder_is_private_and_the_lock_works(locks):
    with ProjectLock("p", "unix:///x"), pytest.raises(LockedError), ProjectLock("p", "unix:///x", wait=0.2):
        pass
    assert stat.S_IMODE(os.stat(locks).st_mode) == 0o700


def test_a_world_readable_folder_of_ours_is_made_private(locks):
    locks.mkdir(mode=0o777)
    os.chmod(locks, 0o777)
    with ProjectLock("p", "unix:///x"):
        pass
    assert stat.S_IMODE(os.stat(locks).st_mode) == 0o700


def test_a_planted_symlink_is_refused_and_its_target_untouched(locks, tmp_path):
    target = tmp_path / "precious"
    target.write_text("keep me")
    lock = ProjectLock("p", "unix:///x")
    locks.mkdir(mode=0o700)
    lock.path.symlink_to(target)
    with pytest.raises(LockDirError, match="symlink"), lock:
        pass
    assert target.read_text() == "keep me"


def test_a_symlinked_folder_is_refused(locks, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    locks.symlink_to(elsewhere)
    with pytest.raises(LockDirError, match="not a folder") as caught, ProjectLock("p", "unix:///x"):
        pass
    assert not list(elsewhere.iterdir()) and caught.value.exit_code == 3


def test_two_spellings_of_one_engine_share_one_lock():
    a = FakeEngine("unix:///var/run/docker.sock", "ABCD:1234")
    b = FakeEngine("/var/run/docker.sock", "ABCD:1234")
    assert engine_identity(a) == engine_identity(b)
    with ProjectLock("p", a), pytest.raises(LockedError), ProjectLock("p", b, wait=0.2):
        pass
    assert ProjectLock("p", FakeEngine("tcp://other:2375", "OTHER")).path != ProjectLock("p", a).path


def test_the_default_folder_is_per_user(monkeypatch):
    monkeypatch.delenv("VALIDATOR_LOCK_DIR")
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    assert lock_dir().name == f"validator-locks-{os.getuid()}"
