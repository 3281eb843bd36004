"""Memory and CPU over the run, on the real engine: a service that holds a known amount of memory
under its limit has a peak and a ratio that bracket it; a service the engine kills for lack of
memory fails its usage result, which names it, and the criterion over its OOM kills fails."""

from __future__ import annotations

import json

import pytest

from tests.harness.specs import write_spec
from tests.metrics import report_evidence

pytestmark = pytest.mark.docker

MIB = 1024 * 1024
HELD = 40  # MiB written to a tmpfs (memory charged to the container, never reclaimed while it runs)
# Why 8 MiB of room: busybox's shell and sleep use well under 1 MiB; the rest is the tmpfs's own
# bookkeeping and whatever the kernel charges the cgroup for its page tables.
ROOM = 8
# a junit suite that lasts a few seconds, so the run (and the sampling) goes on after up
SUITE = {
    "runner": "junit",
    "command": [
        "sh",
        "-c",
        'sleep 6 && printf \'<testsuite tests="1"><testcase classname="a" name="b"/></testsuite>\' > junit.xml',
    ],
    "junit": "junit.xml",
    "timeout": "60s",
}


def run_check(project, services, criteria):
    write_spec(
        project.folder,
        project.spec(
            services,
            suites={"wait": SUITE},
            criteria=criteria,
            settings={"reports": ["json=result.json"], "history": "history.db"},
        ),
    )
    done = project.cli("check", "--no-progress", timeout=300)
    report = json.loads((project.folder / "result.json").read_text())
    return done, report


def usage_result(report, name):
    return next(r for r in report["run"]["results"] if r["kind"] == "usage" and r["name"] == name)


def test_a_known_allocation_is_bracketed_by_the_peak_and_the_ratio(project):
    hold = f"head -c {HELD * MIB} /dev/zero > /scratch/held && sleep 3 && touch /tmp/ready && exec sleep 3600"
    services = {
        "hog": {
            "image": project.image,
            "command": ["sh", "-c", hold],
            "init": True,
            "stop_grace_period": "1s",
            "mem_limit": "64m",
            "memswap_limit": "64m",
            "tmpfs": ["/scratch:size=100m"],
            "healthcheck": {"test": ["CMD", "test", "-f", "/tmp/ready"], "interval": "1s", "retries": 60},
        }
    }
    criteria = {
        "HI": {"title": "held memory seen", "condition": "service.hog.memory_peak_ratio > 0.6"},
        "LO": {"title": "room left", "condition": "service.hog.memory_peak_ratio < 0.8"},
        "OOM": {"title": "never killed", "condition": "service.*.oom_kills == 0"},
    }
    done, report = run_check(project, services, criteria)
    evidence = report_evidence(report)
    peak, ratio = evidence["service.hog.memory_peak"], evidence["service.hog.memory_peak_ratio"]
    assert HELD * MIB <= peak["low"] <= (HELD + ROOM) * MIB, (peak, done.stdout[-2000:])
    assert HELD / 64 <= ratio["low"] <= (HELD + ROOM) / 64
    assert ratio["low"] == pytest.approx(peak["low"] / (64 * MIB))
    assert evidence["service.hog.cpu_peak"]["low"] >= 0
    verdicts = report["criteria"]
    assert verdicts["HI"] == "pass" and verdicts["OOM"] == "pass", done.stdout[-3000:]
    # followed from its start to the end, the peak is a value and `< 0.8` is proven; followed late
    # (a loaded engine), it is only a lower bound, and `< 0.8` is not a pass
    if peak["high"] == peak["low"]:
        assert verdicts["LO"] == "pass" and done.returncode == 0, done.stdout[-3000:]
    else:
        assert peak["high"] is None and "not observed for the whole run" in peak["reason"]
        assert verdicts["LO"] != "pass"
    hog = usage_result(report, "hog")
    assert hog["verdict"] == "pass" and "of 64 MiB" in hog["actual"]
    # the picture's series: this container, its limit, and the held memory in it
    (series,) = [u for u in report["run"]["usage"] if u["service"] == "hog"]
    assert series["memory_limit"] == 64 * MIB and max(m for m in series["memory"] if m) == peak["low"]


def test_a_service_killed_for_lack_of_memory_fails_and_is_named(project):
    # the shell builds a 100 MB string in a 32 MiB container without swap: the kernel kills it
    grow = "sleep 2; x=$(head -c 100000000 /dev/zero | tr '\\0' a); sleep 3600"
    services = {
        "boom": {
            "image": project.image,
            "command": ["sh", "-c", grow],
            "stop_grace_period": "1s",
            "mem_limit": "32m",
            "memswap_limit": "32m",
        },
        "calm": project.sleeper(mem_limit="32m"),
    }
    criteria = {"OOM": {"title": "never killed", "condition": "service.*.oom_kills == 0"}}
    done, report = run_check(project, services, criteria)
    assert done.returncode == 1, done.stdout[-3000:]
    boom = usage_result(report, "boom")
    assert boom["verdict"] == "fail" and boom["actual"].startswith("OOM-killed")
    assert "lack of memory under its 32 MiB memory limit" in boom["message"]
    assert f"{project.name}-boom" in boom["message"]
    evidence = report_evidence(report)
    assert evidence["service.boom.oom_kills"]["low"] >= 1
    # killed for lack of memory, its memory reached its limit, whatever the samples a second apart saw
    assert evidence["service.boom.memory_peak_ratio"]["low"] == 1.0
    assert evidence["service.calm.oom_kills"] == {**evidence["service.calm.oom_kills"], "low": 0.0, "high": 0.0}
    assert usage_result(report, "calm")["verdict"] == "pass"
    (criterion,) = [r for r in report["run"]["results"] if r["kind"] == "criterion"]
    assert criterion["verdict"] == "fail" and "service.boom.oom_kills" in criterion["actual"] + criterion["message"]
    # the console names it too
    assert "boom" in done.stdout and "lack of memory" in done.stdout
