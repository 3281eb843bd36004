"""When probes start under ``check``: a probe of a service as soon as ``up`` reports that service,
the others once ``up`` is over; a service ``up`` could not make ready skips its probes with the
reason. Real HTTP probes against a server on 127.0.0.1; the engine is a fake that only answers
whether a container runs."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from tests.harness.specs import load_dict
from tests.metrics import key
from validator.engine.apply import ServiceResult
from validator.run.probe_schedule import ProbeSchedule


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _Engine:
    """Answers only what the schedule asks: is this container running, and which host port it
    publishes (a probe naming a service must reach a port of the project: checks/probes.py)."""

    def __init__(self, running: set[str], published: str = "") -> None:
        self.running = running
        self.published = published

    def try_inspect(self, container: str):
        ports = {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": self.published}]} if self.published else {}
        return {"State": {"Running": container in self.running}, "NetworkSettings": {"Ports": ports}}


def _port(url: str) -> str:
    return url.rstrip("/").rsplit(":", 1)[1]


def _loaded(tmp_path, url):
    return load_dict(
        tmp_path,
        {
            "version": 1,
            "project": "sched",
            "services": {"web": {"image": "x"}, "db": {"image": "y"}},
            # declared before the web probe: results still come back in this order
            "probes": {
                "plain": {"kind": "http", "url": url},
                "web-page": {"kind": "http", "service": "web", "url": url},
            },
        },
    )


def test_a_service_probe_starts_when_its_service_is_reported_the_rest_after_up(tmp_path, url):
    loaded = _loaded(tmp_path, url)
    schedule = ProbeSchedule(loaded, _Engine({"c-web"}, _port(url)), 4, threading.Event())
    try:
        schedule.service_done(ServiceResult(name="db", status="ready", container="c-db"))
        assert schedule.futures == {}  # no probe names db
        schedule.service_done(ServiceResult(name="web", status="ready", container="c-web"))
        assert set(schedule.futures) == {"web-page"}  # "plain" names no service: it waits for up's end
        early = schedule.futures["web-page"].result(timeout=10)
        assert early.verdict == "pass"
        results = schedule.finish({"web": "c-web"})
    finally:
        schedule.close()
    assert [r.name for r in results] == ["plain", "web-page"]
    assert [r.verdict for r in results] == ["pass", "pass"]


def test_a_probe_of_a_service_up_could_not_make_ready_is_skipped_with_the_reason(tmp_path, url):
    loaded = _loaded(tmp_path, url)
    schedule = ProbeSchedule(loaded, _Engine({"c-web"}), 4, threading.Event())
    try:  # the container still runs (unhealthy): what the probe would see there is no evidence
        schedule.service_done(ServiceResult(name="web", status="failed", message="turned unhealthy", container="c-web"))
        results = {r.name: r for r in schedule.finish({"web": "c-web"})}
    finally:
        schedule.close()
    page = results["web-page"]
    assert (page.verdict, page.message) == ("skip", "service web did not become ready: turned unhealthy")
    assert page.unavailable[key("probe.web-page.passed")] == (
        "probe web-page did not run: service web did not become ready: turned unhealthy"
    )
    assert results["plain"].verdict == "pass"


def test_a_probe_whose_service_container_is_gone_is_skipped_as_not_running(tmp_path, url):
    loaded = _loaded(tmp_path, url)
    schedule = ProbeSchedule(loaded, _Engine(set()), 4, threading.Event())
    try:
        schedule.service_done(ServiceResult(name="web", status="ready", container="c-web"))
        page = schedule.finish({})[1]
    finally:
        schedule.close()
    assert (page.verdict, page.message) == ("skip", "service web is not running")


def test_without_up_every_probe_starts_at_finish_with_what_runs(tmp_path, url):
    loaded = _loaded(tmp_path, url)
    schedule = ProbeSchedule(loaded, _Engine(set(), _port(url)), 1, threading.Event())
    try:
        results = schedule.finish({"web": "c-web"})
    finally:
        schedule.close()
    assert [(r.name, r.verdict) for r in results] == [("plain", "pass"), ("web-page", "pass")]


def test_spark_probes_on_one_master_take_turns_others_do_not_wait(tmp_path, url, monkeypatch):
    import dataclasses

    from validator.probes.base import Outcome
    from validator.probes.registry import PROBES

    spans: dict[str, tuple[float, float]] = {}

    def fake_run(spec, ctx):  # what matters here is when each attempt runs, not Spark itself
        began = time.monotonic()
        time.sleep(0.4)
        spans[spec.app_name] = (began, time.monotonic())
        return Outcome(passed=True)

    monkeypatch.setitem(PROBES, "spark", dataclasses.replace(PROBES["spark"], run=fake_run))
    loaded = load_dict(
        tmp_path,
        {
            "version": 1,
            "project": "sched",
            "probes": {
                "one": {"kind": "spark", "master": "spark://127.0.0.1:7077", "app_name": "one"},
                "two": {"kind": "spark", "master": "spark://127.0.0.1:7077", "app_name": "two"},
                "elsewhere": {"kind": "spark", "master": "spark://127.0.0.1:7078", "app_name": "elsewhere"},
            },
        },
    )
    schedule = ProbeSchedule(loaded, None, 4, threading.Event())
    try:
        results = schedule.finish({})
    finally:
        schedule.close()
    assert [r.verdict for r in results] == ["pass", "pass", "pass"]
    (a0, a1), (b0, b1), (c0, c1) = spans["one"], spans["two"], spans["elsewhere"]
    assert a1 <= b0 or b1 <= a0  # one master: one after the other
    assert c0 < max(a1, b1) and min(a0, b0) < c1  # another master's probe ran beside them


def test_spark_probes_on_one_master_share_one_driver_closed_after_the_last(tmp_path, monkeypatch):
    """Their jobs go to one ``SharedSparkJobs`` (one driver folder), which is closed — driver stopped,
    folder removed — as soon as the last probe on that master is done; another master has its own."""
    import dataclasses
    import os

    from validator.probes.base import Outcome
    from validator.probes.registry import PROBES

    seen: dict[str, tuple[object, str, bool]] = {}

    def fake_run(spec, ctx):
        with ctx.spark_jobs.scratch("x-") as folder:
            seen[spec.app_name] = (ctx.spark_jobs, folder, os.path.isdir(folder))
        return Outcome(passed=True)

    monkeypatch.setitem(PROBES, "spark", dataclasses.replace(PROBES["spark"], run=fake_run))
    master = "spark://127.0.0.1:7077"
    loaded = load_dict(
        tmp_path,
        {
            "version": 1,
            "project": "sched",
            "probes": {
                "one": {"kind": "spark", "master": master, "app_name": "one"},
                "two": {"kind": "spark", "master": master, "app_name": "two"},
                "elsewhere": {"kind": "spark", "master": "spark://127.0.0.1:7078", "app_name": "elsewhere"},
            },
        },
    )
    schedule = ProbeSchedule(loaded, None, 4, threading.Event())
    try:
        assert [r.verdict for r in schedule.finish({})] == ["pass", "pass", "pass"]
    finally:
        schedule.close()
    (jobs_one, folder_one, existed_one), (jobs_two, folder_two, existed_two) = seen["one"], seen["two"]
    assert jobs_one is jobs_two and folder_one == folder_two and existed_one and existed_two
    assert seen["elsewhere"][0] is not jobs_one and seen["elsewhere"][1] != folder_one
    assert not os.path.exists(folder_one) and not os.path.exists(seen["elsewhere"][1])
