"""The suite's ``spark_session`` starts when collection ends (``pytest_fixtures.EarlySession``), beside
the tests before the first that needs it; a session that failed to build is that fixture's failure,
as it was. A pytest run of its own in a child process, whose conftest swaps the JVM for a fake."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import yaml

SPEC = {
    "version": 1,
    "project": "early",
    "services": {
        "spark": {
            "image": "apache/spark:3.5.0",
            "command": ["/opt/spark/bin/spark-class", "org.apache.spark.deploy.master.Master"],
            "ports": ["127.0.0.1:17077:7077"],
        }
    },
}

CONFTEST = textwrap.dedent(
    """
    import os, threading, time
    import validator.pytest_fixtures as fixtures

    BUILT = []

    class FakeSession:
        def stop(self):
            with open(os.environ["STOPS"], "a") as handle:
                handle.write("stop\\n")

    def build_session(conf):
        BUILT.append((threading.current_thread().name, time.monotonic(), conf["spark.master"]))
        if os.environ.get("FAIL"):
            raise RuntimeError("the master refused the application")
        return FakeSession()

    fixtures.build_session = build_session
    fixtures.host_address = lambda: "127.0.0.1"
    """
)

TESTS = textwrap.dedent(
    """
    import time
    from conftest import BUILT

    def test_before_spark():
        deadline = time.monotonic() + 10
        while not BUILT and time.monotonic() < deadline:
            time.sleep(0.05)
        assert BUILT and BUILT[0][0] == "validator-spark-session"  # already on its way, in its thread

    def test_spark(spark_session):
        assert len(BUILT) == 1 and BUILT[0][2] == "spark://127.0.0.1:17077"
        assert spark_session.delta_enabled is False
    """
)


def run(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(SPEC))
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_early.py").write_text(TESTS)
    stops = tmp_path / "stops"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--infra-spark-delta", "off", "-rA"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), "STOPS": str(stops), **env},
    )


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("VALIDATOR_")}


def test_the_session_starts_at_the_end_of_collection_and_is_stopped_once(tmp_path):
    result = run(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout
    assert (tmp_path / "stops").read_text() == "stop\n"


def test_a_session_that_failed_to_start_fails_the_fixture_with_the_service_and_the_reason(tmp_path):
    result = run(tmp_path, FAIL="1")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "1 passed" in result.stdout and "1 error" in result.stdout
    assert "service 'spark' is not reachable: a Spark session on spark://127.0.0.1:17077 failed " in result.stdout
    assert "RuntimeError: the master refused the application" in result.stdout
    assert not (tmp_path / "stops").exists()
