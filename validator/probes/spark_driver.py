"""What probes that run a Spark application on the cluster share (``spark``, ``cdc``): the resolution
stage of Delta's package and the shared folder for Delta tables (the driver's fields are
``validator.spec.probes.spark_driver``; the child process that runs the job is
``validator.probes.seams.ChildSparkJobs``). Not a probe kind itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from validator.probes.base import ProbeContext
from validator.redact import quoted
from validator.spec.probes.spark_driver import SparkDriverSpec


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
    # here: the Maven and Spark helpers bring urllib.request and xml, which lint (it loads the probe
    # registry for the metrics kinds declare) never needs
    from validator.stack.maven import default_local_repository, resolve_packages
    from validator.stack.spark import read_defaults, remote_repositories, session_conf, with_resolution

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
    from validator.stack.spark import shared_folders  # here: as in prepare

    if spec.warehouse:
        return ctx.base_dir / spec.warehouse
    found = shared_folders(ctx.spec, ctx.base_dir, [spec.service] if spec.service else list(ctx.spec.services))
    return found[0] if found else None
