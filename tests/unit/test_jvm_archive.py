"""The Spark drivers' class-data archive: where it lives (keyed by the Java runtime, pyspark's JARs
and the JVM flags) and that a driver maps it only when it exists, executors never."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.stack import jvm_archive
from validator.stack.spark import QUIET, SHORT_LIVED_JVM, archive_path, session_conf


@pytest.fixture
def java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "jdk"
    home.mkdir()
    (home / "release").write_text('JAVA_VERSION="17.0.15"\n')
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("JAVA_HOME", str(home))
    return home


def conf() -> dict[str, str]:
    return session_conf(
        master="spark://127.0.0.1:7077", driver_host="172.17.0.1", app_name="app", defaults={}, delta=True,
        delta_jars=["delta.jar"], extra={}, scratch="/tmp/x",
    )


def test_the_archive_is_keyed_by_the_runtime_and_the_flags(java: Path, tmp_path: Path) -> None:
    path = archive_path(str(java), SHORT_LIVED_JVM)
    assert path is not None and path.parent == tmp_path / "cache" / "validator" / "jvm"
    assert archive_path(str(java), "-XX:+UseG1GC") != path
    (java / "release").write_text('JAVA_VERSION="17.0.16"\n')
    assert archive_path(str(java), SHORT_LIVED_JVM) != path
    assert archive_path(None, SHORT_LIVED_JVM) is None


def test_a_driver_maps_the_archive_only_when_it_exists_and_executors_never(java: Path) -> None:
    assert "SharedArchiveFile" not in conf()["spark.driver.extraJavaOptions"]
    path = archive_path(str(java), SHORT_LIVED_JVM)
    assert path is not None
    path.parent.mkdir(parents=True)
    path.write_bytes(b"archive")
    settings = conf()
    assert settings["spark.driver.extraJavaOptions"].split() == [
        *SHORT_LIVED_JVM.split(), f"-XX:SharedArchiveFile={path}", *QUIET.split()
    ]
    assert settings["spark.executor.extraJavaOptions"] == SHORT_LIVED_JVM


def test_build_without_a_java_runtime_builds_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("validator.stack.spark.java_home", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert jvm_archive.build(None) == "no Java runtime or no pyspark: no class archive"
    assert not (tmp_path / "validator").exists()
