"""What probes observe through: HTTP, TCP, MySQL, the engine and Spark drivers, each a small interface a test can
fake (``ProbeContext`` carries one of each), and the real ones. The real ones import their library
on first use (requests, mysql-connector): ``lint`` loads this module and never needs them."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from validator import children

# a job's result line, or None and a one-line reason
JobResult = tuple[dict[str, Any] | None, str]


class HttpResponse(Protocol):
    """What probes read of an answer (``requests.Response`` is one)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def is_redirect(self) -> bool: ...
    @property
    def url(self) -> str: ...
    @property
    def history(self) -> Sequence[Any]: ...
    def json(self) -> Any: ...
    def raise_for_status(self) -> None: ...


class Http(Protocol):
    """One HTTP request from this host; redirects followed only when asked; raises ``OSError`` (requests' errors are
    ones) when there is no answer."""

    def request(
        self,
        method: str,
        url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        data: str | None = None,
        json: Any = None,
        verify: bool = True,
        follow_redirects: bool = True,
    ) -> HttpResponse: ...


@dataclass(frozen=True, kw_only=True)
class TcpAnswer:
    """A connection that was accepted: how long the connect took, and how the peer dropped it within
    the hold ("reset", "closed"; "" when it kept it open or said something first)."""

    seconds: float
    dropped: str


class Tcp(Protocol):
    """Open a TCP connection from this host, keep it up to ``hold`` seconds to see whether the peer
    drops it, and close it; raises ``OSError`` when it cannot connect."""

    def connect(self, host: str, port: int, timeout: float, *, hold: float) -> TcpAnswer: ...


class Cursor(Protocol):
    def execute(self, operation: str, params: Sequence[Any] = ()) -> Any: ...
    def fetchone(self) -> Sequence[Any] | None: ...
    def fetchall(self) -> Sequence[Sequence[Any]]: ...


class Connection(Protocol):
    def cursor(self) -> Cursor: ...
    def close(self) -> None: ...


class MySql(Protocol):
    """A MySQL session in autocommit mode (``database`` None: none chosen)."""

    def connect(
        self, *, host: str, port: int, user: str, password: str, database: str | None, timeout: int
    ) -> Connection: ...
    def binlog_inserts(
        self, *, host: str, port: int, user: str, password: str, start: tuple[str, int], database: str, table: str
    ) -> int:
        """Row inserts into ``database.table`` in the binary log from ``start``, read as a replication
        client (what a CDC pipeline does); ``OSError`` when the server refuses the client."""
        ...


class ProbeEngine(Protocol):
    """What probes ask the Docker engine (``validator.engine.docker_api.Engine`` is one)."""

    def inspect(self, container: str) -> dict[str, Any]: ...
    def try_inspect(self, container: str) -> dict[str, Any] | None: ...
    def exec(
        self, container: str, command: list[str], user: str | None = None, timeout: float = 30.0
    ) -> tuple[int, str]: ...
    def find_log_line(self, container: str, pattern: re.Pattern[str], within: float) -> str | None: ...
    def bridge_gateway(self) -> str | None: ...
    def containers(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...


class SparkJobs(Protocol):
    """Run a Spark application's driver (``python -m module``, which prints ``VALIDATOR-RESULT
    {json}``) with ``job`` on its standard input, bounded by ``timeout``."""

    def run(self, module: str, job: dict[str, Any], scratch: str, timeout: float) -> JobResult: ...


class ChildSparkJobs:
    """The driver in a child process of ours (``run_job``)."""

    def run(self, module: str, job: dict[str, Any], scratch: str, timeout: float) -> JobResult:
        return run_job(module, job, scratch, timeout)


class RequestsHttp:
    """HTTP with requests, one kept-alive session per probe context."""

    def __init__(self) -> None:
        self._session: Any = None

    def request(
        self,
        method: str,
        url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        data: str | None = None,
        json: Any = None,
        verify: bool = True,
        follow_redirects: bool = True,
    ) -> HttpResponse:
        if self._session is None:
            import requests  # here: requests (and urllib3, ssl) load only when a probe calls HTTP

            self._session = requests.Session()
        response: HttpResponse = self._session.request(
            method,
            url,
            headers=headers,
            params=params,
            data=data,
            json=json,
            timeout=timeout,
            verify=verify,
            allow_redirects=follow_redirects,
        )
        return response


class SocketTcp:
    def connect(self, host: str, port: int, timeout: float, *, hold: float) -> TcpAnswer:
        started = time.monotonic()
        with socket.create_connection((host, port), timeout=timeout) as sock:
            seconds = time.monotonic() - started
            return TcpAnswer(seconds=seconds, dropped=_dropped(sock, hold))


def _dropped(sock: socket.socket, hold: float) -> str:
    """How the peer dropped the accepted connection within ``hold`` seconds ("" when it kept it open
    or sent a first byte: a server waiting for a request, or greeting its client, as MySQL does)."""
    sock.settimeout(hold)
    try:
        first = sock.recv(1)
    except TimeoutError:
        return ""
    except ConnectionResetError:
        return "reset"
    return "" if first else "closed"


class MysqlConnector:
    """MySQL with mysql-connector-python."""

    def connect(
        self, *, host: str, port: int, user: str, password: str, database: str | None, timeout: int
    ) -> Connection:
        import mysql.connector  # here: only the mysql probe needs the driver

        # the driver types its own connection and cursor classes, which meet ``Connection``
        connection: Any = mysql.connector.connect(
            host=host,
            port=port,
            user=user,
            password=password,
            database=database,
            connection_timeout=timeout,
            autocommit=True,
        )
        opened: Connection = connection
        return opened

    def binlog_inserts(
        self, *, host: str, port: int, user: str, password: str, start: tuple[str, int], database: str, table: str
    ) -> int:
        import pymysql  # here: the replication client's driver, only when a probe reads the binary log

        from validator.stack.cdc_job import binlog_changes  # here: with pymysqlreplication

        settings = {"host": host, "port": port, "user": user, "passwd": password}
        try:
            changes = binlog_changes(settings, start, database, table)
        except pymysql.err.MySQLError as error:  # the server's refusal (a missing privilege) is the finding
            raise OSError(str(error)) from None
        return sum(1 for change in changes if change.op == "insert")


def run_job(module: str, job: dict[str, Any], scratch: str, timeout: float) -> JobResult:
    """Run ``python -m module`` with ``job`` as JSON on its standard input (never on the command
    line, where any user sees it: it may carry passwords). Its result line, or None and a one-line
    reason (never a Java trace)."""
    from validator.stack.spark import explain_failure  # here: stack.spark brings urllib.request and xml

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
