"""The light transport: every JSON call the engine makes is the request the Docker SDK sends for it
(method, path, query as the engine reads it, body), on both of ``Engine``'s paths; errors worded as
before; the API version chosen as the SDK would; the wire behaviour against a fake engine on a
real unix socket (keep-alive, the engine's message, a version too old)."""

from __future__ import annotations

import json
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from validator.engine import labels as L
from validator.engine import transport as T
from validator.engine.desired import DesiredNetwork
from validator.engine.docker_api import Engine
from validator.errors import EngineError, UnreachableError
from validator.swarm import api as S
from validator.swarm.desired import network_body

CID = "0123456789abcdef" * 4
ANSWER = {"Id": CID, "ID": CID, "Name": "n", "ApiVersion": "1.41", "ExitCode": 0, "Volumes": []}
# Query parameters the engine reads as booleans (its BoolValue: "", "0", "no", "false", "none" are
# false, anything else true): the SDK writes some as True/False, the transport as 1/0.
BOOLEANS = {"all", "size", "trunc_cmd", "v", "link", "force", "stream"}
# Paths answered with a list (the Swarm listings), so the callers' loops over them run.
LISTS = ("/services", "/tasks", "/nodes", "/configs", "/secrets")


def answer(method: str, path: str) -> Any:
    if method == "GET" and path.split("?")[0].removeprefix("/v1.41") in LISTS:
        return [dict(ANSWER, Spec={"Name": "p-web"}, ServiceID="sid")]
    return dict(ANSWER)


def engine_bool(text: str) -> bool:
    return text.strip().lower() not in ("", "0", "no", "false", "none")


