"""What probes observe through: HTTP, TCP, MySQL and the engine, each a small interface a test can
fake (``ProbeContext`` carries one of each), and the real ones. The real ones import their library
on first use (requests, mysql-connector): ``lint`` loads this module and never needs them."""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class HttpResponse(Protocol):
    """What probes read of an answer (``requests.Response`` is one)."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    def json(self) -> Any: ...
    def raise_for_status(self) -> None: ...


class Http(Protocol):
    """One HTTP request from this host; redirects followed; raises ``OSError`` (requests' errors are
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
    ) -> HttpResponse: ...


class Tcp(Protocol):
    """Open a TCP connection from this host and close it; raises ``OSError`` when it cannot."""

    def connect(self, host: str, port: int, timeout: float) -> None: ...


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


class ProbeEngine(Protocol):
    """What probes ask the Docker engine (``validator.engine.docker_api.Engine`` is one)."""

    def inspect(self, container: str) -> dict[str, Any]: ...
    def exec(
        self, container: str, command: list[str], user: str | None = None, timeout: float = 30.0
    ) -> tuple[int, str]: ...
    def find_log_line(self, container: str, pattern: re.Pattern[str], within: float) -> str | None: ...
    def bridge_gateway(self) -> str | None: ...


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
            allow_redirects=True,
        )
        return response


class SocketTcp:
    def connect(self, host: str, port: int, timeout: float) -> None:
        with socket.create_connection((host, port), timeout=timeout):
            pass


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
