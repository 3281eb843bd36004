"""A check's run control group (validator/cgroups.py) on the real cgroup2 hierarchy: which groups the
next check's sweep stops (a dead run of the project) and which it never touches (a live run's,
another project's, a folder validator did not name), and that a process of the run is a member
whatever it does to its environment and session. Skipped where no cgroup2 hierarchy can be written."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest

from validator import cgroups, children

ROOT = cgroups.hierarchy()
writable = pytest.mark.skipif(
    ROOT is None or os.geteuid() != 0, reason="no writable cgroup2 hierarchy (the environment marks alone apply)"
)
# run by a check's suite: this process is a member of that run's group, and so are the ones it starts
# (they stay there, as a check inside a check does), so no group of their own is made
outside_runs = pytest.mark.skipif(
    (cgroups.own_cgroup() or "").startswith(f"/{cgroups.FOLDER}/"), reason="inside a check's run group"
)


def _start(pid: int) -> str:
    return f"{psutil.Process(pid).create_time():.2f}"


def _member(group: Path, *, ignore_term: bool = False) -> subprocess.Popen[str]:
    """A sleeper moved into ``group`` (by the test: a run's processes are born there), once it is
    ready (its SIGTERM handler in place)."""
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN) if IGNORE else None; print(1, flush=True)"
    )
    code += "; time.sleep(60)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code.replace("IGNORE", str(ignore_term))], stdout=subprocess.PIPE, text=True
    )
    (group / "cgroup.procs").write_text(str(proc.pid))
    assert proc.stdout is not None and proc.stdout.readline() == "1\n"  # bounded: it prints at once or dies
    return proc


@writable
def test_the_sweep_stops_a_dead_run_s_members_and_nothing_else():
    assert ROOT is not None
    project = f"sweep29-{uuid.uuid4().hex[:8]}"
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    gone_start = _start(gone.pid)
    gone.wait()
    groups = {
        "dead": cgroups.project_folder(ROOT, project) / f"{gone.pid}-{gone_start}",
        "live": cgroups.project_folder(ROOT, project) / f"{live.pid}-{_start(live.pid)}",
        "other project": cgroups.project_folder(ROOT, project + "-x") / f"{gone.pid}-{gone_start}",
        "not validator's name": cgroups.project_folder(ROOT, project) / "someone-else",
    }
    procs: dict[str, subprocess.Popen[str]] = {}
    try:
        for name, group in groups.items():
            group.mkdir(parents=True)
            procs[name] = _member(group, ignore_term=name == "dead")  # SIGTERM ignored: cgroup.kill ends it
        swept = children.sweep(project, grace=0.5)
        assert swept == [procs["dead"].pid], swept
        assert procs["dead"].wait(timeout=5) == -signal.SIGKILL
        assert not groups["dead"].exists()
        for name in ("live", "other project", "not validator's name"):
            assert procs[name].poll() is None, name
            assert cgroups.members(groups[name]) == [procs[name].pid], name
    finally:
        for proc in (*procs.values(), live):
            proc.kill()
            proc.wait()
        for group in groups.values():
            with contextlib.suppress(OSError):
                cgroups.stop([group], grace=0.0)  # empty now: removes the group and its empty folders


@writable
@outside_runs
def test_a_check_inside_a_killed_run_s_group_does_not_stop_itself():
    """A check run by a killed check's suite, of the same project, is in the dead run's group: its
    sweep passes that group over (it would stop itself and its own children)."""
    assert ROOT is not None
    project = f"sweep29-{uuid.uuid4().hex[:8]}"
    group = cgroups.project_folder(ROOT, project) / "1-1.00"  # a name whose owner is gone
    group.mkdir(parents=True)
    code = (
        "import os, sys; from pathlib import Path; from validator import cgroups\n"
        "Path(sys.argv[1], 'cgroup.procs').write_text(str(os.getpid()))\n"
        "print(cgroups.dead_runs(sys.argv[2], alive=lambda pid, started: False))\n"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code, str(group), project], capture_output=True, text=True, timeout=60
        )
        assert out.stdout.strip() == "[]", out.stdout + out.stderr
        assert cgroups.dead_runs(project, alive=lambda pid, started: False) == [group]  # seen from outside
    finally:
        cgroups.stop([group], grace=0.0)
    assert not group.exists()


# run as a command's process would: the tree's owner joins its run's group, starts a child that
# sheds its environment and session, and one that is itself a check (already inside: stays there)
OWNER = """
import json, os, subprocess, sys, time
from validator import children, cgroups
children._owns_tree = True
print(json.dumps({"why_not": children.for_project(sys.argv[1])}), flush=True)
child = subprocess.Popen([sys.executable, "-c", "import os, time; os.setsid(); time.sleep(60)"], env={},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
inner = subprocess.run([sys.executable, "-c", "from validator import cgroups; "
    "print(cgroups.join('inner', '1.00'))"], capture_output=True, text=True, timeout=60).stdout
group = children._group[0].path
time.sleep(0.3)
print(json.dumps({"group": str(group), "members": cgroups.members(group), "child": child.pid,
                  "inner": inner.strip(), "own": open("/proc/self/cgroup").read()}), flush=True)
killed = children.leave_run_group()
print(json.dumps({"killed": killed, "left": os.path.exists(group), "own": open("/proc/self/cgroup").read()}))
"""


@writable
@outside_runs
def test_a_run_s_children_are_members_whatever_they_do_and_its_end_removes_the_group():
    project = f"sweep29-{uuid.uuid4().hex[:8]}"
    before = Path("/proc/self/cgroup").read_text()
    out = subprocess.run(
        [sys.executable, "-c", OWNER, project],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr
    joined, during, after = (json.loads(line) for line in out.stdout.splitlines())
    assert joined == {"why_not": ""}
    assert during["child"] in during["members"] and len(during["members"]) == 2, during  # itself and the child
    assert "/validator/" in during["own"] and during["group"].endswith(during["own"].split("::")[1].strip())
    assert during["inner"] == "Joined(group=None, why_not='')", during  # a check inside a run stays in it
    assert after["killed"] == [during["child"]] and not after["left"], after
    assert after["own"] == before  # back where it came from
    assert not psutil.pid_exists(during["child"]) or psutil.Process(during["child"]).status() == psutil.STATUS_ZOMBIE


def test_the_hierarchy_is_the_writable_cgroup2_root_only(tmp_path):
    mountinfo = tmp_path / "mountinfo"
    lines = [
        "30 25 0:26 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
        "41 31 0:38 /docker/abc /sys/fs/cgroup/bound rw,relatime - cgroup2 cgroup2 rw",  # a sub-cgroup bound
        "42 31 0:38 / /sys/fs/cgroup/read\\040only ro,relatime - cgroup2 cgroup2 rw",
    ]
    mountinfo.write_text("\n".join(lines) + "\n")
    assert cgroups.hierarchy(str(mountinfo)) is None
    mountinfo.write_text(
        "\n".join([*lines, "43 31 0:38 / /sys/fs/cgroup/uni\\040fied rw,relatime - cgroup2 cgroup2 rw"])
    )
    assert cgroups.hierarchy(str(mountinfo)) == Path("/sys/fs/cgroup/uni fied")
    assert cgroups.hierarchy(str(tmp_path / "absent")) is None


@outside_runs
def test_without_a_writable_hierarchy_there_is_no_group_and_it_says_why(tmp_path):
    blocker = tmp_path / "blocker"  # a file where the hierarchy's folders would go: nothing can be made
    blocker.write_text("")
    joined = cgroups.join("p", "1.00", root=blocker)
    assert joined.group is None and "cannot create" in joined.why_not, joined
    assert cgroups.dead_runs("p", alive=lambda pid, started: False, root=tmp_path / "none") == []