class Request:
    """One request as the engine sees it: method, path without the version prefix, query, body."""

    def __init__(self, method: str, url: str, body: Any) -> None:
        parts = urlsplit(url)
        self.method = method
        self.path = parts.path
        self.query = {key: values for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        raw = body.decode() if isinstance(body, bytes) else body
        self.body = json.loads(raw) if raw else None

    def same_as(self, other: Request) -> None:
        assert (self.method, self.path, self.body) == (other.method, other.path, other.body)
        assert set(self.query) == set(other.query), (self.query, other.query)
        for key, values in self.query.items():
            if key in BOOLEANS:
                assert [engine_bool(v) for v in values] == [engine_bool(v) for v in other.query[key]], key
            else:
                assert values == other.query[key], key


class RecordingTransport(T.UnixTransport):
    """The transport's own URL and body encoding, answering from memory instead of a socket."""

    def __init__(self) -> None:
        super().__init__("/nonexistent.sock")
        self.api_version = "1.41"
        self.sent: list[Request] = []
        self.fail: Exception | None = None

    def request(self, method, path, params=None, body=None, timeout=None, versioned=True, fresh=False):  # type: ignore[no-untyped-def]
        self.sent.append(Request(method, self.url(path, params, versioned), json.dumps(body) if body else None))
        if self.fail is not None:
            raise self.fail
        return "OK" if path == "/_ping" else answer(method, path)


@pytest.fixture
def sdk() -> Iterator[tuple[Any, list[Request]]]:
    """The SDK's APIClient at API 1.41 whose requests are recorded and answered from memory."""
    import docker
    import requests

    api = docker.APIClient(base_url="unix:///nonexistent.sock", version="1.41")
    sent: list[Request] = []

    def send(prepared: Any, **_: Any) -> Any:
        sent.append(Request(prepared.method, prepared.path_url, prepared.body))
        response = requests.Response()
        response.status_code, response.request, response.url = 200, prepared, prepared.url
        if prepared.path_url.endswith("/_ping"):
            response._content = b"OK"
        else:
            response._content = json.dumps(answer(prepared.method, prepared.path_url)).encode()
            response.headers["Content-Type"] = "application/json"
        return response

    api.send = send
    yield api, sent
    api.close()


SERVICE = {
    "Name": "p-web",
    "Labels": {"a": "b"},
    "TaskTemplate": {"ContainerSpec": {"Image": "x", "Args": None}},
    "Mode": {"Replicated": {"Replicas": 2}},
    "EndpointSpec": None,
}
OVERLAY = DesiredNetwork(key="front", name="p_front", driver=None, internal=True, options={"o": "v"}, labels={"x": "y"})
PLAIN_OVERLAY = DesiredNetwork(key="default", name="p_default")
LINKS = ["other-c:db"]
NET_BODY = {"Subnet": "10.9.0.0/24"}
BODY = {"Image": "x", "Cmd": ["a b"], "Hostname": None, "Tty": False}
CALLS: list[tuple[str, Callable[[Engine], Any], Callable[[Any], Any]]] = [
    (
        "containers",
        lambda e: e.containers({"label": ["a=b", "c"], "status": "running"}),
        lambda api: api.containers(all=True, filters={"label": ["a=b", "c"], "status": "running"}),
    ),
    ("containers unfiltered", lambda e: e.containers(), lambda api: api.containers(all=True, filters={})),
    ("networks", lambda e: e.networks({"label": ["p=q"]}), lambda api: api.networks(filters={"label": ["p=q"]})),
    ("volumes", lambda e: e.volumes({"dangling": True}), lambda api: api.volumes(filters={"dangling": True})),
    ("inspect", lambda e: e.inspect(CID), lambda api: api.inspect_container(CID)),
    ("try_inspect", lambda e: e.try_inspect("a name"), lambda api: api.inspect_container("a name")),
    ("image_id", lambda e: e.image_id("reg:5000/a/b:1"), lambda api: api.inspect_image("reg:5000/a/b:1")),
    ("image_tagged", lambda e: e.image_tagged("b@sha256:ab"), lambda api: api.inspect_image("b@sha256:ab")),
    ("bridge", lambda e: e.bridge_gateway(), lambda api: api.inspect_network("bridge")),
    ("info", lambda e: e.info(), lambda api: api.info()),
    ("ping", lambda e: e.answers(), lambda api: api.ping()),
    (
        "create_network",
        lambda e: e.create_network("p_front", {"l": "1"}, "bridge", True, True, {"o": "v"}, NET_BODY, True),
        lambda api: api.create_network(
            "p_front",
            driver="bridge",
            internal=True,
            enable_ipv6=True,
            labels={"l": "1"},
            options={"o": "v"},
            check_duplicate=True,
            ipam=NET_BODY,
            attachable=True,
        ),
    ),
    (
        "create_network plain",
        lambda e: e.create_network("p_x", {"l": "1"}, None, False, False, {}),
        lambda api: api.create_network(
            "p_x",
            driver=None,
            internal=False,
            enable_ipv6=False,
            labels={"l": "1"},
            options=None,
            check_duplicate=True,
            ipam=None,
            attachable=None,
        ),
    ),
    ("remove_network", lambda e: e.remove_network("p_front"), lambda api: api.remove_network("p_front")),
    (
        "create_volume",
        lambda e: e.create_volume("p_data", {"l": "1"}, "local", {"type": "tmpfs"}),
        lambda api: api.create_volume("p_data", driver="local", driver_opts={"type": "tmpfs"}, labels={"l": "1"}),
    ),
    (
        "create_volume plain",
        lambda e: e.create_volume("p_data", {"l": "1"}, None, {}),
        lambda api: api.create_volume("p_data", driver=None, driver_opts=None, labels={"l": "1"}),
    ),
    ("remove_volume", lambda e: e.remove_volume("p_data"), lambda api: api.remove_volume("p_data")),
    (
        "create_container",
        lambda e: e.create_container("p-web", BODY),
        lambda api: api.create_container_from_config(BODY, "p-web"),
    ),
    (
        "create_container platform",
        lambda e: e.create_container("p-web", {"Image": "x"}, "linux/arm64"),
        lambda api: api.create_container_from_config({"Image": "x"}, "p-web", "linux/arm64"),
    ),
    (
        "connect_network",
        lambda e: e.connect_network(CID, "p_front", ["web", "w"], {"ipv4": "10.9.0.5"}, LINKS),
        lambda api: api.connect_container_to_network(
            CID,
            "p_front",
            aliases=["web", "w"],
            ipv4_address="10.9.0.5",
            ipv6_address=None,
            links=[tuple(link.split(":", 1)) for link in LINKS],
        ),
    ),
    (
        "connect_network plain",
        lambda e: e.connect_network(CID, "p_front", []),
        lambda api: api.connect_container_to_network(
            CID, "p_front", aliases=None, ipv4_address=None, ipv6_address=None
        ),
    ),
    ("start", lambda e: e.start(CID), lambda api: api.start(CID)),
    ("stop", lambda e: e.stop(CID, 2.4), lambda api: api.stop(CID, timeout=2)),
    ("stop default", lambda e: e.stop(CID, None), lambda api: api.stop(CID)),
    ("remove", lambda e: e.remove_container(CID, True), lambda api: api.remove_container(CID, v=True, force=True)),
    ("remove keep", lambda e: e.remove_container(CID), lambda api: api.remove_container(CID, v=False, force=True)),
    ("inspect_image", lambda e: e.inspect_image("reg:5000/a/b:1"), lambda api: api.inspect_image("reg:5000/a/b:1")),
    # the Swarm backend's calls (validator/swarm/api.py)
    ("swarm info", lambda e: S.local_node_id(e), lambda api: api.info()),
    (
        "swarm services",
        lambda e: S.services(e, "p"),
        lambda api: api.services(filters={"label": f"{L.PROJECT}=p"}),
    ),
    (
        "swarm services named",
        lambda e: S.services_named(e, ["p-web", "p-db"]),
        lambda api: api.services(filters={"name": ["p-web", "p-db"]}),
    ),
    (  # before, the body went through the SDK's own JSON post: the request pinned is that one
        "swarm create service",
        lambda e: S.create_service(e, SERVICE),
        lambda api: api._result(api._post_json(api._url("/services/create"), data=SERVICE), True),
    ),
    (
        "swarm update service",
        lambda e: S.update_service(e, "sid/x", 7, SERVICE),
        lambda api: api._post_json(api._url("/services/{0}/update", "sid/x"), data=SERVICE, params={"version": 7}),
    ),
    ("swarm remove service", lambda e: S.remove_service(e, "sid"), lambda api: api.remove_service("sid")),
    ("swarm tasks", lambda e: S.tasks(e, ["a", "b"]), lambda api: api.tasks(filters={"service": ["a", "b"]})),
    ("swarm all tasks", lambda e: S.tasks_of_removed(e, ["sid"]), lambda api: api.tasks()),
    ("swarm nodes", lambda e: S.nodes(e), lambda api: api.nodes()),
    (
        "swarm create network",
        lambda e: S.create_network(e, network_body("p", OVERLAY)),
        lambda api: api.create_network(
            "p_front",
            driver="overlay",
            internal=True,
            options={"o": "v"},
            attachable=True,
            scope="swarm",
            labels=network_body("p", OVERLAY)["labels"],
            check_duplicate=True,
        ),
    ),
    (
        "swarm create network plain",
        lambda e: S.create_network(e, network_body("p", PLAIN_OVERLAY)),
        lambda api: api.create_network(
            "p_default",
            driver="overlay",
            internal=False,
            options=None,
            attachable=True,
            scope="swarm",
            labels=network_body("p", PLAIN_OVERLAY)["labels"],
            check_duplicate=True,
        ),
    ),
    (
        "swarm configs",
        lambda e: S.objects(e, "config", {"label": "a=b"}),
        lambda api: api.configs(filters={"label": "a=b"}),
    ),
    (
        "swarm secrets",
        lambda e: S.objects(e, "secret", {"label": ["a"]}),
        lambda api: api.secrets(filters={"label": ["a"]}),
    ),
    (
        "swarm create config",
        lambda e: S.create_object(e, "config", "p_c", b"data\n", {"l": "1"}),
        lambda api: api.create_config("p_c", b"data\n", labels={"l": "1"}),
    ),
    (
        "swarm create secret",
        lambda e: S.create_object(e, "secret", "p_s", b"\x00\xff", {"l": "1"}),
        lambda api: api.create_secret("p_s", b"\x00\xff", labels={"l": "1"}),
    ),
    ("swarm remove config", lambda e: S.remove_object(e, "config", "cid"), lambda api: api.remove_config("cid")),
    ("swarm remove secret", lambda e: S.remove_object(e, "secret", "sid"), lambda api: api.remove_secret("sid")),
]


@pytest.mark.parametrize("name, ours, theirs", CALLS, ids=[c[0] for c in CALLS])
def test_each_call_is_the_request_the_sdk_sends(sdk, name, ours, theirs):
    api, sdk_sent = sdk
    theirs(api)
    transport = RecordingTransport()
    ours(Engine(address="unix:///nonexistent.sock", transport=transport))
    (expected,) = sdk_sent
    (sent,) = transport.sent
    sent.same_as(expected)
    # the same Engine method over the SDK's session (a tcp:// engine) sends it too
    sdk_sent.clear()
    ours(Engine(api, "tcp://127.0.0.1:2375"))
    (again,) = sdk_sent
    again.same_as(expected)


def test_exec_create_and_events_are_encoded_as_the_sdk_does(sdk):
    api, sdk_sent = sdk
    api.exec_create(CID, ["sh", "-c", "exit 3"], user="", stdout=True, stderr=True)
    transport = RecordingTransport()
    engine = Engine(address="unix:///nonexistent.sock", transport=transport)
    transport.fail = T.ApiError(409, "container is not running")
    with pytest.raises(EngineError):
        engine.exec(CID, ["sh", "-c", "exit 3"])
    transport.sent[0].same_as(sdk_sent[0])

    # the event stream's query (the stream itself is exercised against the real engine)
    sdk_sent.clear()
    filters = {"type": ["container"], "label": ["p=1"]}
    api.events(decode=True, filters=filters, since=1700000000.5)
    Request("GET", transport.url("/events", {"since": 1700000000.5, "filters": filters}), None).same_as(sdk_sent[0])


def test_the_stats_stream_is_the_request_the_sdk_sends(sdk, monkeypatch):
    """The stats stream (engine/stats.py samples memory and CPU with it) on both of Engine's paths."""
    api, sdk_sent = sdk
    api.stats(CID, decode=True, stream=True)
    (expected,) = sdk_sent
    transport = RecordingTransport()
    opened: list[Request] = []

    class Opened:
        sock = None

        def set_timeout(self, timeout: float | None) -> None:
            pass

        def close(self) -> None:
            pass

    def record(method: str, path: str, params: Any, body: Any, timeout: float) -> Any:
        opened.append(Request(method, transport.url(path, params), None))
        return Opened(), None

    monkeypatch.setattr(transport, "_open", record)
    Engine(address="unix:///nonexistent.sock", transport=transport).stats(CID).close()
    opened[0].same_as(expected)
    sdk_sent.clear()
    Engine(api, "tcp://127.0.0.1:2375").stats(CID)
    (again,) = sdk_sent
    again.same_as(expected)


def test_query_encoding():
    assert T.encode_query({"a": None, "b": True, "c": False, "d": 3, "e": ["x", "y"]}) == "b=1&c=0&d=3&e=x&e=y"
    assert T.encode_query({"filters": {"label": "a=b", "dangling": True}}) == (
        "filters=%7B%22label%22%3A+%5B%22a%3Db%22%5D%2C+%22dangling%22%3A+%5B%22true%22%5D%7D"
    )
    assert T.quote_path("/images/{0}/json", "reg:5000/a b#c") == "/images/reg:5000/a%20b%23c/json"


def test_the_version_cap_is_the_sdks():
    import docker.constants

    assert docker.constants.DEFAULT_DOCKER_API_VERSION == T.MAX_API_VERSION
    assert docker.constants.MINIMUM_DOCKER_API_VERSION == T.MIN_API_VERSION
    assert T.choose_api_version("1.41") == "1.41"
    assert T.choose_api_version("1.45") == "1.45"
    assert T.choose_api_version("1.47") == T.MAX_API_VERSION
    assert T.choose_api_version("1.100") == T.MAX_API_VERSION  # numbers, not strings: 1.100 > 1.45


def test_errors_are_worded_as_before(sdk):
    transport = RecordingTransport()
    engine = Engine(address="unix:///run/x.sock", transport=transport)
    transport.fail = T.ApiError(409, 'Conflict. The container name "/p-web" is already in use')
    with pytest.raises(EngineError) as refused:
        engine.create_container("p-web", {"Image": "x"})
    assert str(refused.value) == (
        'cannot create container p-web: Conflict. The container name "/p-web" is already in use'
    )
    transport.fail = T.ApiError(404, "No such container: gone")
    assert engine.try_inspect("gone") is None and engine.image_id("gone") is None
    engine.remove_container("gone")  # a container already gone is what removing wanted
    with pytest.raises(EngineError, match=r"^cannot inspect container gone: No such container: gone$"):
        engine.inspect("gone")
    transport.fail = T.ApiError(500, "driver failed")
    with pytest.raises(EngineError, match=r"^cannot remove container 0123456789ab: driver failed$"):
        engine.remove_container(CID)
    with pytest.raises(EngineError, match=r"^cannot inspect container gone: driver failed$"):
        engine.try_inspect("gone")
    transport.fail = T.TransportError("timed out")
    with pytest.raises(UnreachableError) as lost:
        engine.start(CID)
    assert str(lost.value) == (
        "the Docker engine at unix:///run/x.sock stopped answering (start container 0123456789ab): timed out"
    )
    assert engine.answers() is False

    # the SDK's path gives the engine's message in the same words
    api, _ = sdk
    import requests

    def refuse(prepared: Any, **_: Any) -> Any:
        response = requests.Response()
        response.status_code, response.request, response.url = 409, prepared, prepared.url
        response._content = b'{"message":"network p_front has active endpoints"}'
        response.headers["Content-Type"] = "application/json"
        return response

    api.send = refuse
    with pytest.raises(EngineError, match=r"^cannot remove network p_front: network p_front has active endpoints$"):
        Engine(api, "tcp://127.0.0.1:2375").remove_network("p_front")


def test_demultiplex():
    frames = struct.pack(">BxxxL", 1, 3) + b"out" + struct.pack(">BxxxL", 2, 4) + b"err\n" + struct.pack(">BxxxL", 1, 0)
    assert T.demultiplex(frames + b"\x01\x00") == b"outerr\n"  # a torn header at the end is left out


# --- the wire, against a fake engine on a real unix socket -------------------------------------


class FakeEngine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, api_version: str) -> None:
        self.api_version = api_version
        self.connections = 0
        self.paths: list[str] = []
        super().__init__(path, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the engine
    server: FakeEngine

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def address_string(self) -> str:
        return "unix"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        if self.path == "/version":
            self._send(200, json.dumps({"ApiVersion": self.server.api_version}).encode())
        elif self.path.endswith("/containers/json?limit=-1&all=1&size=0&trunc_cmd=0"):
            self._send(200, b'[{"Id": "abc"}]')
        elif self.path.endswith("/_ping"):
            self._send(200, b"OK", "text/plain")
        elif self.path.endswith("/containers/abc/stats?stream=1"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for sample in ({"read": "a", "memory_stats": {"usage": 1}}, {"read": "b", "memory_stats": {}}):
                line = json.dumps(sample).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            self.wfile.write(b"0\r\n\r\n")
        elif "/containers/gone/" in self.path:
            self._send(404, b'{"message":"No such container: gone"}')
        else:
            self._send(500, b"plain trouble\n", "text/plain")


@pytest.fixture
def fake_engine(tmp_path: Path) -> Iterator[Callable[[str], FakeEngine]]:
    servers: list[FakeEngine] = []

    def start(api_version: str) -> FakeEngine:
        server = FakeEngine(str(tmp_path / f"engine{len(servers)}.sock"), api_version)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_version_keep_alive_and_messages_on_the_wire(fake_engine):
    server = fake_engine("1.47")
    transport = T.UnixTransport(server.server_address, timeout=5)  # type: ignore[arg-type]
    assert transport.negotiate()["ApiVersion"] == "1.47" and transport.api_version == "1.45"
    engine = Engine(address=f"unix://{server.server_address}", transport=transport)
    assert engine.containers() == [{"Id": "abc"}] and engine.answers() and engine.try_inspect("gone") is None
    assert server.paths[1:] == [
        "/v1.45/containers/json?limit=-1&all=1&size=0&trunc_cmd=0",
        "/v1.45/_ping",
        "/v1.45/containers/gone/json",
    ]
    # one kept-alive connection for this thread, and the ping's own (a stopping engine still answers
    # on connections it has: "does it answer?" asks on a new one)
    assert server.connections == 2
    assert engine.containers() == [{"Id": "abc"}] and server.connections == 2
    with pytest.raises(EngineError, match=r"^cannot list networks: plain trouble$"):
        engine.networks()


def test_a_stats_stream_on_the_wire(fake_engine):
    """Each sample is one JSON line of a chunked answer; the stream ends when the engine ends it (it
    does when the container is removed)."""
    server = fake_engine("1.41")
    transport = T.UnixTransport(server.server_address, timeout=5)  # type: ignore[arg-type]
    transport.negotiate()
    engine = Engine(address=f"unix://{server.server_address}", transport=transport)
    stream = engine.stats("abc")
    assert [sample["read"] for sample in stream] == ["a", "b"]
    stream.close()
    with pytest.raises(EngineError, match=r"^cannot read the stats of container gone: No such container: gone$"):
        engine.stats("gone")


def test_an_engine_too_old_or_absent_is_unreachable(fake_engine, tmp_path):
    server = fake_engine("1.20")
    with pytest.raises(UnreachableError, match=r"^cannot reach the Docker engine at unix://.*older than 1\.24"):
        Engine.connect(f"unix://{server.server_address}", timeout=5)
    with pytest.raises(UnreachableError) as missing:
        Engine.connect(f"unix://{tmp_path}/none.sock", timeout=5)
    assert str(missing.value) == (
        f"cannot reach the Docker engine at unix://{tmp_path}/none.sock: No such file or directory"
    )


def test_an_interrupt_mid_request_leaves_no_half_used_connection(fake_engine, monkeypatch):
    server = fake_engine("1.41")
    transport = T.UnixTransport(server.server_address, timeout=5)  # type: ignore[arg-type]
    transport.negotiate()
    real = T._UnixConnection.endheaders
    interrupts = [KeyboardInterrupt()]

    def interrupted(self: Any, *args: Any, **kwargs: Any) -> Any:
        if interrupts:
            raise interrupts.pop()  # the request begun, not sent: as a signal landing in between
        return real(self, *args, **kwargs)

    monkeypatch.setattr(T._UnixConnection, "endheaders", interrupted)
    with pytest.raises(KeyboardInterrupt):
        transport.request("GET", "/_ping")
    assert transport.request("GET", "/_ping") == "OK"
