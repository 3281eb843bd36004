"""Probes' Spark jobs in one driver (``seams.SharedSparkJobs`` over ``stack.spark_host``'s protocol):
jobs whose sessions match share it; a failure of any kind (the job raised, the driver died, the time
ran out) is that job's alone and the next job gets a fresh driver; ``close`` stops the driver. The
driver here is a stand-in process that speaks the host's protocol (no JVM); ``serve`` itself runs
over a fake session."""

from __future__ import annotations

import io
import json
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from validator.probes.seams import SharedSparkJobs, session_key
from validator.stack import spark_host

# one JSON request a line; the job's "do" says how the job goes; the result names the process that ran it
STAND_IN = textwrap.dedent(
    """
    import json, os, sys, time
    for n, line in enumerate(sys.stdin):
        job = json.loads(line)["job"]
        if job["do"] == "raise":
            print("py4j.protocol.Py4JJavaError: An error occurred: java.lang.IllegalStateException: boom", flush=True)
            sys.exit(1)
        if job["do"] == "die":
            os._exit(3)
        if job["do"] == "hang":
            time.sleep(60)
        print("some log line", flush=True)
        print("VALIDATOR-RESULT " + json.dumps({"pid": os.getpid(), "n": n}), flush=True)
        if job["do"] == "ok-then-noise":
            print("java.lang.IllegalArgumentException: logged after the result", flush=True)
    open("stopped-" + str(os.getpid()), "w").close()  # the end of input: the session stops
    """
)


@pytest.fixture
def jobs(tmp_path):
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    shared = SharedSparkJobs(command=[sys.executable, str(script)])
    yield shared
    shared.close()


def job(do: str = "ok", app: str = "a", **conf: str) -> dict[str, Any]:
    return {"do": do, "conf": {"spark.master": "spark://m:7077", "spark.app.name": app, **conf}}


def ask(jobs: SharedSparkJobs, request: dict[str, Any], timeout: float = 30) -> tuple[dict[str, Any] | None, str]:
    with jobs.scratch("t-") as scratch:
        return jobs.run("m", request, scratch, timeout)


def gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_jobs_whose_sessions_differ_only_by_name_share_one_driver_until_close(jobs):
    first, _ = ask(jobs, job(app="validator-spark-probe"))
    second, _ = ask(jobs, job(app="validator-cdc-probe"))
    assert first is not None and second is not None
    assert first["pid"] == second["pid"] and (first["n"], second["n"]) == (0, 1)
    with jobs.scratch("t-") as scratch:
        folder = Path(scratch)
    jobs.close()
    assert gone(first["pid"])
    assert not folder.exists()  # the drivers' folder goes with them


def test_a_job_that_raises_fails_alone_and_the_next_gets_a_fresh_driver(jobs):
    ok, _ = ask(jobs, job())
    failed, why = ask(jobs, job("raise"))
    after, _ = ask(jobs, job())
    assert failed is None and "IllegalStateException: boom" in why and "Traceback" not in why
    assert ok is not None and after is not None and after["pid"] != ok["pid"] and after["n"] == 0


def test_a_failure_is_explained_by_its_own_jobs_output_not_the_job_before(jobs):
    ok, _ = ask(jobs, job("ok-then-noise"))
    time.sleep(0.3)  # the line logged after the result has arrived
    failed, why = ask(jobs, job("raise"))
    assert ok is not None and failed is None
    assert "boom" in why and "logged after the result" not in why


def test_a_driver_that_died_is_a_failure_of_its_job_and_not_reused(jobs):
    died, why = ask(jobs, job("die"))
    assert died is None and why  # a reason, never a result
    after, _ = ask(jobs, job())
    assert after is not None and after["n"] == 0


def test_a_job_out_of_time_is_stopped_with_its_driver(jobs):
    first, _ = ask(jobs, job())
    assert first is not None
    late, why = ask(jobs, job("hang"), timeout=1.5)
    assert late is None and why.startswith("no result within 2s")
    assert gone(first["pid"])
    after, _ = ask(jobs, job())
    assert after is not None and after["pid"] != first["pid"]


def test_another_setting_means_another_driver(jobs):
    first, _ = ask(jobs, job())
    other, _ = ask(jobs, job(**{"spark.executor.memory": "2g"}))
    assert first is not None and other is not None and other["pid"] != first["pid"]
    assert gone(first["pid"])  # the first driver stopped before the second started: one at a time


def test_the_ivy_settings_content_is_part_of_the_session(tmp_path):
    settings = tmp_path / "ivysettings.xml"
    settings.write_text("<local only/>")
    conf = {"spark.jars.ivySettings": str(settings), "spark.app.name": "a"}
    before = session_key(conf)
    assert session_key({**conf, "spark.app.name": "b"}) == before
    settings.write_text("<local and a remote/>")
    assert session_key(conf) != before


class FakeSession:
    def __init__(self) -> None:
        self.stopped = False
        self.sparkContext = type("Context", (), {"applicationId": "app-20261206-0001"})()

    def stop(self) -> None:
        self.stopped = True


class FakeJobs:
    """A job module: ``run`` answers, or raises for ``{"raise": true}``."""

    @staticmethod
    def run(spark: Any, job: dict[str, Any]) -> dict[str, Any]:
        if job.get("raise"):
            raise RuntimeError("the job broke")
        return {"seen": job["n"]}


def test_serve_builds_the_session_once_and_times_it_for_the_first_job_only(monkeypatch):
    session = FakeSession()
    built: list[dict[str, str]] = []
    monkeypatch.setattr(spark_host, "build_session", lambda conf: built.append(conf) or session)
    monkeypatch.setitem(sys.modules, "fake_jobs", FakeJobs)
    lines = [json.dumps({"module": "fake_jobs", "job": {"conf": {"k": "v"}, "n": n}}) + "\n" for n in (1, 2)]
    out = io.StringIO()
    assert spark_host.serve(lines, out) == 0
    first, second = (json.loads(line.split(" ", 1)[1]) for line in out.getvalue().splitlines())
    assert set(first) == {"session_seconds", "app_id", "seen"} and first["seen"] == 1
    assert second == {"session_reused": True, "app_id": "app-20261206-0001", "seen": 2}
    assert built == [{"k": "v"}] and session.stopped


def test_serve_ends_on_a_job_that_raises_and_stops_the_session(monkeypatch):
    session = FakeSession()
    monkeypatch.setattr(spark_host, "build_session", lambda conf: session)
    monkeypatch.setitem(sys.modules, "fake_jobs", FakeJobs)
    lines = [json.dumps({"module": "fake_jobs", "job": {"conf": {}, "n": 1, "raise": True}}), "never read"]
    out = io.StringIO()
    with pytest.raises(RuntimeError, match="the job broke"):
        spark_host.serve(lines, out)
    assert out.getvalue() == "" and session.stopped
