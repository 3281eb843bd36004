"""The ``spark`` and ``cdc`` probes without a cluster: the resolution stage (the honest fallback when
no repository serves Delta and the local one lacks it), the folder the driver and executors share,
the session's settings, and how the jobs' results are judged."""

from __future__ import annotations

import time
from pathlib import Path

from tests.harness.specs import load_dict
from validator.checks.probes import run_probe
from validator.probes import cdc, spark
from validator.probes.base import ProbeContext
from validator.spec.probes.cdc import CdcSpec
from validator.spec.probes.spark import SparkSpec
from validator.stack import cdc_job
from validator.stack.spark import session_conf, shared_folders, with_resolution

REASON = "no Maven repository here and no Delta JARs in the local repository"


def spark_delta(repository: str, **extra: object) -> dict[str, object]:
    return {
        "kind": "spark",
        "delta": True,
        "driver_host": "127.0.0.1",  # no engine asked: the probe stops before any JVM starts
        "warehouse": "tables",
        "maven_local": "empty-m2",
        "repositories": [repository],
        **extra,
    }


def probe(tmp_path: Path, name: str, spec: dict[str, object]):
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "probes": {name: spec}})
    ctx = ProbeContext(
        spec=loaded.spec, base_dir=tmp_path, deadline=time.monotonic() + 60, engine_factory=None, running={}
    )
    return run_probe(loaded, name, ctx)


def test_a_repository_that_refuses_and_no_local_jars_fail_with_the_reason_and_the_fix(tmp_path, maven_repository):
    began = time.monotonic()
    result = probe(tmp_path, "spark-delta", spark_delta(maven_repository.url))
    assert result.verdict == "fail" and result.actual == "unresolvable"
    assert result.expected == "io.delta:delta-spark_2.12:3.3.3 resolves"
    assert "cannot be resolved" in result.message and "delta-spark_2.12-3.3.3.jar is missing" in result.message
    assert f"{maven_repository.url} refused io.delta:delta-spark_2.12:3.3.3 (HTTP 403)" in result.message
    assert "Fix: fetch the JARs once" in result.message and "Exception" not in result.message
    assert maven_repository.requests == ["/maven2/io/delta/delta-spark_2.12/3.3.3/delta-spark_2.12-3.3.3.pom"]
    assert time.monotonic() - began < 30  # decided before any JVM: no Spark session was attempted


def test_the_fallback_declared_as_expected_is_an_expected_failure(tmp_path, maven_repository):
    spec = spark_delta(maven_repository.url, expect="fail", reason=REASON)
    result = probe(tmp_path, "spark-delta", spec)
    assert result.verdict == "xfail"
    assert result.message.startswith(f"expected failure: {REASON} (the Delta Lake package")


def test_without_a_shared_folder_the_probe_says_how_to_mount_one(tmp_path, maven_repository):
    spec = spark_delta(maven_repository.url)
    del spec["warehouse"]
    result = probe(tmp_path, "spark-delta", spec)
    assert result.verdict == "fail" and "at the same absolute path as on this host" in result.message


def test_shared_folders_are_mounts_with_the_same_path_on_both_sides(tmp_path):
    shared = tmp_path / "shared"
    services = {
        "worker": {
            "image": "spark",
            "volumes": ["./data:/opt/delta-tables", f"{shared}:{shared}", "./conf:/opt/spark/conf:ro"],
        },
        "other": {"image": "x", "volumes": [f"{tmp_path}/elsewhere:{tmp_path}/elsewhere"]},
    }
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "services": services})
    assert shared_folders(loaded.spec, tmp_path, ["worker"]) == [shared]
    assert shared_folders(loaded.spec, tmp_path, ["worker", "other"]) == [shared, tmp_path / "elsewhere"]


def test_a_delta_session_resolves_through_its_own_ivy_settings(tmp_path):
    from validator.stack.maven import Resolution

    defaults = {"spark.jars.packages": "io.delta:delta-spark_2.12:3.3.3", "spark.jars.repositories": "https://x/"}
    conf = session_conf(
        master="spark://127.0.0.1:7077",
        driver_host="172.17.0.1",
        app_name="app",
        defaults=defaults,
        delta=True,
        delta_jars=[],
        extra={},
        scratch=str(tmp_path),
    )
    assert conf["spark.jars.packages"] == "io.delta:delta-spark_2.12:3.3.3"
    assert conf["spark.hadoop.fs.permissions.umask-mode"] == "000"  # executors write into the driver's folders
    local = Resolution(packages=conf["spark.jars.packages"], local=tmp_path / "m2", source="local")
    resolved = with_resolution(conf, local, str(tmp_path))
    assert "spark.jars.repositories" not in resolved  # the settings hold every repository the driver may use
    assert Path(resolved["spark.jars.ivySettings"]).read_text() == local.ivy_settings()
    plain = session_conf(
        master="spark://127.0.0.1:7077",
        driver_host="172.17.0.1",
        app_name="app",
        defaults=defaults,
        delta=False,
        delta_jars=[],
        extra={},
        scratch=str(tmp_path),
    )
    assert "spark.jars.packages" not in plain and "spark.hadoop.fs.permissions.umask-mode" not in plain


