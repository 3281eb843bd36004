"""A container registry on loopback, for tests that pull (tests/integration/test_pull_moves_tag.py).

No registry is reachable from these machines, but the Go module proxy serves distribution's own
registry (``github.com/distribution/distribution/v3``, the code Docker Hub's registry grew from).
``registry_binary`` builds its ``cmd/registry`` once with ``go install`` into
``~/.cache/validator/registry/<version>/`` (measured here on 2 cores shared with other sessions: 3 min
22 s with the module downloads under a load of about 30, 1 min 40 s from Go's warm module cache; later
runs reuse the binary). ``Registry`` runs it
on ``127.0.0.1:<free port>`` with a temporary storage folder: the engine treats registries on
127.0.0.0/8 as insecure (plain HTTP) by default, so nothing is configured on the engine.

``Registry.publish`` pushes an image as another machine would: it builds ``FROM`` the test busybox
with a ``/VERSION`` file, pushes it under the reference, then puts the engine's local tag back where it
was, so the engine learns of the new image only by pulling. ``Registry.close`` stops the registry and
removes every tag and image it made (images carry the ``LABEL`` below, for a run that died before
its cleanup).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import subprocess
import tarfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODULE = "github.com/distribution/distribution/v3/cmd/registry"
VERSION = "v3.0.0"
# seconds: the first build downloads ~100 modules and compiles (3 min 22 s measured on 2 busy cores); under
# pytest's own 900 s bound on the test that triggers it, so a hung build says why rather than being killed
BUILD_TIMEOUT = 780.0
START_TIMEOUT = 30.0
LABEL = "dev.validator.test-registry"  # on every image publish builds: its value is the registry's run


class RegistryUnavailable(Exception):
    """The registry cannot be built or started here (the reason is the message)."""


def cache_folder() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "validator" / "registry" / VERSION


def _go() -> str:
    found = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").is_file() else None)
    if found is None:
        raise RegistryUnavailable("no Go toolchain (go on PATH or /usr/local/go/bin/go) to build the registry")
    return found


def registry_binary() -> Path:
    """distribution's registry, built once into the cache folder (under a lock: parallel test runs or
    sessions build it once) and reused after."""
    folder = cache_folder()
    binary = folder / "registry"
    if binary.is_file():
        return binary
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.is_file():  # built by whoever held the lock before
            return binary
        scratch = folder / f".build-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "GOBIN": str(scratch), "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0"}
        try:
            done = subprocess.run(
                [_go(), "install", f"{MODULE}@{VERSION}"],
                env=env,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT,
            )
        except subprocess.TimeoutExpired as exc:
            raise RegistryUnavailable(f"building {MODULE}@{VERSION} took over {BUILD_TIMEOUT:g}s") from exc
        if done.returncode != 0 or not (scratch / "registry").is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise RegistryUnavailable(f"go install {MODULE}@{VERSION} failed: " + " | ".join(tail))
        (scratch / "registry").rename(binary)  # whole or not at all: a killed build leaves no binary
        shutil.rmtree(scratch, ignore_errors=True)
    return binary


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(kw_only=True)
class Published:
    ref: str  # what a spec names: <address>/<repository>:<tag>
    image_id: str  # the ID a pull of ``ref`` leaves the engine's tag on
    version: str  # the text of the image's /VERSION


@dataclass(kw_only=True)
class Registry:
    engine: Any  # validator's Engine (its ``api``: the SDK's low-level client)
    folder: Path
    base: str  # the image publish builds from
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    refs: set[str] = field(default_factory=set)  # every reference tagged on the engine
    images: set[str] = field(default_factory=set)  # every image ID built

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def ref(self, repository: str, tag: str = "latest") -> str:
        return f"{self.address}/{repository}:{tag}"

    # --- the process --------------------------------------------------------------------------------
    def start(self) -> Registry:
        binary = registry_binary()
        self.port = self.port or _free_port()
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        config = self.folder / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.folder / 'data'}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: '{self.address}', secret: '{self.run}'}}\n"
        )
        with (self.folder / "registry.log").open("wb") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [str(binary), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://{self.address}/v2/", timeout=2) as answer,
            ):
                if answer.status == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        log_text = (self.folder / "registry.log").read_text(errors="replace")[-1500:]
        raise RegistryUnavailable(f"the registry did not answer on {self.address}: {log_text}")

    def stop(self) -> None:
        """Stop the registry (a pull from it is then refused); ``close`` cleans up after."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        api = self.engine.api
        for ref in sorted(self.refs):
            with contextlib.suppress(Exception):
                api.remove_image(ref, noprune=True)
        for image in sorted(self.images):
            with contextlib.suppress(Exception):
                api.remove_image(image, force=True)

    # --- images -------------------------------------------------------------------------------------
    def publish(self, repository: str, version: str, tag: str = "latest") -> Published:
        """Build an image holding ``/VERSION`` = ``version``, push it as ``repository:tag``, and leave
        the engine's local tag where it was (the engine sees the new image only through a pull)."""
        ref = self.ref(repository, tag)
        before = self.local_id(ref)
        image = self._build(version)
        self.point_local(ref, image)
        name, _, tag_part = ref.rpartition(":")
        for event in self.engine.api.push(name, tag=tag_part, stream=True, decode=True):
            if "error" in event:
                raise RuntimeError(f"push of {ref} failed: {event['error']}")
        self.point_local(ref, before)
        return Published(ref=ref, image_id=image, version=version)

    def local_id(self, ref: str) -> str | None:
        """The image the engine's tag ``ref`` names, None when it has no such tag."""
        found = self.engine.inspect_image(ref)
        return str(found["Id"]) if found is not None else None

    def point_local(self, ref: str, image: str | None) -> None:
        """Put the engine's tag ``ref`` on ``image`` (None: remove the tag)."""
        name, _, tag = ref.rpartition(":")
        self.refs.add(ref)
        if image is None:
            with contextlib.suppress(Exception):
                self.engine.api.remove_image(ref, noprune=True)
            return
        self.engine.api.tag(image, name, tag, force=True)

    def _build(self, version: str) -> str:
        dockerfile = f"FROM {self.base}\nCOPY VERSION /VERSION\nLABEL {LABEL}={self.run}\n"
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for name, text in (("Dockerfile", dockerfile.encode()), ("VERSION", f"{version}\n".encode())):
                info = tarfile.TarInfo(name)
                info.size = len(text)
                tar.addfile(info, io.BytesIO(text))
        buffer.seek(0)
        image: str | None = None
        for event in self.engine.api.build(fileobj=buffer, custom_context=True, rm=True, forcerm=True, decode=True):
            if "error" in event:
                raise RuntimeError(f"building the test image failed: {event['error']}")
            image = (event.get("aux") or {}).get("ID") or image
        if image is None:
            raise RuntimeError("the engine reported no image for the test build")
        self.images.add(image)
        return image
