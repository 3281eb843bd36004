"""JSON requests to the Docker engine's API over its local unix socket, with the standard library only.

Why not the Docker SDK here: ``import docker`` pulls in requests, urllib3, ssl, charset_normalizer,
idna and http.cookiejar (about 90 ms quiet, several times that on a loaded machine) before the first
call, while ``http.client`` over an ``AF_UNIX`` socket costs a few ms. ``plan``, ``up`` and ``down``
mostly make short JSON calls to the local engine, so those go through this module; what the SDK does
well (TLS and ssh hosts, builds with tar contexts, pulls with auth, Swarm, logs, archives) stays on
the SDK, built only when used (see ``docker_api.Engine.api``).

What this module owns: one keep-alive connection per thread, bounded timeouts, the API version
chosen once, query parameters encoded as the engine reads them, the engine's error ``message``,
the event and stats streams (closable from another thread) and an exec's multiplexed output.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

# The newest API version the Docker SDK this project pins speaks (``docker.constants.
# DEFAULT_DOCKER_API_VERSION``): an engine newer than that is spoken to at this version, as the SDK
# would. A unit test pins that the two agree, so this module never imports the SDK to read it.
MAX_API_VERSION = "1.45"
# The oldest the SDK accepts (``MINIMUM_DOCKER_API_VERSION``): older engines are refused alike.
MIN_API_VERSION = "1.24"


class ApiError(Exception):
    """The engine answered with an HTTP error: its status and its own ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class TransportError(Exception):
    """No answer: the socket is missing or refuses, the connection broke, or a timeout passed."""


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def choose_api_version(server: str) -> str:
    """The server's API version, capped at the newest the SDK speaks (see ``MAX_API_VERSION``)."""
    return server if version_tuple(server) <= version_tuple(MAX_API_VERSION) else MAX_API_VERSION


def encode_filters(filters: Mapping[str, Any]) -> str:
    """The ``filters`` parameter as the engine reads it (and as the SDK's ``convert_filters`` writes
    it): JSON of name -> list of strings; a boolean is ``"true"``/``"false"``."""
    converted: dict[str, list[str]] = {}
    for key, value in filters.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        items = value if isinstance(value, list) else [value]
        converted[key] = [item if isinstance(item, str) else str(item) for item in items]
    return json.dumps(converted)


def encode_query(params: Mapping[str, Any] | None) -> str:
    """A query string: None left out; booleans ``1``/``0`` (the engine's ``BoolValue`` and
    ``ParseBool`` both read them); a mapping (``filters``) as JSON; a list as repeated keys."""
    pairs: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "1" if value else "0"))
        elif isinstance(value, Mapping):
            pairs.append((key, encode_filters(value)))
        elif isinstance(value, list | tuple):
            pairs.extend((key, str(item)) for item in value)
        else:
            pairs.append((key, str(value)))
    return urllib.parse.urlencode(pairs)


def quote_path(template: str, *args: str) -> str:
    """``/containers/{0}/json`` with each argument quoted as the SDK quotes it (``/`` and ``:`` kept)."""
    return template.format(*(urllib.parse.quote(arg, safe="/:") for arg in args))


def demultiplex(raw: bytes) -> bytes:
    """The payloads of the engine's multiplexed stream (8-byte headers: stream, 3 zero bytes,
    big-endian length), stdout and stderr joined in the order written."""
    out, at = bytearray(), 0
    while len(raw) - at >= 8:
        (length,) = struct.unpack_from(">L", raw, at + 4)
        out += raw[at + 8 : at + 8 + length]
        at += 8 + length
    return bytes(out)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def set_timeout(self, timeout: float | None) -> None:
        self.timeout = timeout
        if self.sock is not None:
            self.sock.settimeout(timeout)

    def dropped(self) -> bool:
        """Whether the engine closed this idle kept-alive connection (readable with nothing pending
        means EOF), as urllib3 checks before reusing a pooled one."""
        if self.sock is None:
            return True
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).strip() or type(exc).__name__


def _error_message(status: int, reason: str, body: bytes) -> str:
    """The engine's ``{"message": ...}``, else its body's text, else the HTTP reason."""
    text = body.decode("utf-8", "replace").strip()
    try:
        decoded = json.loads(text) if text else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and decoded.get("message"):
        return str(decoded["message"]).strip()
    return text or f"{status} {reason}".strip()


def _decode(response: http.client.HTTPResponse, body: bytes) -> Any:
    if not body:
        return None
    if "json" in (response.getheader("Content-Type") or ""):
        return json.loads(body)
    return body.decode("utf-8", "replace")


