"""Spark's own Delta Lake on a real cluster of the local images, in a project of this test's own
(its own name, free ports; not the shipped stack): the ``spark-delta`` probe's Delta round and the
``cdc`` probe's binlog-to-Delta path pass, with the driver resolving Delta from the Maven local
repository while the only remote repository refuses; the image carries the JARs; a second fetch
downloads nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import free_port
from tests.metrics import report_metrics
from validator.stack import maven

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ["cdc-local/spark:local", "cdc-local/mysql:local"]

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.slow]


@pytest.fixture
def images(engine):
    missing = [image for image in IMAGES if engine.image_id(image) is None]
    if missing:
        message = f"local images missing: {missing} (scripts/build-images builds them)"
        if os.environ.get("VALIDATOR_REQUIRE_DOCKER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def healthcheck(port: int) -> dict[str, object]:
    probe = f"exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"
    return {"test": ["CMD", "bash", "-c", probe], "interval": "2s", "timeout": "2s", "retries": 90}


def cluster_spec(project, shared: Path, repository: str) -> dict[str, object]:
    master, ui, mysql = free_port(), free_port(), free_port()
    spark_common = {"image": "cdc-local/spark:local", "volumes": ["./conf:/opt/spark/conf:ro", f"{shared}:{shared}"]}
    services = {
        "spark": {
            **spark_common,
            "command": ["/opt/spark/bin/spark-class", "org.apache.spark.deploy.master.Master", "--port", "7077",
                        "--webui-port", "8080"],
            "environment": {"SPARK_MASTER_HOST": "spark", "SPARK_NO_DAEMONIZE": "true"},
            "ports": [f"127.0.0.1:{master}:7077", f"127.0.0.1:{ui}:8080"],
            "healthcheck": healthcheck(8080),
        },
        "spark-worker": {
            **spark_common,
            "command": ["/opt/spark/bin/spark-class", "org.apache.spark.deploy.worker.Worker", "--webui-port", "8081",
                        "spark://spark:7077"],
            "environment": {"SPARK_WORKER_MEMORY": "1g", "SPARK_WORKER_CORES": "1", "SPARK_NO_DAEMONIZE": "true"},
            "extra_hosts": ["host.docker.internal:host-gateway"],
            "depends_on": {"spark": {"condition": "service_healthy"}},
            "healthcheck": healthcheck(8081),
        },
        "mysql": {
            "image": "cdc-local/mysql:local",
            "command": ["--log-bin=mysql-bin", "--binlog-format=ROW", "--server-id=1"],
            "environment": {"MYSQL_ROOT_PASSWORD": "root-pw", "MYSQL_DATABASE": "cdc", "MYSQL_USER": "cdc",
                            "MYSQL_PASSWORD": "cdc-pw"},
            "ports": [f"127.0.0.1:{mysql}:3306"],
            "volumes": ["./initdb:/docker-entrypoint-initdb.d:ro"],
            "healthcheck": {"test": 'mysqladmin ping -h 127.0.0.1 -uroot -p"$$MYSQL_ROOT_PASSWORD" --silent',
                            "interval": "2s", "timeout": "2s", "retries": 90},
        },
    }  # fmt: skip
    driver = {
        "service": "spark-worker",
        "master": f"spark://127.0.0.1:{master}",
        "config_file": "conf/spark-defaults.conf",
        "repositories": [repository],  # refuses everything: the driver must not need it
        "timeout": "600s",
    }
    probes = {
        "spark-delta": {"kind": "spark", "ui": f"http://127.0.0.1:{ui}", "delta": True, **driver},
        "cdc": {"kind": "cdc", "port": mysql, "user": "cdc", "password": "cdc-pw", "database": "cdc", **driver},
    }
    criteria = {"CDC1": {"title": "binlog to Delta", "condition": "probe.cdc.binlog_to_delta_seconds < 10m"}}
    return project.spec(services, probes=probes, criteria=criteria)


def test_delta_round_and_cdc_path_pass_with_the_jars_from_the_local_repository(project, images, maven_repository):
    local = maven.default_local_repository()
    assert maven.closure(local, maven.delta_artifacts(maven.installed_delta_version()))[1] == [], (
        "the Maven local repository lacks Delta: scripts/bootstrap fetches it"
    )
    folder = project.folder
    shutil.copytree(ROOT / "configs" / "spark", folder / "conf")
    shutil.copytree(ROOT / "configs" / "mysql" / "initdb", folder / "initdb")
    shared = folder / "shared"
    spec = cluster_spec(project, shared, maven_repository.url)
    (folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    try:
        check = project.cli("check", "--no-suites", "--no-progress", "--report", "json=result.json", timeout=1500)
        report = json.loads((folder / "result.json").read_text())
        results = {(r["kind"], r["name"]): r for r in report["run"]["results"]}
        for name in ("spark-delta", "cdc"):
            result = results[("probe", name)]
            assert result["verdict"] == "pass", f"{name}: {result}\n{check.stdout[-3000:]}"
        assert report["criteria"]["CDC1"] == "pass"
        assert report_metrics(report)["probe.cdc.binlog_to_delta_seconds"] > 0
        assert maven_repository.requests == []  # resolved from the local repository alone
        assert list(shared.iterdir()) == []  # both probes removed their tables
        # both probes' jobs ran in one driver: the master saw one application, named by the probe whose
        # job came first (the spec's order: safe_dump sorts the keys, so cdc), which alone timed the session
        ui = spec["probes"]["spark-delta"]["ui"]
        with urllib.request.urlopen(f"{ui}/json/", timeout=10) as answer:
            master = json.load(answer)
        (app,) = [app["name"] for app in master["completedapps"] + master["activeapps"]]
        reused = results[("probe", "spark-delta")]["actual"].startswith("session reused")
        assert (app, reused) in {("validator-cdc-probe", True), ("validator-spark-probe", False)}
    finally:
        project.cli("down", "--volumes", "-q")


def test_the_spark_image_carries_delta_at_the_installed_version(engine, images):
    version = maven.installed_delta_version()
    labels = engine.inspect_image("cdc-local/spark:local")["Config"]["Labels"]
    assert labels["io.delta.version"] == version
    listing = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "ls", "cdc-local/spark:local", "/opt/spark/jars"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    jars = set(listing.stdout.split())
    assert {f"delta-spark_2.12-{version}.jar", f"delta-storage-{version}.jar"} <= jars, listing.stderr


def test_a_second_fetch_downloads_nothing_and_maven_offline_agrees():
    if shutil.which("mvn") is None:
        pytest.fail("mvn is not installed: scripts/bootstrap installs it")
    env = {**os.environ, "MVN": "/bin/false"}  # any call to Maven fails the fetch
    again = subprocess.run(
        [sys.executable, "-m", "validator.stack.maven", "fetch"], capture_output=True, text=True, env=env, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert "already present, nothing downloaded; checksums verified" in again.stderr
    roots = maven.delta_artifacts(maven.installed_delta_version())
    maven.fetch(maven.default_local_repository(), roots, offline=True, timeout=300)  # mvn -o: complete for Maven too