def test_the_delta_round_is_judged_step_by_step():
    spec = SparkSpec(kind="spark", delta=True, min_workers=0)
    on_cluster = {"app_id": "app-1", "app_ids": ["app-1"]}
    good = {"count": 1000, "python_sum": 9900, "delta": dict(spark.DELTA_EXPECTED), **on_cluster}
    assert spark._problems(spec, good) == []
    stale = {**good, "delta": {**spark.DELTA_EXPECTED, "version_0": {"a": 5, "b": 5}}}
    assert spark._problems(spec, stale) == ["Delta version 0: {'a': 5, 'b': 5}, expected {'a': 10}"]
    bare = {"count": 1000, "python_sum": 9900, **on_cluster}
    assert len(spark._problems(spec, bare)) == len(spark.DELTA_EXPECTED)


def test_a_delta_round_the_master_never_listed_fails_whatever_min_workers_says():
    """Adversary spark3, case 03: with ``min_workers: 0`` the master UI was not read, and a driver on no
    cluster at all passed the Delta round. The master must list the job's application, always."""
    spec = SparkSpec(kind="spark", delta=True, min_workers=0)
    delta = dict(spark.DELTA_EXPECTED)
    nowhere = {"count": 1000, "python_sum": 9900, "delta": delta, "app_id": "local-1", "app_ids": []}
    assert spark._problems(spec, nowhere) == ["the master UI does not list this driver's application 'local-1'"]


def cdc_batches(**second: object) -> list[dict[str, object]]:
    """A run of both batches as the job reports it when everything agrees (``second`` changes batch 2)."""
    rows = [[1, "ada", 10]]
    first = {"events": 1, "binlog_keys": [1], "feed_keys": [1], "mysql_rows": rows, "delta_rows": rows, "seconds": 1.5}
    kinds = [list(k) for k in cdc_job.FEED_KINDS]
    return [{**first, "feed_kinds": kinds[0]}, {**first, "feed_kinds": kinds[1], **second}]


def test_cdc_batches_agree_or_say_which_side_differs():
    assert cdc.judge(cdc_batches()) == []
    assert cdc.judge([]) == ["the job reported no batch"]
    assert cdc.judge(cdc_batches(delta_rows=[], feed_keys=[])) == [
        "batch 2: the Delta table has [], MySQL has [[1, 'ada', 10]]",
        "batch 2: the change feed names keys [], the binary log [1]",
    ]
    assert cdc.judge(cdc_batches(events=0)) == ["batch 2: no row event read from the binary log"]


def test_a_half_run_cdc_job_fails_against_its_plan():
    """Adversary spark3, case 06: a result with the inserts batch alone (the updates and the delete never
    ran) passed, and CDC1 read the inserts-only time; a feed without the update images passed too."""
    inserts_only = cdc_batches()[:1]
    assert cdc.judge(inserts_only) == ["the job reported 1 batch(es), it runs 2"]
    no_images = cdc_batches(feed_kinds=["delete", "insert"])
    assert cdc.judge(no_images) == [
        "batch 2: the change feed has change kinds ['delete', 'insert'], expected "
        "['delete', 'insert', 'update_postimage', 'update_preimage']"
    ]


def test_cdc_declares_its_binlog_to_delta_metric():
    from validator.checks.probes import METRICS

    declared = METRICS.declared("binlog_to_delta_seconds")
    assert declared is not None and declared.dimension == "time"
    assert declared.applies is not None and declared.applies(CdcSpec(kind="cdc", database="cdc", user="cdc"))
    assert not declared.applies(SparkSpec(kind="spark"))


def test_delta_table_path_lives_where_driver_and_executors_both_see_it(tmp_path):
    from validator.stack.endpoints import Endpoints

    shared = tmp_path / "shared"
    worker = {
        "image": "spark",
        "command": ["/opt/spark/bin/spark-class", "org.apache.spark.deploy.worker.Worker", "spark://spark:7077"],
        "volumes": ["./data/delta-tables:/opt/delta-tables"],
    }
    plain = load_dict(tmp_path, {"version": 1, "project": "demo", "services": {"spark-worker": worker}})
    assert Endpoints(plain).delta_tables() == (tmp_path / "data" / "delta-tables").resolve()
    worker["volumes"].append(f"{shared}:{shared}")
    both = load_dict(tmp_path, {"version": 1, "project": "demo", "services": {"spark-worker": worker}})
    assert Endpoints(both).delta_tables() == shared
