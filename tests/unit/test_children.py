"""Owned children on real processes: a finished child's group is stopped with it, ``stop_all`` ends
every group (signal, grace, kill), and nothing starts while it runs. (Tree ownership through the child
subreaper belongs to the command-line process: the fault matrix checks it through ``validator``.)"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid

import psutil
import pytest

from validator import abort, children


def alive(mark: str) -> list[int]:
    return [
        p.pid
        for p in psutil.process_iter(["cmdline", "status"])
        if mark in " ".join(p.info["cmdline"] or []) and p.info["status"] != psutil.STATUS_ZOMBIE
    ]


def sleeper(mark: str, ignore_term: bool = False) -> list[str]:
    code = "import signal, subprocess, sys, time\n"
    if ignore_term:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', '{mark}-grandchild'])\n"
    code += "print('ready', flush=True)\ntime.sleep(60)\n"
    return [sys.executable, "-c", code, mark]


def test_a_child_that_ends_takes_what_it_left_in_its_group_with_it():
    mark = f"vt-child-{uuid.uuid4().hex[:8]}"
    code = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', '{mark}'])"
    children.run([sys.executable, "-c", code], timeout=30)
    assert alive(mark) == []
    assert children.owned() == []


def test_stop_all_ends_every_group_and_kills_what_ignores_sigterm():
    mark = f"vt-child-{uuid.uuid4().hex[:8]}"
    polite = children.spawn(sleeper(mark + "-a"), stdout=subprocess.PIPE, text=True)
    stubborn = children.spawn(sleeper(mark + "-b", ignore_term=True), stdout=subprocess.PIPE, text=True)
    for proc in (polite, stubborn):
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for _ in range(50):  # under load a process may not show in /proc yet: bounded (5 s)
        if len(alive(mark)) == 4:
            break
        time.sleep(0.1)
    assert len(alive(mark)) == 4
    began = time.monotonic()
    killed = children.stop_all(grace=1.0)
    assert alive(mark) == []
    assert len(killed) == 0 and time.monotonic() - began < 5  # the stubborn pair went at SIGKILL
    assert polite.returncode == -signal.SIGTERM and stubborn.returncode == -signal.SIGKILL
    assert children.owned() == []


def test_nothing_starts_while_children_are_being_stopped():
    children._stopping.set()
    try:
        with pytest.raises(children.Stopping):
            children.spawn([sys.executable, "-c", "pass"])
    finally:
        children.begin()


def test_raise_in_main_wakes_the_main_thread_from_a_blocking_wait():
    abort.install()
    try:
        blocker = threading.Event()
        with abort.armed():
            threading.Timer(0.2, abort.raise_in_main, (LookupError("the engine is gone"),)).start()
            with pytest.raises(LookupError, match="the engine is gone"):
                blocker.wait(30)
        # outside armed(): nothing is raised
        assert abort.raise_in_main(LookupError("late")) is False
    finally:
        abort.uninstall()


def _marked_sleeper(mark: str, owner: int, started: str, project: str) -> subprocess.Popen[bytes]:
    env = {
        "PATH": "/usr/bin:/bin",
        children.OWNER_PID: str(owner),
        children.OWNER_START: started,
        children.OWNER_PROJECT: project,
    }
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", mark], env=env)


def test_sweep_stops_only_what_a_dead_run_of_the_project_left():
    """The next check's sweep (after a SIGKILLed run): a process marked for the project by a validator
    that no longer runs is stopped; one whose validator still runs, or marked for another project, is
    not."""
    project = f"sweep-{uuid.uuid4().hex[:8]}"
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    live_start = f"{psutil.Process(owner.pid).create_time():.2f}"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone_start = f"{psutil.Process(gone.pid).create_time():.2f}" if gone.poll() is None else "1.00"
    gone.wait()
    marks = {name: f"{project}-{name}" for name in ("orphan", "live", "other")}
    procs = [
        _marked_sleeper(marks["orphan"], gone.pid, gone_start, project),
        _marked_sleeper(marks["live"], owner.pid, live_start, project),
        _marked_sleeper(marks["other"], gone.pid, gone_start, project + "-x"),
    ]
    try:
        deadline = time.monotonic() + 10
        while not all(alive(m) for m in marks.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        swept = children.sweep(project, grace=2.0)
        assert swept == [procs[0].pid], swept
        assert not alive(marks["orphan"])
        assert alive(marks["live"]) and alive(marks["other"])
    finally:
        for proc in (*procs, owner):
            proc.kill()
            proc.wait()


def test_children_carry_the_outermost_run_s_marks():
    children.for_project("marks-test")
    proc = children.spawn(
        [sys.executable, "-c", "import os; print(os.environ['VALIDATOR_OWNER_PROJECT'])"],
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = proc.communicate(timeout=30)
    children.finish(proc)
    assert out.strip() == "marks-test"
    inherited = {children.OWNER_PID: "1", children.OWNER_START: "2.00", children.OWNER_PROJECT: "outer"}
    proc = children.spawn(
        [sys.executable, "-c", "import os; print(os.environ['VALIDATOR_OWNER_PROJECT'])"],
        stdout=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", **inherited},
    )
    out, _ = proc.communicate(timeout=30)
    children.finish(proc)
    assert out.strip() == "outer"  # a child's own children belong to the run that started the tree
