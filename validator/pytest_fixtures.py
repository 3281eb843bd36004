"""What the pytest plugin's fixtures do (``validator/pytest_plugin.py``): the spec read, the engine
asked where containers reach this host, the Spark session built, the clients made.

A module of its own because the plugin is loaded into every pytest session on the machine (an entry
point): every suite ``validator check`` runs, every pytest of the project's own tests. This module's
imports (the spec's model and pydantic, the engine's client, the Spark and Maven helpers) were most of
the plugin's load: inside pytest each of our modules goes through pytest's assertion rewriter (validator
is a pytest11 distribution), no bytecode cached, about 0.2 s of CPU per session (a one-test suite's
pytest: 1.18 s -> 0.97 s, min of 7). The plugin imports this module only when a test asks for one of
its fixtures (or collects one that asks for ``spark_session``).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

from validator.engine.docker_api import Engine, host_address_for_containers
from validator.errors import FatalError, SpecError
from validator.load import load_spec
from validator.redact import clip, quoted, text
from validator.stack.endpoints import Endpoints
from validator.stack.maven import default_local_repository, resolve_packages
from validator.stack.spark import build_session, read_defaults, remote_repositories, session_conf, with_resolution


@functools.cache
def host_address() -> str:
    """Where containers reach this host, asked of the engine once per session."""
    try:
        return host_address_for_containers(Engine.connect(timeout=10))
    except FatalError:  # without an engine, processes on this host still reach loopback
        return host_address_for_containers(None)


def fail(message: str) -> NoReturn:
    """Fail the test with ``message`` masked: pytest prints it, and writes it into its JUnit XML, past
    ``validator``'s own streams (the secrets were registered when the fixture loaded the spec)."""
    pytest.fail(text(message), pytrace=False)


def unreachable(service: str, what: str, exc: BaseException) -> NoReturn:
    fail(
        f"service {quoted(service)} is not reachable: {what} failed ({type(exc).__name__}: {clip(str(exc), 200)}); "
        "start it with `validator up` or run pytest with --infra-up"
    )


def spec_files(root: Any) -> list[str]:
    """The files ``validator check`` was given (VALIDATOR_SPEC_FILES), else the nearest infra.yaml upwards."""
    given = os.environ.get("VALIDATOR_SPEC_FILES")
    if given:
        return given.split(os.pathsep)
    for folder in (root, *root.parents):
        if (folder / "infra.yaml").is_file():
            return [str(folder / "infra.yaml")]
    return [str(root / "infra.yaml")]


def infra(config: pytest.Config) -> Endpoints:
    """The ``infra`` fixture: endpoints of every service of the spec, reconciled first under --infra-up."""
    files = config.getoption("--infra") or spec_files(config.rootpath)
    try:
        loaded = load_spec(files)
    except SpecError as exc:
        fail("the infrastructure spec is invalid:\n" + "\n".join(map(str, exc.findings)))
    if config.getoption("--infra-up"):
        # lazy: the whole engine, for --infra-up only
        from validator.engine.reconcile import up

        result = up(loaded, Engine.connect(), progress=lambda who, message: None)
        if not result.ok:
            fail("validator up failed: " + "; ".join(r.message for r in result.services.values() if r.message))
    return Endpoints(loaded)


def spark_conf(infra: Any, config: pytest.Config, scratch: str) -> tuple[dict[str, str], bool]:
    """The suite session's settings and whether Delta is on; ``pytest.fail`` when Delta's package
    resolves from nowhere (before any JVM starts)."""
    choice = config.getoption("--infra-spark-delta")
    delta = choice == "on" or (choice == "auto" and infra.spark_delta_available())
    defaults = read_defaults(infra.spark_defaults())
    conf = session_conf(
        master=infra.spark_master(),
        driver_host=host_address(),
        app_name="validator-tests",
        defaults=defaults,
        delta=delta,
        delta_jars=[],
        extra={},
        scratch=scratch,
    )
    if "spark.jars.packages" in conf:
        resolution = resolve_packages(
            conf["spark.jars.packages"], default_local_repository(), remote_repositories(defaults)
        )
        if resolution.problem:
            pytest.fail(resolution.problem, pytrace=False)
        conf = with_resolution(conf, resolution, scratch)
    return conf, delta