class UnixTransport:
    """The engine's API on the unix socket at ``path``; thread-safe (a connection per thread)."""

    def __init__(self, path: str, timeout: float = 60.0) -> None:
        self.path = path
        self.timeout = timeout
        self.api_version = MAX_API_VERSION
        self._local = threading.local()

    # --- plain requests -----------------------------------------------------------------------
    def negotiate(self) -> dict[str, Any]:
        """``GET /version`` (unversioned), then speak min(server, ``MAX_API_VERSION``); the answer."""
        answer = self.request("GET", "/version", versioned=False)
        if not isinstance(answer, dict) or not answer.get("ApiVersion"):
            raise TransportError("the engine's /version answer has no ApiVersion")
        server = str(answer["ApiVersion"])
        if version_tuple(server) < version_tuple(MIN_API_VERSION):
            raise TransportError(f"engine API {server} is older than {MIN_API_VERSION}, the oldest supported")
        self.api_version = choose_api_version(server)
        return answer

    def url(self, path: str, params: Mapping[str, Any] | None = None, versioned: bool = True) -> str:
        query = encode_query(params)
        prefix = f"/v{self.api_version}" if versioned else ""
        return f"{prefix}{path}" + (f"?{query}" if query else "")

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
        versioned: bool = True,
        fresh: bool = False,
    ) -> Any:
        """One request on this thread's kept-alive connection: the decoded answer (JSON, text or
        None). ``ApiError`` for an HTTP error, ``TransportError`` when the engine does not answer.

        ``fresh``: on a new connection, closed afterwards. A stopping engine closes its listener
        but still answers on connections it already has, so "does it answer?" must ask anew."""
        url = self.url(path, params, versioned)
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        for attempt in (1, 2):
            conn, reused = (_UnixConnection(self.path, self.timeout), False) if fresh else self._connection()
            conn.set_timeout(self.timeout if timeout is None else timeout)
            try:
                conn.request(method, url, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected) as exc:
                self._drop(conn)
                # A kept-alive connection the engine closed between our check and our request: the
                # request never reached it, so one retry on a fresh connection is safe.
                if reused and attempt == 1:
                    continue
                raise TransportError(_reason(exc)) from None
            except (OSError, http.client.HTTPException) as exc:
                self._drop(conn)
                raise TransportError(_reason(exc)) from None
            except BaseException:
                # an interrupt (the CLI's signal handler raises) mid-request: this connection is
                # half-used, so the next request on this thread must not inherit it
                self._drop(conn)
                raise
            if response.will_close or fresh:
                self._drop(conn)
            if response.status >= 400:
                raise ApiError(response.status, _error_message(response.status, response.reason, data))
            return _decode(response, data)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _connection(self) -> tuple[_UnixConnection, bool]:
        conn: _UnixConnection | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.dropped():
            return conn, True
        if conn is not None:
            conn.close()
        conn = _UnixConnection(self.path, self.timeout)
        self._local.conn = conn
        return conn, False

    def _drop(self, conn: _UnixConnection) -> None:
        conn.close()
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None

    def _open(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any, timeout: float
    ) -> tuple[_UnixConnection, http.client.HTTPResponse]:
        """A request on a connection of its own (a stream or a hijacked exec), its answer's headers
        read within ``timeout``; an HTTP error is raised and the connection closed."""
        conn = _UnixConnection(self.path, timeout)
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        try:
            conn.request(method, self.url(path, params), body=payload, headers=headers)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise TransportError(_reason(exc)) from None
        if response.status >= 400:
            try:
                data = response.read()
            except (OSError, http.client.HTTPException):
                data = b""
            conn.close()
            raise ApiError(response.status, _error_message(response.status, response.reason, data))
        return conn, response

    # --- streams ------------------------------------------------------------------------------
    def events(self, filters: Mapping[str, Any], since: float | None = None) -> EventStream:
        """``GET /events``: decoded events until ``close()`` (from any thread) or the engine ends it.
        Connecting and the answer's headers are bounded by the transport's timeout; the stream
        itself waits as long as its owner keeps it open (an idle project sends nothing)."""
        conn, response = self._open("GET", "/events", {"since": since, "filters": dict(filters)}, None, self.timeout)
        conn.set_timeout(None)
        return EventStream(conn, response)

    def stats(self, container: str) -> EventStream:
        """``GET /containers/{id}/stats?stream=1``: one decoded sample per tick of the engine's stats
        collector (every second) until ``close()``; it ends by itself when the container is removed.
        Opening is bounded by the transport's timeout, the stream itself by its owner."""
        conn, response = self._open(
            "GET", quote_path("/containers/{0}/stats", container), {"stream": True}, None, self.timeout
        )
        conn.set_timeout(None)
        return EventStream(conn, response)

    def exec_output(self, exec_id: str, timeout: float) -> bytes | None:
        """``POST /exec/{id}/start`` (attached, no TTY): the combined output once the command ends,
        None if it outlives ``timeout`` seconds (the connection is closed; the command may run on).

        Without an ``Upgrade`` header the engine answers 200 and then writes the multiplexed raw
        stream until the command exits and closes the connection, which ``http.client`` reads as a
        body without length: read to EOF, then split the frames."""
        deadline = time.monotonic() + timeout
        conn, response = self._open(
            "POST", quote_path("/exec/{0}/start", exec_id), None, {"Detach": False, "Tty": False}, timeout
        )
        raw = bytearray()
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                conn.set_timeout(left)
                chunk = response.read1(65536)
                if not chunk:
                    break
                raw += chunk
        except TimeoutError:
            return None
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(_reason(exc)) from None
        finally:
            conn.close()
        return demultiplex(bytes(raw))


class EventStream:
    """Decoded engine events (or stats samples), one JSON object per line; ``close()`` from another thread ends the
    iteration at once (shutting the socket down wakes the blocked read)."""

    def __init__(self, conn: _UnixConnection, response: http.client.HTTPResponse) -> None:
        self._conn = conn
        self._response = response
        self._closed = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while not self._closed:
            try:
                line = self._response.readline()
            except Exception:  # noqa: BLE001 - closed under us (OSError, ValueError on a closed file...) or
                return  # the engine went away mid-chunk: the stream is over either way
            if not line:
                return
            line = line.strip()
            if line:
                yield json.loads(line)

    def close(self) -> None:
        self._closed = True
        sock = self._conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._conn.close()
