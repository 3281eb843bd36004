"""The fields of a Spark driver on this host against the spec's standalone master, shared by the kinds
that run an application on the cluster (``spark``, ``cdc``). Not a kind itself."""

from pydantic import Field, field_validator

from validator.spec.probes.base import ProbeSpec


class SparkDriverSpec(ProbeSpec):
    """The fields of a Spark driver on this host against the spec's standalone master."""

    master: str = "spark://127.0.0.1:7077"
    delta_jars: list[str] = Field(
        default_factory=list, description="Local Delta JARs (spark.jars) when no Maven repository is reachable."
    )
    maven_local: str | None = Field(
        None, description="Maven local repository the driver resolves Delta's package from (default ~/.m2/repository)."
    )
    repositories: list[str] | None = Field(
        None,
        description="Remote Maven repositories tried when the local one lacks the package "
        "(default: spark.jars.repositories of config_file, else Maven Central).",
    )
    config_file: str | None = Field(None, description="spark-defaults.conf whose settings the session uses.")
    conf: dict[str, str] = Field(default_factory=dict, description="Further Spark settings for the session.")
    driver_host: str = Field(
        "auto", description="Address executors use to reach this driver ('auto': the Docker bridge gateway)."
    )
    warehouse: str | None = Field(
        None,
        description="Host folder for Delta tables, mounted in the workers at the same absolute path "
        "(default: the folder the probe's service mounts that way).",
    )


    @field_validator("master")
    @classmethod
    def _on_the_cluster(cls, value: str) -> str:
        # these kinds claim work done by the cluster's executors: ``local[*]`` runs the whole job in the
        # driver on this host, so a pass would say nothing of the master, the workers or their JARs
        if not value.startswith("spark://"):
            raise ValueError("must be a standalone master URL, spark://HOST:PORT: a local master runs no executor")
        return value

    @field_validator("conf")
    @classmethod
    def _master_once(cls, value: dict[str, str]) -> dict[str, str]:
        if "spark.master" in value:
            raise ValueError("spark.master is the probe's 'master' field, not a conf entry (one place to say it)")
        return value


def spark_master(spec: SparkDriverSpec) -> str:
    """The standalone master a driver's application runs on (always ``spark://``: the model refuses
    any other): probes with the same one take turns (the worker runs one application's executors at a
    time when it is full, so a second session only queues at the master while its driver JVM takes CPU
    from the first, on two cores here)."""
    return spec.master
