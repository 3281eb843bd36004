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
