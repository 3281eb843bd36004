"""tools/build_images.py's pure parts: the build plan and the content hash that decides a rebuild."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools import build_images as bi


@pytest.fixture
def recipes(tmp_path, monkeypatch):
    """A recipe tree of two images (``base`` and ``app`` FROM it, with the common folder) in tmp_path."""
    images = tmp_path / "images"
    (images / "common").mkdir(parents=True)
    (images / "common" / "entry.sh").write_text('#!/bin/sh\nexec "$@"\n')
    (images / "base").mkdir()
    (images / "base" / "packages").write_text("# the base\nlibc6  # C library\n\nbusybox\n")
    (images / "app").mkdir()
    (images / "app" / "Dockerfile").write_text("FROM base\n")
    table = {
        "base": bi.Image(name="base", kind="rootfs", upstream="debian"),
        "app": bi.Image(name="app", kind="dockerfile", upstream="app:1", deps=("base",), uses_common=True),
    }
    monkeypatch.setattr(bi, "IMAGES_DIR", images)
    monkeypatch.setattr(bi, "COMMON_DIR", images / "common")
    monkeypatch.setattr(bi, "ROOT", tmp_path)
    monkeypatch.setattr(bi, "IMAGES", table)
    return images


VERSIONS = {"libc6": "2.36-9", "busybox": "1:1.35.0-4"}


def _hashes() -> tuple[str, str]:
    base = bi.IMAGES["base"]
    base.hash = bi.compute_hash(base, VERSIONS, "amd64", None)
    app = bi.IMAGES["app"]
    app.hash = bi.compute_hash(app, VERSIONS, "amd64", None)
    return base.hash, app.hash


def test_the_plan_adds_what_an_image_is_built_from_in_dependency_order():
    assert [i.name for i in bi.plan(["spark"])] == ["debian-base", "spark"]
    assert [i.name for i in bi.plan(["mysql", "alertmanager"])] == ["debian-base", "alertmanager", "mysql"]
    assert [i.name for i in bi.plan([])] == list(bi.IMAGES)
    with pytest.raises(bi.BuildError, match="unknown image 'nope'"):
        bi.plan(["nope"])


def test_the_package_list_drops_comments_and_blank_lines(recipes):
    assert bi.package_list(bi.IMAGES["base"]) == ["libc6", "busybox"]
    assert bi.package_list(bi.IMAGES["app"]) == []


def test_the_hash_is_stable_and_records_the_package_versions(recipes):
    first = _hashes()
    assert _hashes() == first
    assert all(len(h) == 12 and int(h, 16) >= 0 for h in first)
    assert bi.IMAGES["base"].packages == {"libc6": "2.36-9", "busybox": "1:1.35.0-4"}


@pytest.mark.parametrize(
    "change",
    ["recipe bytes", "common file", "executable bit", "new file", "package version", "architecture"],
)
def test_the_hash_changes_with_everything_that_changes_the_image(recipes, change):
    base_before, app_before = _hashes()
    versions, arch = dict(VERSIONS), "amd64"
    if change == "recipe bytes":
        (recipes / "app" / "Dockerfile").write_text("FROM base\nRUN true\n")
    elif change == "common file":
        (recipes / "common" / "entry.sh").write_text("#!/bin/sh\n")
    elif change == "executable bit":
        os.chmod(recipes / "app" / "Dockerfile", 0o755)
    elif change == "new file":
        (recipes / "app" / "extra.conf").write_text("")
    elif change == "package version":
        versions["busybox"] = "1:1.35.0-5"
    else:
        arch = "arm64"
    base, app = bi.IMAGES["base"], bi.IMAGES["app"]
    base.hash = bi.compute_hash(base, versions, arch, None)
    app.hash = bi.compute_hash(app, versions, arch, None)
    assert app.hash != app_before
    # the base changes only with its own recipe, packages or the architecture...
    assert (base.hash != base_before) == (change in ("package version", "architecture"))


def test_an_image_built_from_another_changes_with_it(recipes):
    _, app_before = _hashes()
    (recipes / "base" / "packages").write_text("libc6\n")
    _, app_after = _hashes()
    assert app_after != app_before  # the app's hash covers the base's tag


def test_a_missing_recipe_folder_is_a_build_error(recipes):
    bi.IMAGES["ghost"] = bi.Image(name="ghost", kind="dockerfile", upstream="x")
    with pytest.raises(bi.BuildError, match="recipe folder images/ghost is missing"):
        bi.compute_hash(bi.IMAGES["ghost"], {}, "amd64", None)


def test_labels_name_the_image_its_hash_and_its_packages(tmp_path):
    image = bi.Image(name="mysql", kind="dockerfile", upstream="mysql:8.0", hash="0123456789ab")
    image.packages = {"mariadb-server": "1:10.11", "bash": "5.2"}
    labels = bi.common_labels(image)
    assert labels["cdc-local.content-hash"] == "0123456789ab"
    assert labels["cdc-local.debian-packages"] == "bash=5.2 mariadb-server=1:10.11"
    assert image.tag == "cdc-local/mysql:0123456789ab" and image.local_tag == "cdc-local/mysql:local"
    path = tmp_path / "labels"
    path.write_text("a = 1\nno equals sign\nb=x=y\n")
    assert bi.read_labels(path) == {"a": "1", "b": "x=y"}
    assert bi.read_labels(tmp_path / "missing") == {}


def test_the_real_recipes_hash_as_before():
    # the shipped recipes exist and hash without Docker (no pyspark image: its facts come from the host)
    image = bi.IMAGES["alertmanager"]
    versions = dict.fromkeys(bi.package_list(image), "1.0")
    assert bi.compute_hash(image, versions, "amd64", None) == bi.compute_hash(image, versions, "amd64", None)
    assert Path(bi.IMAGES_DIR / "alertmanager").is_dir()
