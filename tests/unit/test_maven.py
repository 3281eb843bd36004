"""Delta's JARs in a Maven local repository: layout, checksums, what Ivy reads, remote answers, the
Ivy settings, fetch-once — on folders and loopback HTTP servers the tests make."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from validator.stack import maven
from validator.stack.maven import Artifact

ROOT = Path(__file__).resolve().parents[2]


def put(repo: Path, artifact: Artifact, data: bytes, checksum: str | None = None) -> None:
    path = artifact.path(repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    digest = hashlib.sha1(data).hexdigest() if checksum is None else checksum
    path.with_name(path.name + ".sha1").write_text(f"{digest}  {path.name}\n")


def pom(artifact: Artifact, deps: str = "", parent: str = "") -> bytes:
    return (
        f'<project xmlns="http://maven.apache.org/POM/4.0.0">{parent}'
        f"<groupId>{artifact.group}</groupId><artifactId>{artifact.name}</artifactId>"
        f"<version>{artifact.version}</version><dependencies>{deps}</dependencies></project>"
    ).encode()


def dep(group: str, name: str, version: str, scope: str = "") -> str:
    scoped = f"<scope>{scope}</scope>" if scope else ""
    coordinate = f"<groupId>{group}</groupId><artifactId>{name}</artifactId><version>{version}</version>"
    return f"<dependency>{coordinate}{scoped}</dependency>"


def delta_repo(repo: Path, version: str = "9.9.9") -> tuple[Artifact, Artifact]:
    """A local repository holding Delta at ``version`` as Maven leaves it: JARs, POMs, .sha1 files."""
    spark, storage = maven.delta_artifacts(version)
    antlr = Artifact(group="org.antlr", name="antlr4-runtime", version="4.9.3")
    master = Artifact(group="org.antlr", name="antlr4-master", version="4.9.3", ext="pom")
    deps = (
        dep("org.scala-lang", "scala-library", "2.12.20")  # excluded by Spark's Ivy: never needed
        + dep("io.delta", "delta-storage", version)
        + dep("org.antlr", "antlr4-runtime", "4.9.3")
        + dep("org.apache.spark", "spark-sql_2.12", "3.5.6", "provided")
    )
    put(repo, spark, b"spark-jar")
    put(repo, spark.pom(), pom(spark, deps))
    put(repo, storage, b"storage-jar")
    put(repo, storage.pom(), pom(storage, dep("org.apache.hadoop", "hadoop-common", "3.3.4", "provided")))
    parent = (
        "<parent><groupId>org.antlr</groupId><artifactId>antlr4-master</artifactId><version>4.9.3</version></parent>"
    )
    put(repo, antlr, b"antlr-jar")
    put(repo, antlr.pom(), pom(antlr, parent=parent))
    put(repo, master, pom(master))
    return spark, storage


def test_layout_and_coordinates():
    spark, storage = maven.delta_artifacts("3.3.3")
    assert spark.coordinate == "io.delta:delta-spark_2.12:3.3.3"
    assert spark.relative == "io/delta/delta-spark_2.12/3.3.3/delta-spark_2.12-3.3.3.jar"
    assert storage.pom().relative == "io/delta/delta-storage/3.3.3/delta-storage-3.3.3.pom"
    assert maven.delta_package("4.0.0", "2.13") == "io.delta:delta-spark_2.13:4.0.0"
    assert maven.parse_coordinate(" io.delta:delta-spark_2.12:3.3.3 ") == spark
    assert maven.parse_coordinate("io.delta:delta-spark_2.12") is None


def test_check_file_wants_the_file_and_a_matching_sha1(tmp_path):
    artifact = Artifact(group="g.h", name="a", version="1")
    assert "missing" in (maven.check_file(tmp_path, artifact) or "")
    put(tmp_path, artifact, b"data", checksum="0" * 40)
    assert "does not match" in (maven.check_file(tmp_path, artifact) or "")
    put(tmp_path, artifact, b"data")
    assert maven.check_file(tmp_path, artifact) is None
    artifact.path(tmp_path).with_name("a-1.jar.sha1").unlink()
    assert "no .sha1" in (maven.check_file(tmp_path, artifact) or "")


def test_closure_is_what_sparks_ivy_reads(tmp_path):
    roots = delta_repo(tmp_path)
    files, problems = maven.closure(tmp_path, roots)
    assert problems == []
    assert sorted(f.relative for f in files) == [
        "io/delta/delta-spark_2.12/9.9.9/delta-spark_2.12-9.9.9.jar",
        "io/delta/delta-spark_2.12/9.9.9/delta-spark_2.12-9.9.9.pom",
        "io/delta/delta-storage/9.9.9/delta-storage-9.9.9.jar",
        "io/delta/delta-storage/9.9.9/delta-storage-9.9.9.pom",
        "org/antlr/antlr4-master/4.9.3/antlr4-master-4.9.3.pom",
        "org/antlr/antlr4-runtime/4.9.3/antlr4-runtime-4.9.3.jar",
        "org/antlr/antlr4-runtime/4.9.3/antlr4-runtime-4.9.3.pom",
    ]
    (tmp_path / "org/antlr/antlr4-master/4.9.3/antlr4-master-4.9.3.pom").unlink()
    assert maven.closure(tmp_path, roots)[1] == ["org/antlr/antlr4-master/4.9.3/antlr4-master-4.9.3.pom is missing"]


def test_ensure_delta_downloads_nothing_when_complete(tmp_path, monkeypatch):
    delta_repo(tmp_path)
    monkeypatch.setenv("MVN", str(tmp_path / "no-such-mvn"))  # any call to Maven would fail
    done = maven.ensure_delta(tmp_path, "9.9.9")
    assert not done.fetched
    assert [p.name for p in done.jars] == ["delta-spark_2.12-9.9.9.jar", "delta-storage-9.9.9.jar"]


def test_ensure_delta_fetches_when_damaged_and_says_why_it_failed(tmp_path, monkeypatch):
    spark, _ = delta_repo(tmp_path)
    spark.path(tmp_path).write_bytes(b"truncated")
    monkeypatch.setenv("MVN", str(tmp_path / "no-such-mvn"))
    with pytest.raises(RuntimeError, match="mvn is not installed"):
        maven.ensure_delta(tmp_path, "9.9.9")
    fake = tmp_path / "mvn"
    fake.write_text("#!/bin/sh\necho '[ERROR] Could not transfer artifact (HTTP 403)'\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("MVN", str(fake))
    with pytest.raises(RuntimeError, match=r"mvn dependency:resolve failed: .*HTTP 403"):
        maven.ensure_delta(tmp_path, "9.9.9")


def test_the_maven_command_fails_on_bad_checksums_and_names_the_repository(tmp_path):
    command = maven.maven_command(tmp_path)
    assert "-C" in command and f"-Dmaven.repo.local={tmp_path}" in command
    assert "-o" in maven.maven_command(tmp_path, offline=True)


def test_ivy_settings_local_first_then_the_remotes(tmp_path):
    text = maven.ivy_settings(tmp_path, ["https://repo.example/maven2/"])
    chain = ET.fromstring(text).find("resolvers/chain")
    assert chain is not None
    roots = [(r.get("name"), r.get("root")) for r in chain]
    assert roots == [("local-m2", tmp_path.as_uri() + "/"), ("remote-0", "https://repo.example/maven2/")]
    assert [r.get("name") for r in ET.fromstring(maven.ivy_settings(tmp_path, [])).iter("ibiblio")] == ["local-m2"]


def test_resolution_local_then_remote_then_the_reason_and_the_fix(tmp_path, maven_repository):
    url = maven_repository.url
    package = "io.delta:delta-spark_2.12:9.9.9"
    delta_repo(tmp_path / "full")
    local = maven.resolve_packages(package, tmp_path / "full", [url])
    assert (local.source, local.remotes, local.problem) == ("local", (), "")
    assert "remote-0" not in local.ivy_settings()  # complete locally: the driver never asks the network

    refused = maven.resolve_packages(package, tmp_path / "empty", [url])
    assert refused.source == "" and refused.problem.startswith("the Delta Lake package io.delta:delta-spark_2.12:9.9.9")
    assert "delta-spark_2.12-9.9.9.jar is missing" in refused.problem
    assert f"{url} refused io.delta:delta-spark_2.12:9.9.9 (HTTP 403)" in refused.problem
    assert "Fix: fetch the JARs once" in refused.problem and "python -m validator.stack.maven fetch" in refused.problem

    maven_repository.status = 200
    served = maven.resolve_packages(package, tmp_path / "empty", [url])
    assert (served.source, served.remotes, served.problem) == (url, (url,), "")

    unreachable = maven.resolve_packages(package, tmp_path / "empty", ["http://127.0.0.1:9/"], timeout=2)
    assert "http://127.0.0.1:9/ is unreachable" in unreachable.problem
    assert "no remote repository is configured" in maven.resolve_packages(package, tmp_path, []).problem


def test_one_delta_version_everywhere():
    """constraints.txt pins the delta-spark Python package; spark-defaults.conf names the JAR; the
    image and bootstrap take the installed package's version: all three must be the same."""
    pinned = re.search(r"^delta-spark==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M)
    conf = re.search(r"io\.delta:delta-spark_2\.12:(\S+)", (ROOT / "configs/spark/spark-defaults.conf").read_text())
    assert pinned and conf
    assert conf.group(1) == pinned.group(1), "spark-defaults.conf and constraints.txt name different Delta versions"
    assert maven.installed_delta_version() == pinned.group(1), "the venv's delta-spark is not the pinned one"
