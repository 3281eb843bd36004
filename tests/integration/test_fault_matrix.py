"""The fault matrix (issue 28): faults injected at random points of ``check`` on real processes and a
real engine — SIGTERM, SIGINT and SIGHUP to validator (during up, the probes, the suites), a second
signal, SIGKILL of the engine (a private engine in a network namespace, never the host's), a remote
engine whose connection silently drops, a service container killed, the reports folder made
read-only. Each asserts: nothing validator started is left running (its suite's grandchild, one that
left the suite's process group, an exec session), the reports and the history say what happened
(interrupted, engine lost), no false PASS, and the next ``check`` converges.

Each test prints ``FAULT-TIMING <fault> <seconds>``: from the fault to validator's exit
(README-TESTING's reliability table; run with ``-s`` to see them)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from tests.integration.conftest import free_port

pytestmark = [pytest.mark.slow]
SEED = 20261206

SUITE = """
import os, signal, subprocess, sys, time
from pathlib import Path

MARK = os.environ["FAULT_MARK"]


def test_fast():
    assert True


def test_spawns_and_holds():
    if os.environ.get("FAULT_IGNORE_TERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by what it starts
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", MARK + "-grandchild"])
    subprocess.Popen([sys.executable, "-c", "import os, time; os.setsid(); time.sleep(300)", MARK + "-escaped"])
    if os.environ.get("FAULT_JVM"):  # a JVM, as the Spark driver is one (Java 11+ runs a source file)
        source = Path(os.environ["FAULT_HOLD"]).parent / "Hold.java"
        source.write_text("class Hold { public static void main(String[] a) throws Exception {"
                          " Thread.sleep(300000); } }")
        subprocess.Popen(["java", str(source), MARK + "-jvm"])
    Path(os.environ["FAULT_STARTED"]).touch()
    hold = Path(os.environ["FAULT_HOLD"])
    deadline = time.monotonic() + 90
    while hold.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
"""


class Fault:
    """One project folder with a suite that starts a grandchild and one that leaves its group, and
    holds while ``hold`` exists; optionally services and probes on an engine."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name
        self.mark = f"vt-fault-{uuid.uuid4().hex[:10]}"
        self.hold = folder / "hold"
        self.started = folder / "suite-started"
        self.lines: list[tuple[float, str]] = []
        self.proc: subprocess.Popen[str] | None = None

    def write(self, services: dict[str, Any] | None = None, probes: dict[str, Any] | None = None, **env: str) -> None:
        (self.folder / "tests").mkdir(exist_ok=True)
        (self.folder / "tests" / "test_fault.py").write_text(SUITE)
        environment = {"FAULT_MARK": self.mark, "FAULT_HOLD": str(self.hold), "FAULT_STARTED": str(self.started)}
        spec: dict[str, Any] = {
            "version": 1,
            "project": self.name,
            "suites": {
                "main": {
                    "command": "python -m pytest tests -q -p no:cacheprovider",
                    "environment": {**environment, **env},
                }
            },
            "criteria": {"SC1": {"title": "no failures", "condition": "suite.main.failed == 0"}},
            "settings": {
                "reports": ["json=reports/result.json", "junit=reports/junit.xml", "markdown=reports/summary.md"]
            },
        }
        if services:
            spec["services"] = services
            spec["criteria"]["SC7"] = {"title": "no restarts", "condition": "service.*.restarts == 0"}
        if probes:
            spec["probes"] = probes
            spec["criteria"]["SC5"] = {"title": "probes pass", "condition": "probe.*.passed == 1"}
        (self.folder / "infra.yaml").write_text(yaml.safe_dump(spec))

    def start(self, *args: str) -> subprocess.Popen[str]:
        self.hold.touch()
        self.started.unlink(missing_ok=True)
        self.lines = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "validator", "check", "--no-progress", *args],
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()
        return self.proc

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def wait_for(self, what: str, timeout: float = 120.0) -> None:
        """Until a line containing ``what`` (or the suite's start, for ``"suite"``) appears."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if what == "suite" and self.started.exists():
                return
            if what != "suite" and any(what in line for _, line in self.lines):
                return
            assert self.proc is not None and self.proc.poll() is None, f"ended before {what!r}:\n{self.output()}"
            time.sleep(0.05)
        raise AssertionError(f"never saw {what!r}:\n{self.output()}")

    def finish(self, timeout: float = 120.0) -> tuple[int, float]:
        """validator's exit code, and when it exited (monotonic)."""
        assert self.proc is not None
        code = self.proc.wait(timeout=timeout)
        ended = time.monotonic()
        time.sleep(0.2)  # the pump reads the last lines
        return code, ended

    def survivors(self) -> list[str]:
        """Processes still running that this run's suite started (its marker in their command line)."""
        out = []
        for proc in psutil.process_iter(["cmdline", "status"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if self.mark in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
                out.append(f"{proc.pid} {cmdline}")
        return out

    def assert_nothing_left(self) -> None:
        deadline = time.monotonic() + 2.0  # a killed process leaves the table within milliseconds
        while self.survivors() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.survivors() == [], self.survivors()

    def report(self) -> dict[str, Any]:
        return json.loads((self.folder / "reports" / "result.json").read_text())

    def history(self) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.folder / ".validator" / "history.db") as db:
            return db.execute("SELECT ok, interrupted, engine_lost FROM runs ORDER BY id").fetchall()

    def converges(self, *args: str) -> None:
        self.hold.unlink(missing_ok=True)
        final = subprocess.run(
            [sys.executable, "-m", "validator", "check", "--no-progress", *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert final.returncode == 0, final.stdout[-4000:] + final.stderr[-2000:]
        assert self.survivors() == [], self.survivors()
        assert self.report()["ok"] is True


def timing(fault: str, seconds: float) -> None:
    print(f"FAULT-TIMING {fault} {seconds:.2f}")


def assert_no_false_pass(report: dict[str, Any]) -> None:
    """A run that reached no verdict: not ok, every criterion and every unfinished producer an ERROR."""
    run = report["run"]
    assert report["ok"] is False
    for result in run["results"]:
        if result["kind"] == "criterion" and run["interrupted"]:
            assert result["verdict"] == "error", result
        if result["kind"] == "criterion" and run["engine_lost"]:
            assert result["verdict"] in ("fail", "error"), result  # what failed shows; nothing passes
        if "not finished" in result["message"] or "not judged" in result["message"]:
            assert result["verdict"] == "error", result


@pytest.fixture
def fault(tmp_path, request) -> Fault:
    name = f"vt-fm-{request.node.name[:14].lower()}-{uuid.uuid4().hex[:6]}"
    return Fault(tmp_path, "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in name))


# --- signals to validator: no engine needed ----------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_during_the_suite_stops_every_descendant_and_records_the_run(fault, signum):
    jvm = signum == signal.SIGTERM and shutil.which("java") is not None
    fault.write(**({"FAULT_JVM": "1"} if jvm else {}))
    fault.start()
    fault.wait_for("suite")
    time.sleep(random.Random(SEED + signum).uniform(0.0, 1.0))
    # the grandchild, the one that left the suite's group (and the JVM)
    assert len(fault.survivors()) == 2 + jvm, fault.survivors()
    sent = time.monotonic()
    assert fault.proc is not None
    fault.proc.send_signal(signum)
    code, ended = fault.finish()
    timing(f"{signal.Signals(signum).name} during the suite", ended - sent)
    assert code == 128 + signum, fault.output()
    fault.assert_nothing_left()
    report = fault.report()
    assert report["run"]["interrupted"] == signal.Signals(signum).name
    assert report["exit_code"] == 128 + signum
    assert_no_false_pass(report)
    suite = next(r for r in report["run"]["results"] if r["kind"] == "suite")
    assert suite["verdict"] == "error" and "killed by SIGTERM" in suite["message"], fault.output()
    assert fault.history() == [(0, signal.Signals(signum).name, None)]
    shown = subprocess.run(
        [sys.executable, "-m", "validator", "report"], cwd=fault.folder, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 1 and f"INTERRUPTED ({signal.Signals(signum).name})" in shown.stdout
    assert "PASSED" not in shown.stdout
    fault.converges()
    assert fault.history()[-1] == (1, None, None)


def test_what_a_check_killed_outright_left_behind_is_stopped_by_the_next_check(fault):
    """SIGKILL cannot be caught: the suite's pytest, the grandchild and the one that left its group
    outlive validator (a suite holding a fixed port would fail the next run's preflight). The next
    check of the same project finds them by the marks in their environment and stops them first."""
    fault.write()
    fault.start()
    fault.wait_for("suite")
    assert fault.proc is not None
    fault.proc.kill()
    fault.finish()
    time.sleep(0.5)
    left = fault.survivors()
    assert len(left) >= 2, left  # outlived the killed run: nothing of validator's could stop them
    try:
        # the hold stays: what the killed run left would run on for 90 s unless the next check stops it
        after = subprocess.run(
            [sys.executable, "-m", "validator", "check", "--no-progress", "--no-suites"],
            cwd=fault.folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert fault.survivors() == [], (fault.survivors(), after.stdout[-3000:])
        assert "an earlier killed run left behind" in after.stdout + after.stderr, after.stdout[-3000:]
    finally:
        fault.hold.unlink(missing_ok=True)


def test_a_second_signal_exits_at_once(fault):
    """The suite ignores SIGTERM: validator would wait its grace before killing it; a second signal
    ends validator at once, its children killed."""
    fault.write(FAULT_IGNORE_TERM="1")
    fault.start()
    fault.wait_for("suite")
    assert fault.proc is not None
    fault.proc.send_signal(signal.SIGTERM)
    fault.wait_for("stop: interrupted by SIGTERM", timeout=10)
    sent = time.monotonic()
    fault.proc.send_signal(signal.SIGINT)
    code, ended = fault.finish(timeout=10)
    timing("second signal", ended - sent)
    assert code == 130, fault.output()
    assert ended - sent < 2.0  # "at once": well inside the 5 s grace the first signal was giving
    fault.assert_nothing_left()
    fault.converges()


# --- on a real engine ----------------------------------------------------------------------


def services(project: Any, port: int | None) -> dict[str, Any]:
    return {
        "web": project.http_service(port),
        "app": project.sleeper(depends_on={"web": {"condition": "service_healthy"}}),
    }


def probes(port: int) -> dict[str, Any]:
    return {
        "web-answers": {"kind": "http", "service": "web", "url": f"http://127.0.0.1:{port}/", "status": [200, 404]},
        # an exec session that outlives the signal: stopped with the children
        "app-works": {"kind": "command", "service": "app", "command": ["sleep", "6"], "timeout": 30},
    }


@pytest.mark.docker
def test_signals_at_random_points_of_check(fault, project):
    rng = random.Random(SEED)
    port = free_port()
    fault.name = project.name
    fault.write(services(project, port), probes(port))
    for round_, phase in enumerate(["== reconcile", "== probes", "suite", rng.choice(["== probes", "suite"])]):
        signum = rng.choice([signal.SIGINT, signal.SIGTERM])
        fault.start()
        fault.wait_for(phase)
        time.sleep(rng.uniform(0.0, 1.5))
        sent = time.monotonic()
        assert fault.proc is not None
        fault.proc.send_signal(signum)
        code, ended = fault.finish()
        timing(f"{signal.Signals(signum).name} during {phase.strip('= ')}", ended - sent)
        assert code in (128 + signum, 0, 1), (round_, phase, code, fault.output())
        fault.assert_nothing_left()
        project.assert_owned_only()
        report = fault.report()
        assert report["exit_code"] == code
        if code == 128 + signum:
            assert_no_false_pass(report)
            assert fault.history()[-1] == (0, signal.Signals(signum).name, None)
        assert "Traceback" not in fault.output()
    fault.converges()


@pytest.mark.docker
def test_a_service_container_killed_during_the_suite(fault, project):
    port = free_port()
    fault.name = project.name
    fault.write(services(project, port))
    fault.start()
    fault.wait_for("suite")
    web = project.containers()["web"]["Id"]
    killed = time.monotonic()
    subprocess.run(["docker", "kill", web], check=True, capture_output=True)
    time.sleep(1.0)
    fault.hold.unlink()  # the suite ends; the run goes on to its verdict
    code, ended = fault.finish()
    timing("service container killed (the run goes on to its verdict)", ended - killed)
    assert code == 1, fault.output()
    report = fault.report()
    web_result = next(r for r in report["run"]["results"] if r["kind"] == "service" and r["name"] == "web")
    assert (
        web_result["verdict"] == "fail" and "died at" in web_result["message"] and "exit 137" in web_result["message"]
    )
    sc7 = next(r for r in report["run"]["results"] if r["name"].startswith("SC7"))
    assert sc7["verdict"] != "pass", sc7
    fault.assert_nothing_left()
    fault.converges()


@pytest.mark.docker
@pytest.mark.parametrize("phase", ["probes", "suite"])
def test_the_engine_killed_during_the_check(fault, project, private_engine, phase):
    host, state, start = private_engine
    fault.name = project.name
    # no published port: the private engine's network namespace has no loopback to publish on
    fault.write(services(project, None), {"app-works": probes(0)["app-works"]})
    fault.start("--host", host)
    fault.wait_for("== probes" if phase == "probes" else "suite")
    time.sleep(0.5)
    killed = time.monotonic()
    state["proc"].kill()
    state["proc"].wait(timeout=30)
    code, ended = fault.finish(timeout=60)
    timing(f"engine SIGKILL during the {phase}", ended - killed)
    assert code == 3, fault.output()
    assert ended - killed < 20, fault.output()
    fault.assert_nothing_left()
    report = fault.report()
    assert "stopped answering" in report["run"]["engine_lost"]
    assert_no_false_pass(report)
    for result in report["run"]["results"]:
        if result["kind"] == "service":
            assert result["verdict"] == "error" and "stopped answering" in result["message"], result
    assert fault.history()[-1][0] == 0 and fault.history()[-1][2]
    # the killed daemon's containerd (its child, in its process group) goes too, so the restarted
    # daemon starts a fresh one rather than waiting on the orphan
    with contextlib.suppress(ProcessLookupError):
        os.killpg(state["proc"].pid, signal.SIGKILL)
    state["proc"] = start()
    fault.converges("--host", host)


@pytest.mark.docker
def test_a_remote_engine_whose_connection_drops(fault, project, engine):
    """tcp:// through a proxy on loopback that stops forwarding (connections stay open, nothing
    arrives: a dropped network): the watcher's pings find it silent within their documented bound."""
    from validator.engine.watch import PING_EVERY, PING_TIMEOUT, SILENCE

    proxy = FreezingProxy(engine.address[len("unix://") :])
    port = free_port()
    fault.name = project.name
    fault.write(services(project, port))
    fault.start("--host", f"tcp://127.0.0.1:{proxy.port}")
    try:
        fault.wait_for("suite")
        frozen = time.monotonic()
        proxy.freeze()
        code, ended = fault.finish(timeout=90)
    finally:
        proxy.close()
    timing("remote engine connection dropped", ended - frozen)
    assert code == 3, fault.output()
    assert ended - frozen < SILENCE + PING_TIMEOUT + PING_EVERY + 5, fault.output()
    fault.assert_nothing_left()
    assert "answered no ping" in fault.report()["run"]["engine_lost"]
    fault.converges()


@pytest.mark.docker
def test_a_criterion_over_a_probe_that_passed_before_the_engine_was_lost_does_not_pass(fault, project, engine):
    """A probe's PASS taken before the engine was lost shows nothing held until the verdict: the
    criterion over it is an ERROR, not a PASS (adversary stop8 case 11)."""
    proxy = FreezingProxy(engine.address[len("unix://") :])
    port = free_port()
    fault.name = project.name
    fault.write(services(project, port), {"web-answers": probes(port)["web-answers"]})
    fault.start("--host", f"tcp://127.0.0.1:{proxy.port}")
    try:
        fault.wait_for("suite")
        fault.wait_for("web-answers")  # the probe's result line: judged before the loss
        proxy.freeze()
        code, _ = fault.finish(timeout=90)
    finally:
        proxy.close()
    assert code == 3, fault.output()
    results = fault.report()["run"]["results"]
    assert next(r for r in results if r["kind"] == "probe")["verdict"] == "pass", results
    sc5 = next(r for r in results if r["kind"] == "criterion" and r["id"] == "SC5")
    assert sc5["verdict"] == "error" and "not judged" in sc5["message"], sc5
    assert_no_false_pass(fault.report())
    fault.converges()


@pytest.mark.docker
@pytest.mark.skipif(os.geteuid() != 0, reason="remounting a file system read-only needs root")
def test_the_reports_folder_made_read_only_during_the_run(fault, project):
    port = free_port()
    fault.name = project.name
    fault.write(services(project, port))
    reports = fault.folder / "reports"
    reports.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(reports)], check=True)
    try:
        fault.start()
        fault.wait_for("suite")
        subprocess.run(["mount", "-o", "remount,ro", str(reports)], check=True)
        made = time.monotonic()
        fault.hold.unlink()
        code, ended = fault.finish()
        timing("reports folder read-only (the run goes on to its verdict)", ended - made)
        assert code == 1, fault.output()
        assert "cannot write a report" in fault.output()
        assert list(reports.iterdir()) == []
        assert fault.history()[-1][0] == 0  # recorded, and not as a pass
        fault.assert_nothing_left()
        subprocess.run(["mount", "-o", "remount,rw", str(reports)], check=True)
        fault.converges()
    finally:
        subprocess.run(["umount", str(reports)], check=False)


class FreezingProxy:
    """A TCP listener on loopback forwarding to a unix socket, until ``freeze``: then it forwards
    nothing more and answers no new connection, but closes none (a silently dropped network)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.frozen = threading.Event()
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.held.append(client)
            if self.frozen.is_set():
                continue
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.target)
            self.held.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while not self.frozen.is_set():
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data or self.frozen.is_set():
                return
            try:
                sink.sendall(data)
            except OSError:
                return

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        self.frozen.set()
        self.server.close()
        for held in self.held:
            held.close()
