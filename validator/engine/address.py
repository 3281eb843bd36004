"""Where the Docker engine is: its address (``--host``, ``DOCKER_HOST``, the default socket) and
whether that is this machine. A leaf: lint and the check stages ask it without loading the engine's
client (validator/engine/docker_api.py)."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def engine_address(host: str | None = None) -> str:
    return host or os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET


def unix_socket_path(address: str) -> str | None:
    """The socket's path when ``address`` is a local unix socket (``unix:///path``; a bare ``unix://``
    is the default socket, as the SDK reads it), else None."""
    if address.startswith("unix://"):
        return address[len("unix://") :] or "/var/run/docker.sock"
    return None


def on_this_machine(address: str) -> bool:
    """Whether the engine at ``address`` runs on this machine: a unix socket, or TCP to loopback.
    Anything else (another host, SSH, an engine in another network namespace) is another machine as
    far as measurements go: this machine's memory, disk and ports say nothing about it."""
    if unix_socket_path(address) is not None:
        return True
    try:
        parts = urlsplit(address)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme not in ("tcp", "http", "https") or not host:
        return False  # ssh:// and anything unknown: reached through another machine
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: whatever it resolves to, it is not proven to be this machine
