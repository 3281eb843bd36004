"""Every process validator starts is owned: it runs in a process group of its own, recorded here, and
``stop_all`` ends them all — SIGTERM to every group at once, a bounded grace, then SIGKILL — before
validator exits, on every path (a verdict, an error, SIGINT, SIGTERM, SIGHUP).

Suites, probe jobs (the Spark probe's driver process and the JVM it starts), tool version commands
and ``pip check`` all start through ``spawn`` or ``run``. A child that finishes has the rest of its
group stopped too: a pytest suite that started a JVM and did not stop it leaves nothing behind.

Exec sessions in containers are the engine's to stop (``add_stopper``): Docker has no call to end
one, so on a local engine its process is signalled by the pid the engine reports, once that pid is
checked to be the session's command started after it (``Engine.exec``).

The command-line process (``main.cli``) also makes itself a *child subreaper*
(``PR_SET_CHILD_SUBREAPER``): a grandchild that leaves its group (``setsid``, a daemon's double
fork) is re-parented to validator instead of init, so it is still validator's descendant and
``stop_all`` finds it by walking the process tree. Only that process owns the whole tree: a test or
an embedder calling ``main()`` in its own process keeps its other children, and ``stop_all`` there
stops only the groups recorded here.

That process also moves itself into a control group of its run once the project is known
(cgroups.py), before any child starts: every descendant is born a member and stays one, whatever it
does to its environment, session or parent, so the next ``check`` finds what a killed run left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from validator import cgroups
from validator.redact import OWN_SECRETS

# Why 5 s: pytest and a Python job end at once on SIGTERM; the Spark driver's JVM runs its shutdown
# hooks (stopping the SparkContext, deleting its scratch folders), which took 1-3 s here. Longer
# only delays an interrupted run's exit; anything still there is killed.
STOP_GRACE = 5.0
_POLL = 0.05

_lock = threading.Lock()
_groups: dict[int, subprocess.Popen[Any]] = {}  # process group id (= the leader's pid) -> its leader
_stopping = threading.Event()
_owns_tree = False


# What validator started elsewhere and stops with its children: exec sessions in containers (the
# engine registers a stopper while one runs). Each is called with the grace it may take.
_stoppers: list[Callable[[float], None]] = []


def add_stopper(stop: Callable[[float], None]) -> None:
    with _lock:
        if stop not in _stoppers:
            _stoppers.append(stop)


def remove_stopper(stop: Callable[[float], None]) -> None:
    with _lock:
        if stop in _stoppers:
            _stoppers.remove(stop)


def _run_stoppers(grace: float) -> None:
    with _lock:
        stoppers = list(_stoppers)
    for stop in stoppers:
        with contextlib.suppress(Exception):  # one stopper's failure must not keep the others from running
            stop(grace)


class Stopping(OSError):
    """A child was to start while validator is stopping its children: it is not started."""


def own_process_tree() -> None:
    """Make this process the owner of every descendant (the command line's process only): orphans
    are re-parented to it (Linux's child subreaper), so ``stop_all`` also stops what left its group."""
    global _owns_tree
    _owns_tree = True
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def begin() -> None:
    """A new command starts (``main``): children may start again after an earlier ``stop_all``."""
    _stopping.clear()


# Marks in every child's environment, inherited by all it starts (a JVM, a daemon that left its group):
# which validator process started the tree — its pid and its start time, since a pid alone is reused —
# and for which project. A validator killed with SIGKILL cannot stop its children (nothing catches
# SIGKILL), so a suite's pytest outlives it and keeps its fixed ports; the next ``check`` of the same
# project finds what is left by these marks and stops it (``sweep``). A child that starts children of
# its own (the pytest plugin's ``up``) passes the outermost marks on: the whole tree is that run's.
OWNER_PID = "VALIDATOR_OWNER_PID"
OWNER_START = "VALIDATOR_OWNER_START"
OWNER_PROJECT = "VALIDATOR_OWNER_PROJECT"
_project: list[str] = []  # the project of this process's run, once known (``for_project``)
_group: list[cgroups.RunGroup] = []  # the run's control group, once this process is in it
_joining = threading.Lock()


def for_project(project: str) -> str:
    """The project this process's children run for: the scope ``sweep`` finds them by later. The
    process that owns the tree moves into a control group of the run (the first time only: a
    multi-target check's targets share it). Returns why there is no such group ("" when there is,
    or when this process does not own the tree: an embedder's process is never moved)."""
    _project[:] = [project]
    if not _owns_tree or sys.platform != "linux":
        return ""
    with _joining:  # a multi-target check's runs call this from their threads at once: one group
        if _group:
            return ""
        joined = cgroups.join(project, _started(os.getpid()) or "")
        if joined.group is not None:
            _group.append(joined.group)
        return joined.why_not


def leave_run_group() -> list[int]:
    """The run is over (its children stopped): out of its control group, which is removed, with
    anything still in it killed. Returns the pids that had to be killed."""
    if not _group:
        return []
    return cgroups.leave(_group.pop())


def _started(pid: int) -> str | None:
    """When ``pid`` started (seconds since the epoch, to the hundredth), None when it is gone."""
    import psutil

    try:
        return f"{psutil.Process(pid).create_time():.2f}"
    except (psutil.Error, OSError):
        return None


def _marked(env: Mapping[str, str] | None) -> dict[str, str]:
    values = dict(os.environ if env is None else env)
    for name in OWN_SECRETS:  # validator's own secrets never reach a child (redact.OWN_SECRETS says why)
        values.pop(name, None)
    if OWNER_PID not in values:
        values[OWNER_PID], values[OWNER_START] = str(os.getpid()), _started(os.getpid()) or ""
        values[OWNER_PROJECT] = _project[0] if _project else ""
    return values


def spawn(argv: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen`` in a new process group (session) that validator owns."""
    env = _marked(popen.pop("env", None))
    with _lock:
        if _stopping.is_set():
            raise Stopping(f"not started, validator is stopping: {argv[0]}")
        proc: subprocess.Popen[Any] = subprocess.Popen(list(argv), start_new_session=True, env=env, **popen)
        _groups[proc.pid] = proc
    return proc


def sweep(project: str, grace: float = STOP_GRACE) -> list[int]:
    """Stop every process an earlier run of ``project`` started and left behind when it was killed:
    a member of a control group of that run, or marked for ``project``, by a validator process that
    no longer runs (a live one's children are its own). Returns their pids. Read-only for any other
    process; one whose environment cannot be read (another user's) is not ours."""
    if not project:
        return []
    members = cgroups.stop(cgroups.dead_runs(project, alive=_running), grace) if sys.platform == "linux" else []
    marked = [pid for pid in _marked_by_dead_runs(project) if pid not in members]
    if marked:
        _stop([], marked, grace)
    return sorted(members + marked)


def _running(owner: int, started: str) -> bool:
    """Whether validator process ``owner``, started at ``started``, still runs (this one does)."""
    if owner == os.getpid():
        return True
    now = _started(owner)
    # a run still going, or one that cannot be told from it (no start time recorded)
    return now is not None and (not started or now == started)


def _marked_by_dead_runs(project: str) -> list[int]:
    """Processes whose environment marks them for ``project`` by a validator process that is gone."""
    import psutil

    left: list[int] = []
    for proc in psutil.process_iter():
        try:
            env = proc.environ()
        except (psutil.Error, OSError):
            continue
        owner, started = env.get(OWNER_PID), env.get(OWNER_START)
        if env.get(OWNER_PROJECT) != project or owner is None or not owner.isdigit():
            continue
        if not _running(int(owner), started or ""):
            left.append(proc.pid)
    return left


def run(argv: Sequence[str], timeout: float, text: bool = False, **popen: Any) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run(..., capture_output=True, timeout=...)`` for an owned child: on timeout (or
    any exception while waiting) its whole group is stopped, then ``TimeoutExpired`` is raised.

    The output goes to files, not pipes: a process the child leaves behind would hold a pipe open,
    and reading it to its end would wait for that process rather than for the child."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = spawn(argv, stdout=out, stderr=err, **popen)
        try:
            proc.wait(timeout=timeout)
        except BaseException:
            finish(proc, grace=0.0)
            raise
        finish(proc)
        captured = []
        for handle in (out, err):
            handle.seek(0)
            data = handle.read()
            captured.append(data.decode(errors="replace") if text else data)
    return subprocess.CompletedProcess(
        args=proc.args, returncode=proc.returncode, stdout=captured[0], stderr=captured[1]
    )


def finish(proc: subprocess.Popen[Any], grace: float = STOP_GRACE) -> None:
    """``proc`` is done with (ended, timed out, cancelled): stop its group — the leader and whatever
    it started that is still there — and forget it."""
    _stop([proc.pid], [], grace)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1.0)
    with _lock:
        _groups.pop(proc.pid, None)


def stop_all(grace: float = STOP_GRACE) -> list[int]:
    """Stop every owned child (and, for the command-line process, every descendant): SIGTERM to all
    at once, wait up to ``grace`` seconds, SIGKILL what is left. No child starts while it runs.
    Returns the pids that had to be killed. Children may start again afterwards (an embedder's
    next command; ``main`` stops them again on its way out)."""
    with _lock:
        _stopping.set()
        groups = list(_groups)
    try:
        _run_stoppers(grace)
        strays = _descendants() if _owns_tree else []
        if not groups and not strays:
            return []  # the usual end of a command that started nothing: no process table walked
        killed = _stop(groups, strays, grace)
        with _lock:
            for pgid in groups:
                proc = _groups.pop(pgid, None)
                if proc is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=0.5)
        return killed
    finally:
        _stopping.clear()


def kill_now() -> None:
    """SIGKILL every owned child at once, without waiting (a second interrupt: exit now)."""
    _stopping.set()
    _run_stoppers(0.0)
    for pgid in list(_groups):
        _signal_group(pgid, signal.SIGKILL)
    for pid in _descendants() if _owns_tree else []:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def owned() -> list[int]:
    """The process groups recorded now (for tests and the fault matrix)."""
    with _lock:
        return list(_groups)


def _stop(groups: list[int], strays: list[int], grace: float) -> list[int]:
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)
    for pid in strays:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    left = _alive(groups, strays)
    while left and time.monotonic() < deadline:
        time.sleep(_POLL)
        left = _alive(groups, strays)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    # bounded: a killed process is gone within milliseconds unless stuck in the kernel (D state)
    deadline = time.monotonic() + 2.0
    while left and time.monotonic() < deadline:
        time.sleep(_POLL)
        left = _alive(groups, strays)
    return sorted(left)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _alive(groups: list[int], strays: list[int]) -> list[int]:
    """Pids still running (zombies are not) in ``groups`` or among ``strays``; zombies that are this
    process's own children are reaped on the way (a subreaper inherits them)."""
    import psutil

    wanted = set(groups)
    out = []
    for proc in psutil.process_iter(["ppid", "status"]):
        try:
            pgid = os.getpgid(proc.pid)
        except OSError:
            continue
        if pgid not in wanted and proc.pid not in strays:
            continue
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            if proc.info["ppid"] == os.getpid():
                _reap(proc.pid)
            continue
        out.append(proc.pid)
    return out


def _reap(pid: int) -> None:
    leader = _groups.get(pid)
    if leader is not None:
        leader.poll()  # Popen keeps its own status: let it reap its child
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _descendants() -> list[int]:
    """Every descendant of this process; with no child at all (the kernel's per-thread children
    lists, read first: ``lint`` never loads psutil), none."""
    try:
        tasks = os.listdir("/proc/self/task")
        direct = "".join(_read(f"/proc/self/task/{tid}/children") for tid in tasks).split()
    except OSError:
        direct = ["?"]  # no such lists here: ask psutil
    if not direct:
        return []
    import psutil

    try:
        return [p.pid for p in psutil.Process().children(recursive=True)]
    except psutil.Error:
        return []


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""
