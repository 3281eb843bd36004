"""pytest plugin (entry point ``pytest11``): the checklist's fixtures, taken from ``infra.yaml``.

Fixtures: ``infra`` (endpoints of every service), ``spark_session``, ``delta_table_path``,
``alertmanager_client``, ``alert_webhook``, ``mysql_connection``. ``--infra FILE`` (repeatable for
overlays) picks the spec, ``--infra-up`` reconciles before the session. A fixture whose service
does not answer fails with the service's name and what was tried.

What ``validator check`` reads to judge a suite is recorded by another plugin,
``validator.suites.recorder``, which check loads itself into every pytest suite (whether or not
this one is loaded or disabled).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from validator.pytest_fixtures import EarlySession


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("validator", "infrastructure from infra.yaml")
    group.addoption(
        "--infra",
        action="append",
        default=None,
        metavar="FILE",
        help="spec file(s) the fixtures read (repeat for overlays; default: infra.yaml)",
    )
    group.addoption(
        "--infra-up",
        action="store_true",
        default=False,
        help="reconcile the infrastructure (validator up) before the session",
    )
    group.addoption(
        "--infra-spark-delta",
        choices=("auto", "on", "off"),
        default="auto",
        help="build spark_session with Delta Lake (auto: unless the spec expects Spark+Delta to fail)",
    )


# --- fixtures ---------------------------------------------------------------------------------


def _work() -> ModuleType:
    """The module doing the fixtures' work (validator/pytest_fixtures.py)."""
    # lazy: this plugin is loaded into every pytest session (every suite ``check`` runs); the spec's
    # model, the engine's client and the Spark helpers only into one that uses a fixture
    from validator import pytest_fixtures

    return pytest_fixtures


@pytest.fixture(scope="session")
def infra(request: pytest.FixtureRequest) -> Any:
    """Endpoints of every service of the spec (``infra.alertmanager()``, ``infra.mysql()``, ...)."""
    return _work().infra(request.config)


_early: dict[int, EarlySession] = {}  # id(config) -> its early session


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if config.option.collectonly or config.getoption("--infra-up"):
        return  # nothing runs, or the stack is reconciled first (by the ``infra`` fixture)
    if any("spark_session" in getattr(item, "fixturenames", ()) for item in session.items):
        _early[id(config)] = _work().EarlySession(config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    early = _early.pop(id(session.config), None)
    if early is not None:
        early.close()


@pytest.fixture(scope="session")
def spark_session(
    infra: Any, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A SparkSession on the spec's master; Delta settings from its spark-defaults.conf when usable
    (T042). Delta's package resolves from the Maven local repository (~/.m2/repository) without the
    network when it is there, else from a remote repository that serves it; neither: one clear
    failure with the fix, before any JVM starts. Started when collection ends (``EarlySession``)."""
    yield from _work().spark_session(infra, request.config, tmp_path_factory, _early.get(id(request.config)))


@pytest.fixture
def delta_table_path(infra: Any) -> Iterator[str]:
    """A fresh ``test_<uuid>`` path (T043-T045) under the spec's Delta tables folder, removed
    afterwards: the folder the Spark containers mount at the same absolute path as on this host,
    so the driver here and the executors there open the same table."""
    yield from _work().delta_table_path(infra)


@pytest.fixture
def alertmanager_client(infra: Any) -> Iterator[Any]:
    """post_alert, get_alerts, post_silence, delete_silence; removes what the test created."""
    yield from _work().alertmanager_client(infra)


@pytest.fixture(scope="session")
def alert_webhook(infra: Any) -> Iterator[Any]:
    """The receiver the AlertManager route delivers to, listening where containers reach the host."""
    yield from _work().alert_webhook(infra)


@pytest.fixture
def mysql_connection(infra: Any) -> Iterator[Any]:
    """A connection as the spec's MySQL user (MYSQL_USER/MYSQL_PASSWORD) on its database."""
    yield from _work().mysql_connection(infra)
