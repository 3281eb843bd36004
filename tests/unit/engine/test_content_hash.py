"""Bounded content hashing of read-only binds: regular files only, never into /proc, /sys or /dev,
compared by path beyond the bound, and ``plan`` says which."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine import content_hash as H
from validator.engine.desired import desired_state
from validator.engine.planner import plan


def test_regular_files_are_hashed_and_a_change_shows(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "a.yml").write_text("a: 1\n")
    first = H.hash_tree(tmp_path / "conf", "conf")
    assert list(first.digests) == ["conf/a.yml"] and first.by_path == {}
    (tmp_path / "conf" / "a.yml").write_text("a: 2\n")
    assert H.hash_tree(tmp_path / "conf", "conf").digests != first.digests


def test_fifos_and_links_are_never_opened_or_followed(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    os.mkfifo(conf / "pipe")  # opening it for reading would block forever
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "big").write_text("x" * 100)
    (conf / "link").symlink_to(tmp_path / "outside")  # a folder link: not entered
    began = time.monotonic()
    hashed = H.hash_tree(conf, "conf")
    assert time.monotonic() - began < 5
    assert hashed.digests["conf/pipe"] == "fifo"
    assert hashed.digests["conf/link"].startswith("symlink:")
    assert not any("big" in name for name in hashed.digests)


def _listings(monkeypatch, *, refuse: bool = False) -> list[str]:
    """Every folder the walk lists (``os.scandir`` as content_hash calls it); with ``refuse``, a listing
    fails the test: the tree was meant to be compared without being entered. Counted, not timed, so a
    loaded machine cannot fail it."""
    listed: list[str] = []
    real = os.scandir

    def scandir(folder):
        if refuse:
            raise AssertionError(f"walked into {folder}")
        listed.append(str(folder))
        return real(folder)

    monkeypatch.setattr(H.os, "scandir", scandir)
    return listed


@pytest.mark.parametrize("path", ["/proc", "/sys", "/dev", "/proc/self", "/sys/fs/cgroup"])
def test_special_file_systems_are_compared_by_path(path, monkeypatch):
    _listings(monkeypatch, refuse=True)
    hashed = H.hash_tree(Path(path), path)
    assert hashed.digests == {path: "by-path"} and path in hashed.by_path


def test_a_tree_beyond_the_bound_is_compared_by_path_and_its_walk_stops_at_the_bound(monkeypatch):
    monkeypatch.setattr(H, "MAX_ENTRIES", 2_000)
    listed = _listings(monkeypatch)
    hashed = H.hash_tree(Path("/usr"), "/usr")  # tens of thousands of files, thousands of folders
    assert hashed.digests == {"/usr": "by-path"}
    assert hashed.by_path == {"/usr": "more than 2000 files"}
    assert 0 < len(listed) <= 2_000  # the walk stopped at the bound: at most one listing per entry seen


def test_the_root_folder_is_bounded_too():
    hashed = H.hash_tree(Path("/"), "/")
    assert hashed.digests == {"/": "by-path"} and hashed.by_path


def test_bytes_beyond_the_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(H, "MAX_BYTES", 10)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("0123456789abc")
    assert H.hash_tree(tmp_path / "d", "d").by_metadata == {"d": "more than 0 MiB"}
    assert H.hash_tree(tmp_path / "d" / "f", "d/f").digests["d/f"].startswith("metadata:")


def test_plan_says_which_binds_are_compared_by_path(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "a").write_text("1")
    spec = base_spec(
        exporter={"image": "e:1", "volumes": ["/proc:/host/proc:ro", "/:/rootfs:ro", "./conf:/etc/x:ro"]},
    )
    state = desired_state(load_dict(tmp_path, spec), {})
    assert [path for path, _ in state.services["exporter"].by_path] == ["/", "/proc"]
    notes = plan(state, observed_as_applied(state)).notes
    assert (
        "exporter: the read-only bind /proc is compared by path, not content (a proc file system): "
        "a change inside it does not recreate the container"
    ) in notes
    assert not any("conf" in note for note in notes)


def test_past_the_content_bound_each_entry_metadata_is_compared(tmp_path, monkeypatch):
    """Adversary graph7 case 06: a folder past MAX_FILES was compared by path alone, so an edited config
    inside it left plan "nothing to do". Now every entry's size, mtime and inode are in its digest."""
    monkeypatch.setattr(H, "MAX_FILES", 3)
    app = tmp_path / "app"
    (app / "conf").mkdir(parents=True)
    for n in range(5):
        (app / f"asset{n}").write_text("x")
    page = app / "conf" / "page.txt"
    page.write_text("OLD")
    first = H.hash_tree(app, "app")
    assert first.by_path == {} and first.by_metadata == {"app": "more than 3 files"}
    assert first.digests["app"].startswith("metadata:")
    assert H.hash_tree(app, "app").digests == first.digests  # stable while nothing changes
    page.write_text("NEW")
    os.utime(page, ns=(1, 1))
    assert H.hash_tree(app, "app").digests != first.digests
    (app / "asset0").unlink()
    assert H.hash_tree(app, "app").digests != first.digests


def test_past_the_metadata_bound_by_path(tmp_path, monkeypatch):
    monkeypatch.setattr(H, "MAX_FILES", 1)
    monkeypatch.setattr(H, "MAX_ENTRIES", 2)
    for n in range(3):
        (tmp_path / f"f{n}").write_text("x")
    hashed = H.hash_tree(tmp_path, "d")
    assert hashed.digests == {"d": "by-path"} and hashed.by_path == {"d": "more than 2 files"}
