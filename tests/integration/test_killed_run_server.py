"""What a SIGKILLed ``check`` left, found by membership rather than by environment marks (an outside
review's case): a suite's session fixture starts a server with an ``env=`` of its own (no marks) in a
session of its own, and reuses a server already listening on its port. The first check is killed
while its suite runs; the server outlives it. The second check's suite passes only against that old
server (it asserts it talks to the first run's): it must not pass, and the old server must be gone.

Real processes throughout: validator as a command, its SIGKILL, the fixture's server on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest
import yaml

from tests.integration.conftest import free_port
from validator import cgroups

pytestmark = [pytest.mark.slow]

# the fixture a suite might well have: reuse a server already on the port, else start one in a
# session of its own with a clean environment (so it carries none of validator's marks)
CONFTEST = '''
import os, socket, subprocess, sys, time
import pytest

SERVER = """
import http.server, sys
TOKEN = open(sys.argv[1]).read().strip().encode()  # the state it started with
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(TOKEN)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), H).serve_forever()
"""


def _listening(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def server():
    port = int(os.environ["SWEEP_PORT"])
    if not _listening(port):  # reuse what is there (the fixture's shortcut, and the hole's way in)
        subprocess.Popen(
            [sys.executable, "-c", SERVER, os.environ["SWEEP_TOKEN_FILE"], str(port), os.environ["SWEEP_MARK"]],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while not _listening(port) and time.monotonic() < deadline:
            time.sleep(0.05)
    return port
'''

SUITE = """
import os, time, urllib.request
from pathlib import Path


def test_talks_to_the_first_run_s_server(server):
    served = urllib.request.urlopen(f"http://127.0.0.1:{server}/", timeout=10).read().decode()
    Path(os.environ["SWEEP_STARTED"]).touch()
    hold = Path(os.environ["SWEEP_HOLD"])
    deadline = time.monotonic() + 90
    while hold.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert served == "run-1"  # passes only against the server the first (killed) run started
"""


def _servers(mark: str) -> list[int]:
    out = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if mark in (proc.info["cmdline"] or []) and proc.info["status"] != psutil.STATUS_ZOMBIE:
            out.append(proc.pid)
    return out


def _check() -> list[str]:
    return [sys.executable, "-m", "validator", "check", "--no-progress", "-v"]


def test_a_server_the_killed_run_s_suite_started_without_marks_is_stopped_and_never_passes(tmp_path):
    if cgroups.hierarchy() is None or os.geteuid() != 0:
        pytest.skip("no writable cgroup2 hierarchy: the environment marks alone cannot find this server")
    mark = f"sweep29-srv-{uuid.uuid4().hex[:10]}"
    token, hold, started = tmp_path / "token", tmp_path / "hold", tmp_path / "suite-started"
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(CONFTEST)
    (tmp_path / "tests" / "test_server.py").write_text(SUITE)
    environment = {
        "SWEEP_PORT": str(free_port()),
        "SWEEP_TOKEN_FILE": str(token),
        "SWEEP_MARK": mark,
        "SWEEP_HOLD": str(hold),
        "SWEEP_STARTED": str(started),
    }
    spec = {
        "version": 1,
        "project": f"sweep29-{uuid.uuid4().hex[:8]}",
        "suites": {"main": {"command": "python -m pytest tests -q -p no:cacheprovider", "environment": environment}},
        "criteria": {"SC1": {"title": "no failures", "condition": "suite.main.failed == 0"}},
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    token.write_text("run-1")
    hold.touch()
    first = subprocess.Popen(_check(), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not started.exists() and time.monotonic() < deadline:
            assert first.poll() is None, "the first check ended before its suite talked to the server"
            time.sleep(0.05)
        assert started.exists(), "the first check's suite never reached its server"
        old = _servers(mark)
        assert len(old) == 1, old
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        time.sleep(0.5)
        assert _servers(mark) == old  # outlived the killed run: nothing of validator's could stop it
        hold.unlink()
        token.write_text("run-2")
        second = subprocess.run(_check(), cwd=tmp_path, capture_output=True, text=True, timeout=300)
        out = second.stdout + second.stderr
        assert not psutil.pid_exists(old[0]) or psutil.Process(old[0]).status() == psutil.STATUS_ZOMBIE, out[-3000:]
        assert "an earlier killed run left behind" in out, out[-3000:]
        # the fresh server serves this run's state: the suite's assertion on the old one fails
        assert second.returncode == 1 and "PASSED" not in out, out[-3000:]
        assert _servers(mark) == [], out[-3000:]  # nor does the second check leave its own server
        root = cgroups.hierarchy()
        assert root is not None and not cgroups.project_folder(root, spec["project"]).exists()  # nor a group
    finally:
        hold.unlink(missing_ok=True)
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
        for pid in _servers(mark):
            os.kill(pid, signal.SIGKILL)
        # on a failure: the killed run's group (this test's project's only) goes too
        cgroups.stop(cgroups.dead_runs(str(spec["project"]), alive=lambda pid, started: False), grace=0.0)


def test_where_no_cgroup_can_be_written_the_check_says_so_at_v_and_goes_on(tmp_path):
    """The fallback: a cgroup2 hierarchy mounted read-only (as in a container) — a private mount
    namespace here, so no other process sees the change — gives no run group; the check says so at
    ``-v``, is not an error, and leaves no group behind."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or cgroups.hierarchy() is None:
        pytest.skip("needs root, unshare and a cgroup2 hierarchy to make read-only privately")
    root = cgroups.hierarchy()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    project = f"sweep29-{uuid.uuid4().hex[:8]}"
    spec = {
        "version": 1,
        "project": project,
        "suites": {"main": {"command": "python -m pytest tests -q -p no:cacheprovider"}},
        "criteria": {"SC1": {"title": "no failures", "condition": "suite.main.failed == 0"}},
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    script = f'mount -o remount,bind,ro "{root}" && exec "$@"'
    out = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *_check()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = out.stdout + out.stderr
    assert out.returncode == 0, said[-3000:]
    assert "no control group for this run (no writable cgroup2 hierarchy)" in said, said[-3000:]
    assert not cgroups.project_folder(root, project).exists()
