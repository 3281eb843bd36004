"""The one module that talks to Docker: short JSON calls through ``transport`` on a local unix
socket, everything else (and every call to a tcp:// or ssh:// engine) through the ``docker`` SDK.

Connects to ``--host``, else ``DOCKER_HOST``, else the local socket (unix, tcp and ssh all work);
maps errors to ``UnreachableError`` (exit 3) and ``EngineError``. Each JSON call is written once,
as a method, path and body given to ``Engine._request``, which sends it over the transport or the
SDK's session; the SDK itself (``Engine.api``) is imported and built only when something needs it,
so ``plan``, ``up`` and ``down`` on the local engine never pay for importing it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from validator import children
from validator.engine.address import DEFAULT_SOCKET, engine_address, unix_socket_path
from validator.engine.transport import ApiError, TransportError, UnixTransport, encode_query, quote_path
from validator.errors import EngineError, FatalError, UnreachableError
from validator.redact import clip

if TYPE_CHECKING:
    from validator.engine.compose_fields import CopiedFile

# what a tar stream of one file holds beyond its content: its headers and the padding to 512-byte blocks
_TAR_SLACK = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class FileBack:
    """A file as the engine's archive API reads it from a container (``Engine.read_file``)."""

    regular: bool
    mode: int  # permission bits
    uid: int
    gid: int
    content: bytes = field(repr=False)
    whole: bool  # ``content`` is all of it (a regular file no larger than the bound asked)


def host_address_for_containers(engine: Engine | None) -> str:
    """Where containers reach this host: the bridge gateway (``host-gateway``), else loopback when
    no engine is known (then only processes on this host connect back)."""
    return (engine.bridge_gateway() if engine is not None else None) or "127.0.0.1"


def _strip_none(body: Any) -> Any:
    """The SDK leaves out a JSON body's top-level None values (old engines refused null strings):
    both paths send the same body."""
    if isinstance(body, dict):
        return {key: value for key, value in body.items() if value is not None}
    return body


