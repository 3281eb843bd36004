"""Compose port syntax: short ``[HOST_IP:][HOST:]CONTAINER[/PROTO]`` (ranges, ``[::1]``) and long form."""

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import field_validator, model_validator

from validator.redact import quoted
from validator.spec.types import ExtensibleModel, ShortForm

Protocol = Literal["tcp", "udp", "sctp"]
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def _range(text: str, what: str) -> tuple[int, int]:
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"invalid {what} {quoted(text)}: expected a number or a range such as 8000-8010")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    for port in (low, high):
        if not 1 <= port <= 65535:
            raise ValueError(f"{what} {port} is out of range (1-65535)")
    if high < low:
        raise ValueError(f"invalid {what} range {quoted(text)}: the end is below the start")
    return low, high


class Port(ShortForm, ExtensibleModel):
    """One port mapping (the long syntax; the short syntax is parsed into it)."""

    short_forms: ClassVar[list[dict[str, Any]]] = [{"type": "string"}, {"type": "integer"}]

    target: int | str
    published: int | str | None = None
    host_ip: str | None = None
    protocol: Protocol = "tcp"
    name: str | None = None
    app_protocol: str | None = None
    mode: Literal["host", "ingress"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_syntax(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("a port must be a number, a string or a mapping")
        if isinstance(value, int):
            return {"target": value}
        if isinstance(value, str):
            return parse_short_port(value)
        return value

    @field_validator("host_ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            ipaddress.ip_address(value.strip("[]"))
        except ValueError:
            raise ValueError(f"invalid host IP {quoted(value)}") from None
        return value.strip("[]")

    @model_validator(mode="after")
    def _ranges(self) -> "Port":
        target = _range(str(self.target), "container port")
        if self.published is not None and str(self.published) != "":
            published = _range(str(self.published), "host port")
            if target[0] != target[1] and published[1] - published[0] != target[1] - target[0]:
                raise ValueError(f"port ranges differ in size: host {self.published} vs container {self.target}")
        return self

    def bindings(self) -> "list[PortBinding]":
        """Expanded one-to-one bindings; a host range mapped to one container port stays a range."""
        t_low, t_high = _range(str(self.target), "container port")
        if self.published is None or str(self.published) == "":
            return [
                PortBinding(host_ip=self.host_ip, host_port=None, container_port=port, protocol=self.protocol)
                for port in range(t_low, t_high + 1)
            ]
        p_low, p_high = _range(str(self.published), "host port")
        if t_low == t_high and p_low != p_high:
            return [
                PortBinding(
                    host_ip=self.host_ip, host_port=f"{p_low}-{p_high}", container_port=t_low, protocol=self.protocol
                )
            ]
        return [
            PortBinding(
                host_ip=self.host_ip, host_port=str(p_low + i), container_port=t_low + i, protocol=self.protocol
            )
            for i in range(t_high - t_low + 1)
        ]


@dataclass(frozen=True, order=True, kw_only=True)
class PortBinding:
    host_ip: str | None
    host_port: str | None  # a number, a range, or None for an ephemeral port
    container_port: int
    protocol: str

    @property
    def fixed_host_port(self) -> int | None:
        return int(self.host_port) if self.host_port and self.host_port.isdigit() else None

    def __str__(self) -> str:
        ip = (f"[{self.host_ip}]:" if ":" in self.host_ip else f"{self.host_ip}:") if self.host_ip else ""
        host = f"{self.host_port}:" if self.host_port else ""
        if ip and not host:
            host = ":"
        return f"{ip}{host}{self.container_port}/{self.protocol}"

    @classmethod
    def parse(cls, text: str) -> "PortBinding":
        """The inverse of ``str()``: ``[::1]:53:53/udp``, ``127.0.0.1:8080:80/tcp``, ``9090/tcp``."""
        spec, protocol = text.rsplit("/", 1)
        host_ip: str | None = None
        if spec.startswith("["):
            end = spec.index("]")
            host_ip, spec = spec[1:end], spec[end + 2 :]
        parts = spec.split(":")
        if host_ip is None and len(parts) == 3:
            host_ip, parts = parts[0], parts[1:]
        host_port = parts[0] if len(parts) == 2 and parts[0] else None
        return cls(host_ip=host_ip or None, host_port=host_port, container_port=int(parts[-1]), protocol=protocol)


def parse_short_port(text: str) -> dict[str, Any]:
    spec = text.strip()
    protocol = "tcp"
    if "/" in spec:
        spec, protocol = spec.rsplit("/", 1)
        if protocol not in ("tcp", "udp", "sctp"):
            raise ValueError(f"invalid protocol {quoted(protocol)} in port {quoted(text)}: use tcp, udp or sctp")
    host_ip: str | None = None
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0 or end + 1 >= len(spec) or spec[end + 1] != ":":
            raise ValueError(f"invalid port {quoted(text)}: an IPv6 host address is written [::1]:HOST:CONTAINER")
        host_ip, spec = spec[1:end], spec[end + 2 :]
    parts = spec.split(":")
    if host_ip is None and len(parts) == 3:
        host_ip, parts = parts[0], parts[1:]
    if len(parts) > 2 or not all(parts[-1:]):
        raise ValueError(f"invalid port {quoted(text)}: expected [HOST_IP:][HOST:]CONTAINER[/PROTOCOL]")
    target = parts[-1]
    published = parts[0] if len(parts) == 2 and parts[0] else None
    if not _RANGE.match(target) or (published is not None and not _RANGE.match(published)):
        raise ValueError(f"invalid port {quoted(text)}: ports are numbers or ranges such as 8000-8010")
    return {"target": target, "published": published, "host_ip": host_ip, "protocol": protocol}
