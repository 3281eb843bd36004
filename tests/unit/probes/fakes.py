"""Fakes for what probes observe through (``validator.probes.seams``): HTTP answers by route, a TCP
connect that refuses or not, a scripted MySQL server, an engine that answers inspect, exec and logs."""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.harness.specs import load_dict
from validator.checks.probes import run_probe
from validator.core.result import Result
from validator.probes.base import ProbeContext
from validator.probes.seams import TcpAnswer


@dataclass(kw_only=True)
class Answer:
    status_code: int = 200
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""
    history: list[Any] = field(default_factory=list)  # the redirects followed to this answer

    @property
    def is_redirect(self) -> bool:
        return self.status_code in (301, 302, 303, 307, 308) and "Location" in self.headers

    @classmethod
    def of(cls, document: Any, status_code: int = 200) -> Answer:
        return cls(status_code=status_code, text=json.dumps(document), headers={"Content-Type": "application/json"})

    def json(self) -> Any:
        return json.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise OSError(f"HTTP {self.status_code}")


Route = Answer | Callable[[dict[str, Any]], Answer]


class FakeHttp:
    """Answers ``(method, path)`` from ``routes`` (an Answer, or a function of the request); every
    request is recorded; a route that is missing refuses the connection."""

    def __init__(self, routes: dict[tuple[str, str], Route]) -> None:
        self.routes = routes
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, *, timeout: float, **options: Any) -> Answer:
        call = {"method": method, "url": url, "path": urlsplit(url).path, "timeout": timeout, **options}
        self.calls.append(call)
        route = self.routes.get((method, call["path"]))
        if route is None:
            raise ConnectionRefusedError(f"[Errno 111] Connection refused: {url}")
        return route(call) if callable(route) else route


class FakeTcp:
    """Refuses, or accepts and then keeps the connection or drops it (``dropped``: "reset", "closed")."""

    def __init__(self, refuse: bool = False, dropped: str = "") -> None:
        self.refuse, self.dropped = refuse, dropped
        self.calls: list[tuple[str, int, float, float]] = []

    def connect(self, host: str, port: int, timeout: float, *, hold: float) -> TcpAnswer:
        self.calls.append((host, port, timeout, hold))
        if self.refuse:
            raise ConnectionRefusedError(111, "Connection refused")
        return TcpAnswer(seconds=0.002, dropped=self.dropped)


@dataclass(kw_only=True)
class MysqlServer:
    """A scripted server: what it answers to the probe's statements, and what the probe did to it."""

    version: str = "8.0.36"
    variables: dict[str, str] = field(
        default_factory=lambda: {"log_bin": "ON", "binlog_format": "ROW", "server_id": "1"}
    )
    grants: list[str] = field(
        default_factory=lambda: ["GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`"]
    )
    logs_rows: bool = True
    logins: list[tuple[str, str]] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    closed: int = 0


class FakeCursor:
    def __init__(self, server: MysqlServer) -> None:
        self.server = server
        self.result: list[tuple[Any, ...]] = []

    def execute(self, operation: str, params: tuple[Any, ...] = ()) -> None:
        server = self.server
        if operation == "SELECT VERSION()":
            self.result = [(server.version,)]
        elif operation.startswith("SHOW VARIABLES"):
            value = server.variables.get(params[0])
            self.result = [(params[0], value)] if value is not None else []
        elif operation.startswith("SHOW GRANTS"):
            self.result = [(grant,) for grant in server.grants]
        elif operation == "SHOW MASTER STATUS":
            self.result = [("binlog.000002", 157)]
        elif operation.startswith("CREATE TABLE"):
            server.tables.append(re.findall(r"`([^`]+)`", operation)[1])
        elif operation.startswith("SHOW BINLOG EVENTS IN 'binlog.000002' FROM 157"):
            table = server.tables[-1] if server.logs_rows else "other"
            self.result = [
                ("binlog.000002", 200, "Table_map", 1, 260, f"table_id: 91 (db.{table})"),
                ("binlog.000002", 260, "Write_rows_v1", 1, 300, "table_id: 91 flags: STMT_END_F"),
            ]
        elif operation.startswith("DROP TABLE"):
            server.dropped.append(re.findall(r"`([^`]+)`", operation)[1])
        elif not operation.startswith("INSERT"):
            raise AssertionError(f"unexpected statement {operation}")

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.result[0] if self.result else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self.result)