class EarlySession:
    """The suite's Spark session, built in a thread from the end of collection on, so that its driver
    JVM (5-10 s) overlaps the tests that run before the first one that needs it (the alerting tests,
    which mostly wait on HTTP). No warm-up job: on two shared cores it was more work on the critical
    path (bench/RESULTS.md, issue 23). What the thread cannot settle without a JVM (the spec, the
    package's resolution) it leaves to the fixture, which does it again and reports as ever; a
    session that failed to build is the fixture's failure, reported as ever."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.scratch = tempfile.mkdtemp(prefix="validator-tests-spark-")
        self.session: Any = None
        self.delta = False
        self.error: BaseException | None = None
        self.taken = False
        self.thread = threading.Thread(target=self._build, daemon=True, name="validator-spark-session")
        self.thread.start()

    def _build(self) -> None:
        try:
            files = self.config.getoption("--infra") or spec_files(self.config.rootpath)
            endpoints = Endpoints(load_spec(files))
            conf, self.delta = spark_conf(endpoints, self.config, self.scratch)
        except (Exception, pytest.fail.Exception):  # noqa: BLE001 - the fixture does it again and reports it
            return
        try:
            self.session = build_session(conf)
        except Exception as exc:  # noqa: BLE001 - the fixture reports it
            self.error = exc

    def close(self) -> None:
        self.thread.join(timeout=EARLY_SESSION_TIMEOUT)
        if self.session is not None and not self.taken:
            self.session.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)


# Why 5 min: the bound of a session's start and a warm-up; a JVM that takes longer is stuck, and the
# fixture says so instead of waiting for the suite's own timeout.
EARLY_SESSION_TIMEOUT = 300.0


def spark_session(
    infra: Any, config: pytest.Config, tmp_path_factory: pytest.TempPathFactory, early: EarlySession | None
) -> Iterator[Any]:
    """The ``spark_session`` fixture: the early session when it started, else one built here."""
    master = infra.spark_master()
    if early is not None:
        early.thread.join(timeout=EARLY_SESSION_TIMEOUT)
        if early.thread.is_alive():
            fail(f"a Spark session on {master} did not start within {EARLY_SESSION_TIMEOUT:.0f}s")
        if early.error is not None:
            unreachable(infra.service("spark-master"), f"a Spark session on {master}", early.error)
    if early is not None and early.session is not None:
        early.taken = True
        session, delta = early.session, early.delta
    else:
        conf, delta = spark_conf(infra, config, str(tmp_path_factory.mktemp("spark")))
        try:
            session = build_session(conf)
        except Exception as exc:  # noqa: BLE001 - turned into one clear failure
            unreachable(infra.service("spark-master"), f"a Spark session on {master}", exc)
    session.delta_enabled = delta
    yield session
    session.stop()


def delta_table_path(infra: Any) -> Iterator[str]:
    """A fresh ``test_<uuid>`` path under the spec's Delta tables folder, removed afterwards."""
    base = infra.delta_tables()
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"test_{uuid.uuid4().hex}"
    yield str(path)
    shutil.rmtree(path, ignore_errors=True)


def alertmanager_client(infra: Any) -> Iterator[Any]:
    """post_alert, get_alerts, post_silence, delete_silence; removes what the test created."""
    from validator.stack.alertmanager import AlertManagerClient  # lazy: requests, for this fixture only

    client = AlertManagerClient(infra.alertmanager())
    try:
        client.status()
    except Exception as exc:  # noqa: BLE001
        unreachable(infra.service("alertmanager"), f"GET {client.url}/api/v2/status", exc)
    yield client
    client.cleanup()


def alert_webhook(infra: Any) -> Iterator[Any]:
    """The receiver the AlertManager route delivers to, listening where containers reach the host."""
    from validator.stack.alertmanager import WebhookReceiver  # lazy: requests, for this fixture only

    host = host_address()
    port = int(os.environ.get("VALIDATOR_WEBHOOK_PORT", "5001"))
    try:
        # under ``check`` the alertmanager probe listens on this port too, and it is started before the
        # suite; it holds the port for its whole run, at most its kind's bound (90 s): wait past that
        receiver = WebhookReceiver(host, port, port_wait=120.0)
    except OSError as exc:
        unreachable("alertmanager", f"listening for webhooks on {host}:{port}", exc)
    with receiver:
        yield receiver


def mysql_connection(infra: Any) -> Iterator[Any]:
    """A connection as the spec's MySQL user (MYSQL_USER/MYSQL_PASSWORD) on its database."""
    import mysql.connector

    params = infra.mysql()
    try:
        conn = mysql.connector.connect(
            host=params["host"],
            port=params["port"],
            user=params["user"],
            password=params["password"],
            database=params["database"],
            connection_timeout=10,
            autocommit=True,
        )
    except Exception as exc:  # noqa: BLE001
        unreachable(infra.service("mysql"), f"connecting to {params['host']}:{params['port']} as {params['user']}", exc)
    yield conn
    conn.close()
