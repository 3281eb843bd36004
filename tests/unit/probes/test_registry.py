"""The probe registry and the kinds' spec models: the fields every kind shares are declared once (a
``timeout`` is a duration for every kind), the registry and the spec's union name the same kinds,
and turn-taking is what each kind declares."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from validator.probes.registry import PROBES
from validator.spec.probes import MODELS, ProbeSpec, kind_of

# the least each kind needs besides ``kind`` to validate
REQUIRED: dict[str, dict[str, Any]] = {
    "http": {"url": "http://127.0.0.1:1/"},
    "tcp": {"port": 1},
    "command": {"service": "web", "command": "true"},
    "container": {"service": "web"},
    "log": {"service": "web", "pattern": "ready"},
    "delta": {"path": "tables"},
    "cdc": {"database": "cdc", "user": "cdc"},
}
KINDS = [kind_of(model) for model in MODELS]


def build(kind: str, **fields: Any) -> ProbeSpec:
    model = next(m for m in MODELS if kind_of(m) == kind)
    return model.model_validate({"kind": kind, **REQUIRED.get(kind, {}), **fields})


def test_the_registry_and_the_spec_union_name_the_same_kinds():
    assert list(PROBES) == KINDS
    assert all(PROBES[kind].spec is model for kind, model in zip(KINDS, MODELS, strict=True))


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_takes_the_shared_fields_as_declared_once(kind):
    spec = build(kind, timeout="1m30s", retries=2, retry_interval="250ms", expect="fail", reason="known")
    assert (spec.timeout, spec.retries, spec.retry_interval, spec.expect) == (90.0, 2, 0.25, "fail")
    assert build(kind, timeout="30s").timeout == 30.0
    model = type(spec)
    # the field itself is the base's: a kind changes only its default (``default_timeout``)
    assert model.model_fields["timeout"].annotation is ProbeSpec.model_fields["timeout"].annotation
    assert model.model_fields["timeout"].description == ProbeSpec.model_fields["timeout"].description
    assert build(kind).timeout == model.default_timeout
    with pytest.raises(ValidationError):
        build(kind, timeout="soon")
    with pytest.raises(ValidationError, match="expect: fail needs a 'reason'"):
        build(kind, expect="fail")


def test_kinds_keep_their_own_default_timeouts():
    defaults = {kind: build(kind).timeout for kind in KINDS}
    assert defaults == {
        "http": 10.0,
        "tcp": 10.0,
        "command": 10.0,
        "container": 10.0,
        "log": 10.0,
        "spark": 180.0,
        "delta": 60.0,
        "alertmanager": 90.0,
        "prometheus": 30.0,
        "mysql": 30.0,
        "cdc": 300.0,
    }


def test_kinds_on_a_spark_master_take_turns_on_it_and_no_other_kind_shares_anything():
    master = "spark://10.0.0.5:7077"
    shared = {kind: PROBES[kind].shared_resource(build(kind, master=master)) for kind in ("spark", "cdc")}
    assert shared == {"spark": master, "cdc": master}
    assert all(PROBES[kind].shared_resource(build(kind)) is None for kind in KINDS if kind not in shared)
    # an entry reads only its own kind's specs
    assert PROBES["spark"].shared_resource(build("http")) is None


def test_in_container_kinds_are_those_that_need_a_service():
    inside = {kind for kind in KINDS if PROBES[kind].in_container}
    assert inside == {"command", "container", "log"}
    assert all(MODELS[KINDS.index(kind)].model_fields["service"].is_required() for kind in inside)


def test_kinds_that_claim_the_cluster_refuse_a_local_master(tmp_path):
    """Adversary spark3, cases 02-03: ``master: local[2]`` (or ``conf: {spark.master: ...}``) ran the
    whole CDC path in the driver, no master, worker or executor involved, and the probe passed. The
    ``spark`` and ``cdc`` kinds claim the cluster's work: a located lint error."""
    import subprocess
    import sys

    (tmp_path / "infra.yaml").write_text(
        "version: 1\nproject: demo\nprobes:\n  sp:\n    kind: spark\n    master: local[2]\n"
        "  cd:\n    kind: cdc\n    database: shop\n    user: cdc\n    conf:\n      spark.master: local[1]\n"
    )
    lint = subprocess.run(
        [sys.executable, "-m", "validator", "lint", "-f", "infra.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert lint.returncode == 1, lint.stdout + lint.stderr  # lint: 1 = errors found
    said = lint.stdout + lint.stderr
    assert "infra.yaml:6:13: probes.sp.master: must be a standalone master URL" in said
    assert "infra.yaml:12:7: probes.cd.conf: spark.master is the probe's 'master' field" in said


def test_the_cdc_probe_says_who_writes_and_reads_the_binary_log():
    """Adversary spark3, case 07: ``user`` defaulted to root, and ``cdc_user`` to ``user``: the binary
    log was read as root and the probe passed saying nothing of the CDC user. ``user`` is required."""
    import pydantic
    import pytest

    with pytest.raises(pydantic.ValidationError, match="user"):
        MODELS[KINDS.index("cdc")].model_validate({"kind": "cdc", "database": "cdc"})