class Engine:
    """A connected Docker engine. Thread-safe for the calls the engine makes concurrently.

    ``transport`` is set for a local unix socket; ``api`` (the SDK's ``APIClient``) is built on
    first use when not given."""

    def __init__(
        self,
        api: Any = None,
        address: str = DEFAULT_SOCKET,
        transport: UnixTransport | None = None,
        timeout: float = 60.0,
        version: dict[str, Any] | None = None,
    ) -> None:
        self._api = api
        self.address = address
        self.transport = transport
        self.timeout = timeout
        self._version = version
        self._api_lock = threading.Lock()
        self._identity: str | None = None
        self._info: dict[str, Any] | None = None
        self._execs: dict[str, tuple[float, list[str]]] = {}  # exec sessions running: id -> (began, command)

    @classmethod
    def connect(cls, host: str | None = None, timeout: float = 60.0) -> Engine:
        address = engine_address(host)
        path = unix_socket_path(address)
        if path is not None:
            transport = UnixTransport(path, timeout)
            try:
                version = transport.negotiate()
            except (TransportError, ApiError) as exc:
                raise UnreachableError(f"cannot reach the Docker engine at {address}: {exc}") from None
            return cls(address=address, transport=transport, timeout=timeout, version=version)
        return cls(cls._sdk_client(address, timeout, "auto"), address, timeout=timeout)

    @staticmethod
    def _sdk_client(address: str, timeout: float, version: str) -> Any:
        import docker
        from docker.errors import DockerException

        try:
            return docker.APIClient(
                base_url=address,
                version=version,
                timeout=timeout,
                use_ssh_client=address.startswith("ssh://"),
                max_pool_size=32,
            )
        except DockerException as exc:
            raise UnreachableError(f"cannot reach the Docker engine at {address}: {_reason(exc)}") from None

    @property
    def api(self) -> Any:
        """The SDK's low-level client, for what the transport does not do (pull, build, logs,
        archives). Built on first use at the version the transport chose (no second /version)."""
        if self._api is None:
            with self._api_lock:
                if self._api is None:
                    self._api = self._sdk_client(self.address, self.timeout, self.api_version)
        return self._api

    @api.setter
    def api(self, value: Any) -> None:
        self._api = value

    # --- requests -----------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
        versioned: bool = True,
    ) -> Any:
        """One JSON call: the decoded answer, ``ApiError`` or ``TransportError`` on either path."""
        body = _strip_none(body)
        if self.transport is not None:
            return self.transport.request(method, path, params, body, timeout, versioned)
        return self._sdk_request(method, path, params, body, timeout, versioned)

    def _sdk_request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        timeout: float | None,
        versioned: bool,
    ) -> Any:
        import requests
        from docker.errors import APIError

        api = self.api
        # the path is quoted already; braces doubled so the SDK's str.format leaves it as it is
        url = api._url(path.replace("{", "{{").replace("}", "}}"), versioned_api=versioned)
        query = encode_query(params)
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        try:
            if method == "GET":
                response = api._get(url, params=query, **extra)
            elif method == "DELETE":
                response = api._delete(url, params=query, **extra)
            elif body is None:
                response = api._post(url, params=query, **extra)
            else:
                response = api._post_json(url, data=body, params=query, **extra)
            api._raise_for_status(response)
        except APIError as exc:
            raise ApiError(exc.status_code or 0, str(exc.explanation or exc).strip()) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise TransportError(_reason(exc)) from None
        if not response.content:
            return None
        if "json" in response.headers.get("Content-Type", ""):
            return response.json()
        return response.text

    def _get(self, what: str, template: str, *args: str, **params: Any) -> Any:
        return self.call(what, "GET", template, *args, params=params)

    # --- engine -------------------------------------------------------------------------------
    def version(self) -> dict[str, Any]:
        if self._version is None:
            with self.errors("read the engine version"):
                self._version = dict(self._request("GET", "/version", versioned=False))
        return self._version

    def info(self) -> dict[str, Any]:
        """``/info`` as the engine answers it now (its counts and state change: asked each time)."""
        return dict(self._get("read the engine information", "/info"))

    def first_info(self) -> dict[str, Any]:
        """``/info`` as first asked on this connection: for what cannot change while it lasts (the
        engine's ID and name). The lock and the launch records both key by the ID; asking once saves a
        round trip of every ``up``, a tenth of a second on an engine busy with fifty health checks."""
        if self._info is None:
            self._info = self.info()
        return self._info

    def identity(self) -> str:
        """``engine <ID> (<name>)``: which machine this is, from ``/info`` (asked once)."""
        if self._identity is None:
            info = self.first_info()
            self._identity = f"engine {info.get('ID') or '?'} ({info.get('Name') or '?'})"
        return self._identity

    @property
    def api_version(self) -> str:
        if self.transport is not None:
            return self.transport.api_version
        return str(self.api.api_version)

    def answers(self, timeout: float | None = None) -> bool:
        """Whether the engine still answers a ping within ``timeout`` (default: 10 s or less) — a
        stopping daemon closes its API first: asked on a new connection, as one kept alive from
        before would still be answered."""
        timeout = min(self.timeout, 10.0) if timeout is None else timeout
        try:
            if self.transport is not None:
                return bool(self.transport.request("GET", "/_ping", timeout=timeout, fresh=True) == "OK")
            return bool(self._request("GET", "/_ping", timeout=timeout) == "OK")
        except Exception:  # noqa: BLE001 - any failure means it does not answer
            return False

    def bridge_gateway(self) -> str | None:
        """The default bridge's gateway: where containers reach the host (``host-gateway``).

        Some engines leave ``Gateway`` out of the IPAM config; then it is the bridge's first
        address, which the ``docker0`` interface on a local engine confirms."""

        net = self._get("inspect the bridge network", "/networks/{0}", "bridge")
        for cfg in (net.get("IPAM") or {}).get("Config") or []:
            if cfg.get("Gateway"):
                return str(cfg["Gateway"]).split("/")[0]
            if cfg.get("Subnet"):
                subnet = ipaddress.ip_network(cfg["Subnet"], strict=False)
                if subnet.version == 4:
                    return str(next(subnet.hosts()))
        bridge = ((net.get("Options") or {}).get("com.docker.network.bridge.name")) or "docker0"
        try:
            import psutil

            for address in psutil.net_if_addrs().get(bridge, []):
                if address.family.name == "AF_INET":
                    return str(address.address)
        except (ImportError, OSError):
            pass
        return None

    def inspect_network(self, name: str) -> dict[str, Any]:
        return dict(self._get(f"inspect network {name}", "/networks/{0}", name))

    # --- listing ------------------------------------------------------------------------------
    def containers(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        # the SDK's defaults spelled out (limit -1, size and trunc_cmd 0): both paths send the same query
        answer = self._get(
            "list containers",
            "/containers/json",
            limit=-1,
            all=True,
            size=False,
            trunc_cmd=False,
            filters=filters or None,
        )
        return list(answer or [])

    def networks(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self._get("list networks", "/networks", filters=filters or None) or [])

    def volumes(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return list((self._get("list volumes", "/volumes", filters=filters or None) or {}).get("Volumes") or [])

    def inspect(self, container: str) -> dict[str, Any]:
        return dict(self._get(f"inspect container {container[:12]}", "/containers/{0}/json", container))

    def try_inspect(self, container: str) -> dict[str, Any] | None:
        what = f"inspect container {container[:12]}"
        found = self.call(what, "GET", "/containers/{0}/json", container, missing_ok=True)
        return dict(found) if found is not None else None

    # --- any call -----------------------------------------------------------------------------
    def call(
        self,
        what: str,
        method: str,
        template: str,
        *args: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        missing_ok: bool = False,
    ) -> Any:
        """One JSON call by path (``template`` with each of ``args`` quoted), its errors mapped as
        ``errors(what)`` maps them; ``missing_ok``: a 404 (an inspect or removal of what may be gone)
        is None."""
        with self.errors(what):
            try:
                return self._request(method, quote_path(template, *args), params, body)
            except ApiError as exc:
                if missing_ok and exc.status == 404:
                    return None
                raise

    # --- images -------------------------------------------------------------------------------
    def inspect_image(self, ref: str) -> dict[str, Any] | None:
        """The engine's image record for ``ref``; None when it has no such image."""
        found = self.call(f"inspect image {ref}", "GET", "/images/{0}/json", ref, missing_ok=True)
        return dict(found) if found is not None else None

    def image_id(self, ref: str) -> str | None:
        found = self.inspect_image(ref)
        return str(found["Id"]) if found is not None else None

    def image_tagged(self, ref: str) -> float | None:
        """When ``ref`` was last tagged here (pulled, built or tagged), as epoch seconds; None if unknown."""
        return last_tagged(self.inspect_image(ref))

    def pull(self, ref: str, progress: Callable[[str], None] | None = None) -> str:
        repo, tag = _split_ref(ref)
        last = 0.0
        try:
            for event in self.api.pull(repo, tag=tag, stream=True, decode=True):
                if "error" in event:
                    raise EngineError(f"cannot pull image {ref}: {event['error']}")
                now = time.monotonic()
                if progress and now - last > 0.5:
                    last = now
                    progress(f"{ref}: {event.get('status', '')} {event.get('progress', '')}".strip())
        except EngineError:
            raise
        except Exception as exc:  # noqa: BLE001
            self._raise(exc, f"pull image {ref}", pull=True)
        image = self.image_id(ref)
        if image is None:
            raise EngineError(f"cannot pull image {ref}: the engine reported no image afterwards")
        return image

    def build(
        self,
        context: str,
        tag: str,
        dockerfile: str | None,
        args: dict[str, str],
        target: str | None,
        labels: dict[str, str],
        progress: Callable[[str], None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> str:
        """``options``: further docker-py build arguments (cache_from, network_mode, nocache, pull,
        extra_hosts, shmsize, isolation, platform), ``labels`` merged under ours, and ``tags`` to add."""
        extra = dict(options or {})
        tags = extra.pop("tags", [])
        labels = {**extra.pop("labels", {}), **labels}
        try:
            for event in self.api.build(
                path=context,
                tag=tag,
                dockerfile=dockerfile,
                buildargs=args,
                target=target,
                labels=labels,
                rm=True,
                decode=True,
                **extra,
            ):
                if "error" in event:
                    raise EngineError(f"build of {tag} failed: {event['error'].strip()}")
                if progress and event.get("stream", "").strip():
                    progress(f"{tag}: {clip(event['stream'].strip(), 120)}")
        except EngineError:
            raise
        except Exception as exc:  # noqa: BLE001
            self._raise(exc, f"build image {tag}")
        image = self.image_id(tag)
        if image is None:
            raise EngineError(f"build of {tag} produced no image")
        for other in tags:
            repository, name = _split_ref(other)
            with self.errors(f"tag image {tag} as {other}"):
                self.api.tag(image, repository, name)
        return image

    # --- networks and volumes -----------------------------------------------------------------
    def create_network(
        self,
        name: str,
        labels: dict[str, str],
        driver: str | None,
        internal: bool,
        enable_ipv6: bool,
        options: dict[str, str],
        ipam: dict[str, Any] | None = None,
        attachable: bool = False,
        scope: str | None = None,
    ) -> None:
        """``scope``: ``swarm`` for a Swarm stack's overlay network (None: the engine's default).
        The body is the one the SDK's create_network writes: flags only when set, None values left out."""
        body: dict[str, Any] = {
            "Name": name,
            "Driver": driver,
            "Options": options or None,
            "IPAM": ipam,
            "CheckDuplicate": True,
            "Labels": labels,
        }
        if enable_ipv6:
            body["EnableIPv6"] = True
        if internal:
            body["Internal"] = True
        if attachable:
            body["Attachable"] = True
        if scope:
            body["Scope"] = scope
        with self.errors(f"create network {name}"):
            self._request("POST", "/networks/create", body=body)

    def remove_network(self, name: str) -> None:
        with self.errors(f"remove network {name}"):
            self._request("DELETE", quote_path("/networks/{0}", name))

    def create_volume(self, name: str, labels: dict[str, str], driver: str | None, options: dict[str, str]) -> None:
        body = {"Name": name, "Driver": driver, "DriverOpts": options or None, "Labels": labels}
        with self.errors(f"create volume {name}"):
            self._request("POST", "/volumes/create", body=body)

    def remove_volume(self, name: str) -> None:
        with self.errors(f"remove volume {name}"):
            self._request("DELETE", quote_path("/volumes/{0}", name))

    # --- containers ---------------------------------------------------------------------------
    def create_container(self, name: str, body: dict[str, Any], platform: str | None = None) -> str:
        with self.errors(f"create container {name}"):
            created = self._request("POST", "/containers/create", {"name": name, "platform": platform or None}, body)
        return str(created["Id"])

    def put_files(self, container: str, files: tuple[CopiedFile, ...]) -> None:
        """Copy files into a created container with their owner and mode (default root, 0444), and
        their parent folders, as Compose injects secrets and configs without Swarm."""
        import io
        import tarfile

        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            folders: set[str] = set()
            for item in files:
                parts = item.path.strip("/").split("/")
                for depth in range(1, len(parts)):
                    folder = "/".join(parts[:depth])
                    if folder not in folders:
                        folders.add(folder)
                        info = tarfile.TarInfo(folder)
                        info.type, info.mode = tarfile.DIRTYPE, 0o755
                        tar.addfile(info)
                info = tarfile.TarInfo("/".join(parts))
                info.size, info.mode, info.uid, info.gid = len(item.content), item.mode, item.uid, item.gid
                tar.addfile(info, io.BytesIO(item.content))
        with self.errors(f"copy files into container {container[:12]}"):
            self.api.put_archive(container, "/", buffer.getvalue())

    def read_file(self, container: str, path: str, limit: int) -> FileBack | None:
        """What the engine's archive API holds at ``path`` in the container (None: nothing there), its
        content read only up to ``limit`` bytes of a regular file (``whole`` says whether it was all).
        One call; the engine mounts the container's volumes and binds for it (a tmpfs it does not see:
        validator.spec.copied)."""
        import io
        import tarfile

        data = bytearray()
        with self.errors(f"read {path} back from container {container[:12]}"):
            try:
                chunks, _ = self.api.get_archive(container, path)
            except Exception as exc:  # a 404 is an answer; the rest is mapped by errors()
                if getattr(getattr(exc, "response", None), "status_code", None) == 404:
                    return None
                raise
            for chunk in chunks:
                data += chunk
                if len(data) > limit + _TAR_SLACK:
                    break  # more than was copied: said by ``whole``, never read on
        try:
            with tarfile.open(fileobj=io.BytesIO(bytes(data)), mode="r|") as tar:
                member = tar.next()
                if member is None:
                    return None
                content = b""
                if member.isfile():
                    handle = tar.extractfile(member)
                    content = handle.read(limit + 1) if handle is not None else b""
        except (tarfile.TarError, OSError):
            # a stream cut at the bound (a far larger file): the header said enough
            return FileBack(regular=True, mode=0, uid=-1, gid=-1, content=b"", whole=False)
        return FileBack(
            regular=member.isfile(),
            mode=member.mode & 0o7777,
            uid=member.uid,
            gid=member.gid,
            content=content[:limit],
            whole=member.isfile() and member.size <= limit,
        )

    def connect_network(
        self,
        container: str,
        network: str,
        aliases: list[str],
        address: dict[str, str] | None = None,
        links: list[str] | None = None,
    ) -> None:
        """``address``: a static ``ipv4`` and/or ``ipv6`` on that network; ``links``: ``CONTAINER:ALIAS``."""
        # the body of the SDK's connect_container_to_network: empty parts left out
        endpoint: dict[str, Any] = {}
        if aliases:
            endpoint["Aliases"] = aliases
        if links:
            endpoint["Links"] = sorted(links)
        ipam = {key: (address or {}).get(field) for key, field in (("IPv4Address", "ipv4"), ("IPv6Address", "ipv6"))}
        if any(ipam.values()):
            endpoint["IPAMConfig"] = {key: value for key, value in ipam.items() if value}
        with self.errors(f"connect container {container[:12]} to network {network}"):
            self._request(
                "POST",
                quote_path("/networks/{0}/connect", network),
                body={"Container": container, "EndpointConfig": endpoint},
            )

    def rename(self, container: str, name: str) -> None:
        """Give a container a new name (running or not; nothing else about it changes). Through the
        transport: a recreate takes its successor's name this way, and the SDK's first use in a process
        (its import) put 0.6-0.9 s of a loaded machine on the recreate's path."""
        self.call(
            f"rename container {container[:12]} to {name}",
            "POST",
            "/containers/{0}/rename",
            container,
            params={"name": name},
        )

    def start(self, container: str) -> None:
        with self.errors(f"start container {container[:12]}"):
            self._request("POST", quote_path("/containers/{0}/start", container))

    def stop(self, container: str, timeout: float | None) -> None:
        """Send the container's stop signal, SIGKILL after ``timeout`` seconds (None: its own StopTimeout)."""
        grace = None if timeout is None else int(max(0, round(timeout)))
        # the answer comes after the grace (and the kill): wait for it on top of the usual bound, as
        # the SDK does (10 s when the container's own StopTimeout applies: the SDK's figure too)
        with self.errors(f"stop container {container[:12]}"):
            self._request(
                "POST",
                quote_path("/containers/{0}/stop", container),
                {"t": grace},
                timeout=self.timeout + (10 if grace is None else grace),
            )

    def remove_container(self, container: str, volumes: bool = False) -> None:
        # already gone (404) is what removing wanted
        params = {"v": volumes, "link": False, "force": True}
        what = f"remove container {container[:12]}"
        self.call(what, "DELETE", "/containers/{0}", container, params=params, missing_ok=True)

    def logs(self, container: str, tail: int = 20) -> str:
        try:
            raw = self.api.logs(container, stdout=True, stderr=True, tail=tail)
        except Exception:  # noqa: BLE001 - logs are a courtesy in error messages
            return ""
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)

    def exec(
        self,
        container: str,
        command: list[str],
        user: str | None = None,
        timeout: float = 30.0,
        *,
        privileged: bool = False,
        working_dir: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """Run ``command`` in the container; (exit code, combined output). Bounded by ``timeout``:
        124 and a message when the command outlives it (it may run on in the container)."""
        what = f"exec in container {container[:12]}"
        body: dict[str, Any] = {
            "Container": container,
            "User": user or "",
            "Privileged": privileged,
            "Tty": False,
            "AttachStdin": False,
            "AttachStdout": True,
            "AttachStderr": True,
            "Cmd": command,
        }
        if working_dir:
            body["WorkingDir"] = working_dir
        if environment:
            body["Env"] = [f"{k}={v}" for k, v in environment.items()]
        with self.errors(what):
            exec_id = str(self._request("POST", quote_path("/containers/{0}/exec", container), body=body)["Id"])
            with self._exec_session(exec_id, command):
                if self.transport is not None:
                    output = self.transport.exec_output(exec_id, timeout)
                else:
                    output = self._sdk_exec_output(exec_id, timeout)
            if output is None:
                return 124, f"command did not finish within {timeout:g}s"
            code = self._request("GET", quote_path("/exec/{0}/json", exec_id)).get("ExitCode")
        return (int(code) if code is not None else -1), output.decode("utf-8", "replace")

    @contextmanager
    def _exec_session(self, exec_id: str, command: list[str]) -> Iterator[None]:
        """While an exec session runs, validator's stop (validator/children.py) can end it."""
        with self._api_lock:
            self._execs[exec_id] = (time.time(), list(command))
        children.add_stopper(self.stop_execs)
        try:
            yield
        finally:
            with self._api_lock:
                self._execs.pop(exec_id, None)
                idle = not self._execs
            if idle:
                children.remove_stopper(self.stop_execs)

    def stop_execs(self, grace: float) -> None:
        """End the exec sessions still running (an interrupted run). Docker has no call for it: on a
        local engine the session's process is signalled by the pid the engine reports — only once
        that pid is seen to run the session's command and to have started after it (validator may
        not share the engine's pid namespace). A remote engine's session runs on to its end."""
        import signal

        with self._api_lock:
            sessions = dict(self._execs)
        if self.transport is None or not sessions:
            return
        found = (self._exec_pid(exec_id, began, command) for exec_id, (began, command) in sessions.items())
        pids = [pid for pid in found if pid is not None]
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 0.0)):
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while pids and time.monotonic() < deadline:
                time.sleep(0.05)
                pids = [pid for pid in pids if _running(pid)]

    def _exec_pid(self, exec_id: str, began: float, command: list[str]) -> int | None:
        try:
            state = self._request("GET", quote_path("/exec/{0}/json", exec_id), timeout=2.0)
        except Exception:  # noqa: BLE001 - an engine that does not answer: nothing to signal by it
            return None
        pid = int(state.get("Pid") or 0) if state.get("Running") else 0
        if pid <= 0:
            return None
        import psutil

        try:
            proc = psutil.Process(pid)
            ours = proc.create_time() >= began - 1.0 and proc.cmdline() == command
        except psutil.Error:
            return None
        return pid if ours else None

    def _sdk_exec_output(self, exec_id: str, timeout: float) -> bytes | None:
        """The SDK's attached exec start (it hijacks the connection), bounded by a thread."""
        result: dict[str, Any] = {}

        def _run() -> None:
            try:
                result["output"] = self.api.exec_start(exec_id)
            except Exception as exc:  # noqa: BLE001 - raised in the caller's thread below
                result["error"] = exc

        worker = threading.Thread(target=_run, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            return None
        if "error" in result:
            raise result["error"]
        output = result.get("output", b"")
        return output if isinstance(output, bytes) else str(output).encode()

    def events(self, filters: dict[str, Any], since: float | None = None) -> Any:
        """A cancellable stream of decoded events (call ``.close()``, from any thread, to stop it)."""
        with self.errors("subscribe to engine events"):
            if self.transport is not None:
                return self.transport.events(filters, since=since)
            return self.api.events(decode=True, filters=filters, since=since)

    def stats(self, container: str) -> Any:
        """A cancellable stream of the container's decoded stats, one a second (``.close()`` from any
        thread stops it); it ends by itself when the container is removed."""
        with self.errors(f"read the stats of container {container[:12]}"):
            if self.transport is not None:
                return self.transport.stats(container)
            # as the SDK's own events() builds its stream: its stats() gives a generator that cannot be closed
            from docker.types.daemon import CancellableStream

            api = self.api
            response = api._get(api._url("/containers/{0}/stats", container), params={"stream": True}, stream=True)
            api._raise_for_status(response)
            return CancellableStream(api._stream_helper(response, decode=True), response)

    def find_log_line(self, container: str, pattern: re.Pattern[str], within: float) -> str | None:
        """The first line matching ``pattern`` that the container's *current start* wrote, following
        its log for at most ``within`` seconds. A container's log outlives its restarts: a line an
        earlier start wrote ("ready for connections" before the crash) says nothing of this one. This
        start's lines are those after the earlier start ended (``FinishedAt``, on the engine's own
        clock, as the log's timestamps are); not after ``StartedAt``, which the engine stamps once the
        process runs, a moment after its first line may be. A first start has no earlier one."""
        from validator.engine.stamps import engine_time

        state = self.inspect(container).get("State") or {}
        started, ended = engine_time(state.get("StartedAt")), engine_time(state.get("FinishedAt"))
        since: dict[str, Any] = {"since": ended} if started and ended and ended <= started else {}
        with self.errors(f"read the log of container {container[:12]}"):
            written: bytes = self.api.logs(container, stdout=True, stderr=True, tail=10000, **since)
        for line in written.decode("utf-8", "replace").splitlines():
            if pattern.search(line):
                return line
        deadline = time.monotonic() + within
        # followed from the same start (the lines read above come again, and match no better): no gap,
        # and no moment of validator's clock compared with the engine's
        stream = self.api.logs(container, stream=True, follow=True, **since)
        box: dict[str, str] = {}

        def _follow() -> None:
            buffer = b""
            for chunk in stream:
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for raw in lines:
                    line = raw.decode("utf-8", "replace")
                    if pattern.search(line):
                        box["line"] = line
                        return

        worker = threading.Thread(target=_follow, daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        stream.close()
        return box.get("line")

    # --- errors -------------------------------------------------------------------------------
    @contextmanager
    def errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except (EngineError, UnreachableError):
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to our hierarchy below
            self._raise(exc, what)

    def _raise(self, exc: BaseException, what: str, pull: bool = False) -> None:
        if isinstance(exc, ApiError):
            raise EngineError(f"cannot {what}: {exc.message}")
        if isinstance(exc, TransportError):
            raise UnreachableError(f"the Docker engine at {self.address} stopped answering ({what}): {exc}")
        if "docker" not in sys.modules:  # not the SDK's: nothing to map (and no reason to import it)
            raise exc
        import requests
        from docker.errors import APIError, DockerException

        if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            raise UnreachableError(f"the Docker engine at {self.address} stopped answering ({what}): {_reason(exc)}")
        if isinstance(exc, APIError):
            message = str(exc.explanation or exc).strip()
            if pull:
                message = (
                    f"{message} (no registry is reachable? build the image locally or use an overlay with local images)"
                )
            raise EngineError(f"cannot {what}: {message}")
        if isinstance(exc, DockerException):
            raise EngineError(f"cannot {what}: {_reason(exc)}")
        raise exc


class Connecting:
    """``Engine.connect(host)`` begun on a thread of its own, so the engine's ``/version`` and ``/info``
    round trips (a few ms on a quiet machine, 0.3 s measured beside fifty health checks a second)
    overlap the reading of the spec; ``engine()`` waits for it. Both backends connect this way (``Backend.connect``
    is ``Engine.connect``). A failure to connect is raised by ``engine()``, so a spec's own errors,
    found first, are still said first; a daemon thread, so a command that ends on a bad spec does not
    wait for an engine that does not answer."""

    def __init__(self, host: str | None) -> None:
        self._done = threading.Event()
        self._engine: Engine | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._connect, args=(host,), name="validator-connect", daemon=True).start()

    def _connect(self, host: str | None) -> None:
        try:
            engine = Engine.connect(host)
            # the engine's ID, which the project lock and the launch records key by (``first_info``),
            # asked now as well; unanswered, it is asked again where it is needed, which says why
            with contextlib.suppress(OSError, ValueError, FatalError):
                engine.first_info()
            self._engine = engine
        except BaseException as exc:  # noqa: BLE001 - handed to the caller of engine(), raised there
            self._error = exc
        finally:
            self._done.set()

    def engine(self) -> Engine:
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._engine is not None
        return self._engine


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def last_tagged(record: Mapping[str, Any] | None) -> float | None:
    """When the image of this record (``inspect_image``'s; None: no such image) was last tagged here
    (pulled, built or tagged), as epoch seconds; None if unknown."""
    if record is None:
        return None
    return _rfc3339(str((record.get("Metadata") or {}).get("LastTagTime") or ""))


def _rfc3339(text: str) -> float | None:
    """Epoch seconds of the engine's timestamps (nanosecond fractions, ``Z``); None for zero or junk."""
    from datetime import datetime

    match = _RFC3339.match(text)
    if not match or text.startswith("0001-"):
        return None
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    return datetime.fromisoformat(match.group(1) + zone).timestamp() + float(match.group(2) or 0)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    match = re.search(r"\(Caused by [A-Za-z]+\('?(.*?)'?\)\)", text)
    if match:
        text = match.group(1)
    return clip(text, 300)


def _split_ref(ref: str) -> tuple[str, str]:
    if "@" in ref:
        repo, digest = ref.split("@", 1)
        return repo, digest
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag
    return ref, "latest"
