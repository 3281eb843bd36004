"""The one module that talks to Docker (through the ``docker`` SDK's low-level API).

Connects to ``--host``, else ``DOCKER_HOST``, else the local socket (unix, tcp and ssh all work);
maps the SDK's errors to ``UnreachableError`` (exit 3) and ``EngineError``.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from validator.errors import EngineError, UnreachableError

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def host_address_for_containers(engine: Engine | None) -> str:
    """Where containers reach this host: the bridge gateway (``host-gateway``), else loopback when
    no engine is known (then only processes on this host connect back)."""
    return (engine.bridge_gateway() if engine is not None else None) or "127.0.0.1"


def engine_address(host: str | None = None) -> str:
    return host or os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET


class Engine:
    """A connected Docker engine. Thread-safe for the calls the engine makes concurrently."""

    def __init__(self, api: Any, address: str) -> None:
        self.api = api
        self.address = address
        self._version: dict[str, Any] | None = None

    @classmethod
    def connect(cls, host: str | None = None, timeout: float = 60.0) -> Engine:
        import docker
        from docker.errors import DockerException

        address = engine_address(host)
        try:
            api = docker.APIClient(
                base_url=address,
                version="auto",
                timeout=timeout,
                use_ssh_client=address.startswith("ssh://"),
                max_pool_size=32,
            )
        except DockerException as exc:
            raise UnreachableError(f"cannot reach the Docker engine at {address}: {_reason(exc)}") from None
        return cls(api, address)

    # --- engine -------------------------------------------------------------------------------
    def version(self) -> dict[str, Any]:
        if self._version is None:
            with self.errors("read the engine version"):
                self._version = dict(self.api.version())
        return self._version

    @property
    def api_version(self) -> str:
        return str(self.api.api_version)

    def answers(self) -> bool:
        """Whether the engine still answers a ping (a stopping daemon closes its API first)."""
        try:
            return bool(self.api.ping())
        except Exception:  # noqa: BLE001 - any failure means it does not answer
            return False

    def bridge_gateway(self) -> str | None:
        """The default bridge's gateway: where containers reach the host (``host-gateway``).

        Some engines leave ``Gateway`` out of the IPAM config; then it is the bridge's first
        address, which the ``docker0`` interface on a local engine confirms."""
        import ipaddress

        with self.errors("inspect the bridge network"):
            net = self.api.inspect_network("bridge")
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

    # --- listing ------------------------------------------------------------------------------
    def containers(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.errors("list containers"):
            return list(self.api.containers(all=True, filters=filters or {}))

    def networks(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.errors("list networks"):
            return list(self.api.networks(filters=filters or {}))

    def volumes(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.errors("list volumes"):
            return list((self.api.volumes(filters=filters or {}) or {}).get("Volumes") or [])

    def inspect(self, container: str) -> dict[str, Any]:
        with self.errors(f"inspect container {container[:12]}"):
            return dict(self.api.inspect_container(container))

    def try_inspect(self, container: str) -> dict[str, Any] | None:
        from docker.errors import NotFound

        try:
            return dict(self.api.inspect_container(container))
        except NotFound:
            return None
        except Exception as exc:
            self._raise(exc, f"inspect container {container[:12]}")
            raise

    # --- images -------------------------------------------------------------------------------
    def image_id(self, ref: str) -> str | None:
        from docker.errors import ImageNotFound, NotFound

        try:
            return str(self.api.inspect_image(ref)["Id"])
        except (ImageNotFound, NotFound):
            return None
        except Exception as exc:
            self._raise(exc, f"inspect image {ref}")
            raise

    def image_tagged(self, ref: str) -> float | None:
        """When ``ref`` was last tagged here (pulled, built or tagged), as epoch seconds; None if unknown."""
        from docker.errors import ImageNotFound, NotFound

        try:
            stamp = str((self.api.inspect_image(ref).get("Metadata") or {}).get("LastTagTime") or "")
        except (ImageNotFound, NotFound):
            return None
        except Exception as exc:
            self._raise(exc, f"inspect image {ref}")
            raise
        return _rfc3339(stamp)

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
                    progress(f"{tag}: {event['stream'].strip()[:120]}")
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
    ) -> None:
        with self.errors(f"create network {name}"):
            self.api.create_network(
                name,
                driver=driver,
                internal=internal,
                enable_ipv6=enable_ipv6,
                labels=labels,
                options=options or None,
                check_duplicate=True,
                ipam=ipam,
                attachable=attachable or None,
            )

    def remove_network(self, name: str) -> None:
        with self.errors(f"remove network {name}"):
            self.api.remove_network(name)

    def create_volume(self, name: str, labels: dict[str, str], driver: str | None, options: dict[str, str]) -> None:
        with self.errors(f"create volume {name}"):
            self.api.create_volume(name, driver=driver, driver_opts=options or None, labels=labels)

    def remove_volume(self, name: str) -> None:
        with self.errors(f"remove volume {name}"):
            self.api.remove_volume(name)

    # --- containers ---------------------------------------------------------------------------
    def create_container(self, name: str, body: dict[str, Any], platform: str | None = None) -> str:
        with self.errors(f"create container {name}"):
            return str(self.api.create_container_from_config(body, name, platform)["Id"])

    def put_files(self, container: str, files: tuple[tuple[str, str], ...]) -> None:
        """Copy (absolute path, text) files into a created container, read-only for all (0444, root),
        with their parent folders, as Compose injects secrets and configs without Swarm."""
        import io
        import tarfile

        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            folders: set[str] = set()
            for path, text in files:
                parts = path.strip("/").split("/")
                for depth in range(1, len(parts)):
                    folder = "/".join(parts[:depth])
                    if folder not in folders:
                        folders.add(folder)
                        info = tarfile.TarInfo(folder)
                        info.type, info.mode = tarfile.DIRTYPE, 0o755
                        tar.addfile(info)
                data = text.encode()
                info = tarfile.TarInfo("/".join(parts))
                info.size, info.mode = len(data), 0o444
                tar.addfile(info, io.BytesIO(data))
        with self.errors(f"copy files into container {container[:12]}"):
            self.api.put_archive(container, "/", buffer.getvalue())

    def connect_network(
        self,
        container: str,
        network: str,
        aliases: list[str],
        address: dict[str, str] | None = None,
        links: list[str] | None = None,
    ) -> None:
        """``address``: a static ``ipv4`` and/or ``ipv6`` on that network; ``links``: ``CONTAINER:ALIAS``."""
        with self.errors(f"connect container {container[:12]} to network {network}"):
            self.api.connect_container_to_network(
                container,
                network,
                aliases=aliases or None,
                ipv4_address=(address or {}).get("ipv4"),
                ipv6_address=(address or {}).get("ipv6"),
                links=[tuple(link.split(":", 1)) for link in links] if links else None,
            )

    def rename(self, container: str, name: str) -> None:
        """Give a container a new name (running or not; nothing else about it changes)."""
        with self.errors(f"rename container {container[:12]} to {name}"):
            self.api.rename(container, name)

    def start(self, container: str) -> None:
        with self.errors(f"start container {container[:12]}"):
            self.api.start(container)

    def stop(self, container: str, timeout: float | None) -> None:
        """Send the container's stop signal, SIGKILL after ``timeout`` seconds (None: its own StopTimeout)."""
        with self.errors(f"stop container {container[:12]}"):
            if timeout is None:
                self.api.stop(container)
            else:
                self.api.stop(container, timeout=int(max(0, round(timeout))))

    def remove_container(self, container: str, volumes: bool = False) -> None:
        from docker.errors import NotFound

        try:
            self.api.remove_container(container, v=volumes, force=True)
        except NotFound:
            return
        except Exception as exc:  # noqa: BLE001
            self._raise(exc, f"remove container {container[:12]}")

    def logs(self, container: str, tail: int = 20) -> str:
        try:
            raw = self.api.logs(container, stdout=True, stderr=True, tail=tail)
        except Exception:  # noqa: BLE001 - logs are a courtesy in error messages
            return ""
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)

    def exec(
        self, container: str, command: list[str], user: str | None = None, timeout: float = 30.0
    ) -> tuple[int, str]:
        """Run ``command`` in the container; (exit code, combined output). Bounded by ``timeout``."""
        with self.errors(f"exec in container {container[:12]}"):
            exec_id = self.api.exec_create(container, command, user=user or "", stdout=True, stderr=True)["Id"]
        result: dict[str, Any] = {}

        def _run() -> None:
            try:
                result["output"] = self.api.exec_start(exec_id)
            except Exception as exc:  # noqa: BLE001
                result["error"] = exc

        worker = threading.Thread(target=_run, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            return 124, f"command did not finish within {timeout:g}s"
        if "error" in result:
            self._raise(result["error"], f"exec in container {container[:12]}")
        code = self.api.exec_inspect(exec_id).get("ExitCode")
        output = result.get("output", b"")
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
        return (int(code) if code is not None else -1), text

    def events(self, filters: dict[str, Any], since: float | None = None) -> Any:
        """A cancellable stream of decoded events (call ``.close()`` to stop it)."""
        with self.errors("subscribe to engine events"):
            return self.api.events(decode=True, filters=filters, since=since)

    def find_log_line(self, container: str, pattern: re.Pattern[str], within: float) -> str | None:
        """The first log line matching ``pattern``, following the log for at most ``within`` seconds."""
        for line in self.logs(container, tail=10000).splitlines():
            if pattern.search(line):
                return line
        deadline = time.monotonic() + within
        stream = self.api.logs(container, stream=True, follow=True, since=int(time.time()))
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


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


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
    return text[:300]


def _split_ref(ref: str) -> tuple[str, str]:
    if "@" in ref:
        repo, digest = ref.split("@", 1)
        return repo, digest
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag
    return ref, "latest"
