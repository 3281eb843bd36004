"""Each producer declares the metrics it emits; lint checks criteria against those declarations, and
a run's metrics are all declared ones, named by the one helper."""

from __future__ import annotations

import subprocess
import sys

from tests.harness.specs import write_spec
from tests.metrics import key
from validator.catalog import FAMILIES, catalog
from validator.core.metrics import metric_name
from validator.load import lint_files

SPEC = {
    "version": 1,
    "project": "decl",
    "services": {
        "web": {"image": "x", "healthcheck": {"test": ["CMD", "true"]}, "mem_limit": "64m"},
        "job": {"image": "x"},
    },
    "probes": {
        "box": {"kind": "container", "service": "web"},
        "page": {"kind": "http", "url": "http://127.0.0.1:1/"},
    },
}


def findings(tmp_path, condition):
    spec = {**SPEC, "criteria": {"C": {"title": "c", "condition": condition}}}
    return [f.message for f in lint_files([str(write_spec(tmp_path, spec))], environ={})]


def test_what_a_probe_kind_measures_is_known_to_lint(tmp_path):
    # the container probe measures restarts (it did before lint knew: lint rejected this condition)
    assert findings(tmp_path, "probe.box.restarts == 0") == []
    assert findings(tmp_path, "probe.page.restarts == 0") == [
        "'probe.page.restarts' is not measured: restarts is measured only for probes of kind container"
    ]


def test_a_service_without_a_health_check_has_no_health_time(tmp_path):
    assert findings(tmp_path, "service.web.healthy < 30s") == []
    assert findings(tmp_path, "service.*.healthy < 30s") == []
    assert findings(tmp_path, "service.job.healthy < 30s") == [
        "'service.job.healthy' is not measured: healthy is measured only for services with a health check "
        "that run a container"
    ]


def test_the_catalog_follows_the_declarations(tmp_path):
    from tests.harness.specs import load_dict

    known = catalog(load_dict(tmp_path, SPEC).spec)
    assert known[key("service.web.healthy")] == "time" and key("service.job.healthy") not in known
    assert known[key("service.web.memory_limit")] == "size" and key("service.job.memory_limit") not in known
    assert known[key("probe.box.restarts")] == "" and key("probe.page.restarts") not in known
    assert known[metric_name("host", "", "cpus")] == "" and known[key("checks.errors")] == ""
    for name, family in FAMILIES.items():
        assert family.name == name and family.metrics and family.doc


def test_lint_does_not_import_docker_or_pyspark(tmp_path):
    path = write_spec(tmp_path, {**SPEC, "criteria": {"C": {"title": "c", "condition": "probe.box.restarts == 0"}}})
    code = (
        "import sys; from validator.load import lint_files; "
        f"assert lint_files([{str(path)!r}], environ={{}}) == []; "
        "print(sorted(m for m in ('docker', 'pyspark', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_spec_reference_lists_every_declared_metric():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "spec.md").read_text()
    table = text[text.index("| family | members | fields |") : text.index("Each producer declares its fields")]
    lines = [line for line in table.splitlines()[2:] if line.startswith("|")]
    rows = {line.split("|")[1].strip().strip("`").split(".")[0]: line for line in lines}
    assert set(rows) == set(FAMILIES)
    for name, family in FAMILIES.items():
        for declared in family.metrics:
            assert declared.field in rows[name], f"docs/spec.md does not list {name} {declared.field}"


def test_members_that_do_not_run_by_design_are_outside_a_runs_wildcards(tmp_path):
    """A service in a profile that is not enabled runs no container, like scale 0: a valid Compose file
    with profiles can pass `service.*.healthy < 30s` (no false alarm), and with the profile on it counts."""
    from tests.harness.specs import load_dict
    from validator.catalog import run_catalog

    health = {"test": ["CMD", "true"]}
    spec = {
        "version": 1,
        "project": "profiles",
        "services": {
            "web": {"image": "x", "healthcheck": health},
            "debug": {"image": "x", "healthcheck": health, "profiles": ["debug"]},
            "off": {"image": "x", "healthcheck": health, "scale": 0},
        },
    }
    plain = run_catalog(load_dict(tmp_path, spec, environ={}))
    assert key("service.web.healthy") in plain
    assert key("service.debug.healthy") not in plain and key("service.off.healthy") not in plain
    on = run_catalog(load_dict(tmp_path, spec, environ={"COMPOSE_PROFILES": "debug"}))
    assert key("service.debug.healthy") in on and key("service.off.healthy") not in on


def test_a_condition_that_reads_no_metric_is_a_lint_error(tmp_path):
    for condition in ("true", "1 < 2", "not false", "1 == 1 and 2 > 1"):
        assert any("reads no metric" in m for m in findings(tmp_path, condition)), condition
    assert findings(tmp_path, "probe.box.restarts == 0 or true") == []


def test_a_metric_name_says_what_is_wrong_with_its_member(tmp_path):
    assert findings(tmp_path, "service.startup < 1s") == [
        "'service.startup' names no service: write service.NAME.startup or service.*.startup"
    ]
    assert findings(tmp_path, "host.web.cpus > 1") == ["'host.web.cpus': host metrics have no member: write host.cpus"]
