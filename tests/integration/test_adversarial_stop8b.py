"""Adversary stop8 cases 02 and 03 as the reviewer ran them, on the real engine (the seams are tested in
``tests/unit/test_adversarial_stop8b.py``). No service: nothing is created on the engine, each target is
only reached and identified.

02: ``--host A --host A`` (and ``settings.targets`` whose second entry fell back to the first) ran one
    target and passed; now refused, exit 2, before any engine is contacted.
03: target 2's history row failed to write after target 1's PASSED row was committed, and ``report``
    showed that one row as the check (PASSED, exit 0); now the check is stored whole, and an address
    holding a byte that is not UTF-8 is refused.
"""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.docker

DEAD = "tcp://127.0.0.1:9"
QUIET = ("--no-progress", "-q")


def _spec(tmp_path, **settings) -> None:
    data = {"version": 1, "project": "advs8b-targets", "settings": settings}
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(data))


def test_case02_the_same_engine_named_twice_is_refused(tmp_path, engine, run_cli):
    _spec(tmp_path, targets=[engine.address, "${SECOND_ENGINE:-" + engine.address + "}"])
    done = run_cli("check", *QUIET, "--no-history", cwd=tmp_path, env={"SECOND_ENGINE": ""})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "infra.yaml:" in done.stderr and "is named twice" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    _spec(tmp_path)
    done = run_cli("check", *QUIET, "--no-history", "--host", engine.address, "--host", engine.address, cwd=tmp_path)
    assert done.returncode == 2 and "--host: target" in done.stderr and "is named twice" in done.stderr


def test_case03_a_check_of_two_targets_is_reported_whole(tmp_path, engine, run_cli):
    _spec(tmp_path)
    done = run_cli("check", *QUIET, "--host", engine.address, "--host", DEAD, cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr  # the dead one: ENGINE LOST
    shown = run_cli("report", cwd=tmp_path)
    assert shown.returncode == 1, shown.stderr
    assert f"2 targets ({engine.address}, {DEAD})" in shown.stderr and "ENGINE LOST" in shown.stderr
    # the reviewer's trigger: a non-UTF-8 byte in the second address (its history row could not be written)
    done = run_cli("check", *QUIET, "--host", engine.address, "--host", DEAD + "/\udcff", cwd=tmp_path)
    assert done.returncode == 2 and "is not an address (a byte that is not UTF-8)" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    # the refused check was never started: the last check is still the whole one above
    assert run_cli("report", cwd=tmp_path).returncode == 1