class FakeConnection:
    def __init__(self, server: MysqlServer) -> None:
        self.server = server

    def cursor(self) -> FakeCursor:
        return FakeCursor(self.server)

    def close(self) -> None:
        self.server.closed += 1


class FakeMySql:
    def __init__(self, server: MysqlServer) -> None:
        self.server = server

    def connect(
        self, *, host: str, port: int, user: str, password: str, database: str | None, timeout: int
    ) -> FakeConnection:
        if (user, password) == ("nobody", "wrong"):
            raise OSError(f"1045 (28000): Access denied for user '{user}'")
        self.server.logins.append((user, password))
        return FakeConnection(self.server)

    def binlog_inserts(
        self, *, host: str, port: int, user: str, password: str, start: tuple[str, int], database: str, table: str
    ) -> int:
        """The replication client: the CDC user's login, then the inserts into the probe's table."""
        if (user, password) == ("nobody", "wrong"):
            raise OSError(f"1045 (28000): Access denied for user '{user}'")
        self.server.logins.append((user, password))
        assert start == ("binlog.000002", 157), start
        return 1 if self.server.logs_rows and table in self.server.tables else 0


class FakeEngine:
    """Containers by id: their inspect document, what an exec answers, their log lines."""

    def __init__(
        self,
        inspected: dict[str, dict[str, Any]] | None = None,
        exec_answer: tuple[int, str] = (0, ""),
        logs: dict[str, list[str]] | None = None,
    ) -> None:
        self.inspected = inspected or {}
        self.exec_answer = exec_answer
        self.logs = logs or {}
        self.execs: list[dict[str, Any]] = []
        self.waits: list[float] = []

    def inspect(self, container: str) -> dict[str, Any]:
        return self.inspected[container]

    def try_inspect(self, container: str) -> dict[str, Any] | None:
        return self.inspected.get(container)

    def exec(
        self, container: str, command: list[str], user: str | None = None, timeout: float = 30.0
    ) -> tuple[int, str]:
        self.execs.append({"container": container, "command": command, "user": user, "timeout": timeout})
        return self.exec_answer

    def find_log_line(self, container: str, pattern: re.Pattern[str], within: float) -> str | None:
        self.waits.append(within)
        return next((line for line in self.logs.get(container, []) if pattern.search(line)), None)

    def bridge_gateway(self) -> str | None:
        return "172.17.0.1"

    def containers(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every container inspected, as the engine lists them (one replica each, no replica labels)."""
        return [{"Id": cid, "Labels": {}} for cid in self.inspected]


def run(
    tmp_path: Path,
    probe: dict[str, Any],
    services: dict[str, Any] | None = None,
    running: dict[str, str] | None = None,
    engine: FakeEngine | None = None,
    **seams: Any,
) -> Result:
    """The probe ``p`` of a spec with ``services``, run as ``check`` runs it, over the fakes."""
    document = {"version": 1, "project": "fakes", "services": services or {}, "probes": {"p": probe}}
    loaded = load_dict(tmp_path, document)
    ctx = ProbeContext(
        spec=loaded.spec,
        base_dir=tmp_path,
        deadline=time.monotonic() + 60,
        engine_factory=(lambda: engine) if engine is not None else None,
        running=running or {},
        **seams,
    )
    return run_probe(loaded, "p", ctx)


class FakeSparkJobs:
    """A driver that answers ``result`` (or fails with ``failure``) and records the job it was given."""

    def __init__(self, result: dict[str, Any] | None, failure: str = "") -> None:
        self.result, self.failure = result, failure
        self.jobs: list[tuple[str, dict[str, Any]]] = []

    def scratch(self, prefix: str) -> AbstractContextManager[str]:
        return tempfile.TemporaryDirectory(prefix=prefix)

    def run(self, module: str, job: dict[str, Any], scratch: str, timeout: float) -> tuple[dict[str, Any] | None, str]:
        self.jobs.append((module, job))
        return self.result, self.failure
