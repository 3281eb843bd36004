"""What probes observe through: HTTP, TCP, MySQL, the engine and Spark drivers, each a small interface a test can
fake (``ProbeContext`` carries one of each), and the real ones. The real ones import their library
on first use (requests, mysql-connector): ``lint`` loads this module and never needs them."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from validator import children, direct_http

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
    """Run a Spark job (a module's ``run(spark, job)``, ``validator.stack.spark_host``) in a driver on
    this host with ``job``, bounded by ``timeout``; ``scratch`` is the folder the session's settings
    name (its Ivy settings, local folders): it lasts as long as the driver that may use it."""

    def scratch(self, prefix: str) -> AbstractContextManager[str]: ...
    def run(self, module: str, job: dict[str, Any], scratch: str, timeout: float) -> JobResult: ...


class ChildSparkJobs:
    """Each job in a driver of its own: a child process of ours, stopped when the job is done."""

    def scratch(self, prefix: str) -> AbstractContextManager[str]:
        return tempfile.TemporaryDirectory(prefix=prefix)

    def run(self, module: str, job: dict[str, Any], scratch: str, timeout: float) -> JobResult:
        host = SparkHost.start(scratch, HOST_COMMAND)
        try:
            return host.ask(module, job, timeout)
        finally:
            host.close()


class SharedSparkJobs:
    """The jobs of several probes on one master in one driver, one after another (the schedule gives
    the probes that take turns on a master one of these): one driver JVM, one executor and Delta's
    first use on it, instead of one each. A job runs in the driver the previous one left only when
    its session's settings are the same but for the application's name (``session_key``); else, and
    after a job that failed in any way (no result: the job raised, the driver died, the time ran
    out), the next job gets a fresh driver, so one job's failure is never the next one's evidence.
    Each job's verdict is judged on its own result. ``close`` stops the driver (the schedule calls
    it when the last probe on the master is done, freeing the executor for the suites)."""

    def __init__(self, command: Sequence[str] = ()) -> None:
        self._command = tuple(command) or HOST_COMMAND  # tests: a stand-in that speaks the host's protocol
        self._lock = threading.Lock()
        self._host: SparkHost | None = None
        self._key: tuple[tuple[str, str], ...] = ()
        self._folder: str | None = None

    @contextlib.contextmanager
    def scratch(self, prefix: str) -> Iterator[str]:
        with self._lock:
            if self._folder is None:
                self._folder = tempfile.mkdtemp(prefix="validator-spark-shared-")
            folder = self._folder
        yield folder  # the drivers' folder, removed by ``close``

    def run(self, module: str, job: dict[str, Any], scratch: str, timeout: float) -> JobResult:
        with self._lock:
            key = session_key(job["conf"])
            if self._host is not None and (key != self._key or not self._host.alive()):
                self._stop()
            if self._host is None:
                self._host, self._key = SparkHost.start(scratch, self._command), key
            result, failure = self._host.ask(module, job, timeout)
            if result is None:
                self._stop()
            return result, failure

    def close(self) -> None:
        with self._lock:
            self._stop()
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _stop(self) -> None:
        if self._host is not None:
            self._host.close()
            self._host = None


def session_key(conf: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """What must be equal for two jobs to share a session: every setting but the application's name,
    and the content of the Ivy settings file the packages resolved with (its path is the same
    folder's for both)."""
    key = {k: v for k, v in conf.items() if k != "spark.app.name"}
    settings = conf.get("spark.jars.ivySettings")
    if settings:
        try:
            with open(settings, encoding="utf-8") as handle:
                key["<ivy settings>"] = handle.read()
        except OSError:
            key["<ivy settings>"] = "<unreadable>"
    return tuple(sorted(key.items()))


HOST_COMMAND = (sys.executable, "-m", "validator.stack.spark_host")


class SparkHost:
    """One ``validator.stack.spark_host`` child (and the driver JVM it starts, in its process group):
    requests on its standard input (never on its command line, where any user sees them: they may
    carry passwords), one result line each on its output."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True, name="spark-host-output").start()

    @classmethod
    def start(cls, scratch: str, command: Sequence[str]) -> SparkHost:
        # an owned process group: the driver JVM it starts is stopped with it, whatever ends the run
        proc = children.spawn(
            list(command),
            cwd=scratch,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        return cls(proc)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)  # the end of the output: the host (and whatever held its output) is gone

    def alive(self) -> bool:
        return self.proc.poll() is None

    def ask(self, module: str, job: dict[str, Any], timeout: float) -> JobResult:
        """The job's result line, or None and a one-line reason (never a Java trace)."""
        from validator.stack.spark import explain_failure  # here: stack.spark brings urllib.request and xml

        output: list[str] = []
        self._skip_earlier_output()
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"module": module, "job": job}) + "\n")
            self.proc.stdin.flush()
        except OSError:
            return None, "the Spark driver ended before its job: " + explain_failure(self._drain(output), job["conf"])
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                children.finish(self.proc, grace=0.0)
                return None, f"no result within {timeout:.0f}s: " + explain_failure(self._drain(output), job["conf"])
            try:
                line = self.lines.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if line is None:
                return None, explain_failure("".join(output), job["conf"])
            if line.startswith("VALIDATOR-RESULT "):
                result: dict[str, Any] = json.loads(line[len("VALIDATOR-RESULT ") :])
                return result, ""
            output.append(line)

    def _skip_earlier_output(self) -> None:
        """Forget what the driver logged before this job (after the last job's result): a failure of
        this job is explained by its own output only."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            if line is None:  # the end of the output stays known: the driver is gone
                self.lines.put(None)
                return

    def _drain(self, output: list[str]) -> str:
        while True:
            try:
                line = self.lines.get(timeout=1.0)
            except queue.Empty:
                break
            if line is None:
                break
            output.append(line)
        return "".join(output)

    def close(self) -> None:
        """End of input: the host stops its session (the driver releases its executor) and exits;
        what is still there after a bounded wait is stopped."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=children.STOP_GRACE * 2)
        children.finish(self.proc)


class RequestsHttp:
    """HTTP with requests, one kept-alive session per probe context, never through an environment
    proxy (``validator.direct_http``)."""

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
            # the probe's peer must be the URL's host: never a proxy the environment names
            self._session = direct_http.session()
        response: HttpResponse = self._session.request(
            method,
            url,
            headers=headers,
            params=params,
            data=data,
            json=json,
            timeout=timeout,
            verify=direct_http.verify(verify),
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
