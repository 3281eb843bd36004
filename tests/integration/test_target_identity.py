"""A target of a multi-target check is a machine of its own (issue 21, second outside review, case 02):
two addresses of one engine, or an empty address, are refused before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.specs import write_spec
from validator.main import main

pytestmark = pytest.mark.docker


def test_two_addresses_of_one_engine_are_refused(tmp_path, capsys):
    """``unix:///run/docker.sock`` and ``unix:///var/run/docker.sock`` name one daemon here: checking
    it twice would report a second machine nobody contacted."""
    if Path("/run/docker.sock").resolve() != Path("/var/run/docker.sock").resolve():
        pytest.skip("this host has no second path to its engine's socket")
    spec = write_spec(tmp_path, {"version": 1, "project": "vb-two-addresses"})
    hosts = ["--host", "unix:///run/docker.sock", "--host", "unix:///var/run/docker.sock"]
    code = main(["check", "-f", str(spec), "--no-progress", "--no-history", *hosts])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--host unix:///run/docker.sock and --host unix:///var/run/docker.sock are the same engine (ID " in err
