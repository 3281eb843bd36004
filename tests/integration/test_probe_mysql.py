"""The ``mysql`` probe against a real server of the local image: the CDC user's replication privileges
are established by reading the binary log as that user, not by a grant's name (review 2, case 14)."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from tests.integration.conftest import free_port

pytestmark = [pytest.mark.docker, pytest.mark.stack]

IMAGE = "cdc-local/mysql:local"
# two CDC users: one as a CDC pipeline needs, one with REPLICATION SLAVE ADMIN (start/stop replicas), which
# holds the words "REPLICATION SLAVE" but cannot stream the binary log
INITDB = """
CREATE USER 'good'@'%' IDENTIFIED BY 'Gd0-7f3a91';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'good'@'%';
CREATE USER 'careless'@'%' IDENTIFIED BY 'Cl9-b2e4c8';
GRANT REPLICATION SLAVE ADMIN, BINLOG MONITOR, SELECT ON *.* TO 'careless'@'%';
FLUSH PRIVILEGES;
"""


@pytest.fixture
def image(engine):
    if engine.image_id(IMAGE) is None:
        message = f"local image missing: {IMAGE} (scripts/build-images builds it)"
        if os.environ.get("VALIDATOR_REQUIRE_DOCKER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def test_a_cdc_user_that_cannot_stream_the_binary_log_fails_the_probe(project, image):
    port = free_port()
    (project.folder / "initdb").mkdir()
    (project.folder / "initdb" / "users.sql").write_text(INITDB)
    mysql = {
        "kind": "mysql",
        "service": "mysql",
        "port": port,
        "user": "root",
        "password": "root-pw",
        "database": "cdc",
    }
    services = {
        "mysql": {
            "image": IMAGE,
            "command": ["--log-bin=mysql-bin", "--binlog-format=ROW", "--server-id=1"],
            "environment": {"MYSQL_ROOT_PASSWORD": "root-pw", "MYSQL_DATABASE": "cdc"},
            "ports": [f"127.0.0.1:{port}:3306"],
            "volumes": ["./initdb:/docker-entrypoint-initdb.d:ro"],
            "healthcheck": {"test": "mysqladmin ping -h 127.0.0.1 -uroot -proot-pw --silent", "interval": "1s",
                            "timeout": "2s", "retries": 90},
        }
    }  # fmt: skip
    probes = {
        "good": {**mysql, "cdc_user": "good", "cdc_password": "Gd0-7f3a91"},
        "careless": {**mysql, "cdc_user": "careless", "cdc_password": "Cl9-b2e4c8"},
    }
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services, probes=probes)))
    try:
        check = project.cli("check", "--no-progress", "--no-history", "--report", "json=result.json", timeout=400)
        # a run that ends on a fatal error still writes its report; the output says why when it did not
        said = (check.returncode, check.stdout[-3000:], check.stderr[-2000:])
        assert (project.folder / "result.json").is_file(), said
        results = {r["name"]: r for r in json.loads((project.folder / "result.json").read_text())["run"]["results"]}
        assert results["good"]["verdict"] == "pass", (results["good"], check.stdout[-2000:])
        assert "careless" in results, (sorted(results), check.stdout[-3000:])
        careless = results["careless"]
        assert careless["verdict"] == "fail", careless
        assert "careless lacks REPLICATION SLAVE on *.*" in careless["message"]
        assert "cannot read the binary log as a replication client" in careless["message"]
        assert check.returncode == 1
    finally:
        project.cli("down", "--volumes", "-q")
