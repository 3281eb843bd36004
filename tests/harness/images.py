"""A tiny local test image: Debian's static busybox imported as ``validator-test/busybox:latest``.

No registry is needed: the binary and its applet links are tarred and ``docker import``-ed (under
a second). busybox gives ``httpd`` (an HTTP server for health checks), ``wget``, ``sh`` and ``nc``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

BUSYBOX_IMAGE = "validator-test/busybox:latest"
APPLETS = (
    "sh",
    "httpd",
    "wget",
    "sleep",
    "cat",
    "echo",
    "true",
    "false",
    "nc",
    "ls",
    "env",
    "kill",
    "printf",
    "grep",
    "test",
    "date",
    "mkdir",
    "rm",
    "touch",
    "id",
    "ps",
    "yes",
    "head",
    "tail",
    "seq",
    "timeout",
)


def find_busybox() -> Path:
    for candidate in ("/bin/busybox", "/usr/bin/busybox"):
        path = Path(candidate)
        if path.is_file():
            out = subprocess.run([str(path), "--help"], capture_output=True, text=True)
            if out.returncode in (0, 1):
                return path
    raise RuntimeError("no static busybox found: apt-get install -y busybox-static")


def busybox_tar() -> bytes:
    binary = find_busybox().read_bytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in ("bin", "tmp", "www", "etc", "data"):
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        info = tarfile.TarInfo("bin/busybox")
        info.size = len(binary)
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(binary))
        for applet in APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
        for name, text in (("www/index.html", b"ok\n"), ("etc/passwd", b"root:x:0:0:root:/:/bin/sh\n")):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text))
    return buffer.getvalue()


def ensure_busybox_image(tag: str = BUSYBOX_IMAGE) -> str:
    """Import the image if it is missing; return its tag."""
    docker = shutil.which("docker")
    if docker is None:
        raise RuntimeError("the docker CLI is not installed")
    if subprocess.run([docker, "image", "inspect", tag], capture_output=True).returncode == 0:
        return tag
    result = subprocess.run(
        [docker, "import", "--change", "ENV PATH=/bin", "-", tag],
        input=busybox_tar(),
        capture_output=True,
        env={**os.environ},
    )
    if result.returncode != 0:
        raise RuntimeError(f"docker import failed: {result.stderr.decode(errors='replace').strip()}")
    return tag
