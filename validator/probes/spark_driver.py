"""What probes that run a Spark application on the cluster share (``spark``, ``cdc``): the resolution
stage of Delta's package, the shared folder for Delta tables, and the child process that runs the
job (the driver's fields are ``validator.spec.probes.spark_driver``). Not a probe kind itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator import children
from validator.probes.base import ProbeContext
from validator.redact import quoted
from validator.spec.probes.spark_driver import SparkDriverSpec
from validator.stack.maven import default_local_repository, resolve_packages
from validator.stack.spark import (
    explain_failure,
    read_defaults,
    remote_repositories,
    session_conf,
    shared_folders,
    with_resolution,
)


@dataclass(frozen=True, kw_only=True)
class Driver:
    """A session's settings, ready to hand to a job, or why there is none."""

    conf: dict[str, str]
    folder: Path | None = None
    problem: str = ""
    expected: str = ""


def prepare(spec: SparkDriverSpec, ctx: ProbeContext, *, app_name: str, delta: bool, scratch: str) -> Driver:
    """The session's settings: spark-defaults, the driver's address, and with ``delta`` the folder the
    driver and executors share and the resolution of Delta's package (its Ivy settings in
    ``scratch``). A package that resolves from nowhere stops here, before any JVM starts."""
    defaults = read_defaults(ctx.base_dir / spec.config_file if spec.config_file else None)
    folder = shared_folder(spec, ctx) if delta else None
    if delta and folder is None:
        problem = (
            f"no folder for Delta tables: mount one in service {quoted(spec.service)} at the same absolute path as on "
            "this host (e.g. /var/tmp/delta:/var/tmp/delta), or set the probe's warehouse to such a folder"
        )
        return Driver(conf={}, problem=problem, expected="a folder the driver and the executors share")
    driver_host = ctx.host_address() if spec.driver_host == "auto" else spec.driver_host
    jars = [str(ctx.base_dir / jar) for jar in spec.delta_jars]
    conf = session_conf(
        master=spec.master,
        driver_host=driver_host,
        app_name=app_name,
        defaults=defaults,
        delta=delta,
        delta_jars=jars,
        extra=spec.conf,
        scratch=scratch,
    )
    if "spark.jars.packages" in conf:
        local = ctx.base_dir / spec.maven_local if spec.maven_local else default_local_repository()
        remotes = spec.repositories if spec.repositories is not None else remote_repositories(defaults)
        resolution = resolve_packages(conf["spark.jars.packages"], local, remotes, min(10.0, ctx.remaining()))
        if resolution.problem:
            return Driver(conf=conf, problem=resolution.problem, expected=f"{conf['spark.jars.packages']} resolves")
        conf = with_resolution(conf, resolution, scratch)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    return Driver(conf=conf, folder=folder)


def shared_folder(spec: SparkDriverSpec, ctx: ProbeContext) -> Path | None:
    if spec.warehouse:
        return ctx.base_dir / spec.warehouse
    found = shared_folders(ctx.spec, ctx.base_dir, [spec.service] if spec.service else list(ctx.spec.services))
    return found[0] if found else None


def run_job(module: str, job: dict[str, Any], scratch: str, timeout: float) -> tuple[dict[str, Any] | None, str]:
    """Run ``python -m module`` with ``job`` as JSON on its standard input (never on the command
    line, where any user sees it: it may carry passwords). Its result line, or None and a one-line
    reason (never a Java trace)."""
    # an owned process group: the driver JVM it starts is stopped with it, whatever ends the run
    proc = children.spawn(
        [sys.executable, "-m", module],
        cwd=scratch,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        output, _ = proc.communicate(json.dumps(job), timeout=timeout)
    except subprocess.TimeoutExpired:
        children.finish(proc, grace=0.0)
        output, _ = proc.communicate()
        return None, f"no result within {timeout:.0f}s: " + explain_failure(output, job["conf"])
    finally:
        children.finish(proc)
    line = next((row for row in output.splitlines() if row.startswith("VALIDATOR-RESULT ")), None)
    if line is None:
        return None, explain_failure(output, job["conf"])
    result: dict[str, Any] = json.loads(line[len("VALIDATOR-RESULT ") :])
    return result, ""
