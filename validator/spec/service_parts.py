"""Small records of a service's Compose fields: ulimits, secret and config references, devices,
block-I/O limits, logging and device requests (each with Compose's short and long forms)."""

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from validator.spec.types import ByteSize, ExtensibleModel, Model, ShortForm, TextMap


class Ulimit(ShortForm, ExtensibleModel):
    """``nofile: 1024`` (soft and hard alike) or ``nofile: {soft: 1024, hard: 2048}``."""

    short_forms: ClassVar[list[dict[str, Any]]] = [{"type": "integer"}]

    soft: int
    hard: int

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"soft": value, "hard": value}
        return value


class ServiceFile(ShortForm, ExtensibleModel):
    """A service's ``secrets`` or ``configs`` entry: a name, or ``{source, target, uid, gid, mode}``."""

    source: str
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: int | str | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"source": value} if isinstance(value, str) else value


class Device(ShortForm, ExtensibleModel):
    """``/dev/x[:/dev/y[:rwm]]`` or ``{source, target, permissions}``."""

    source: str
    target: str | None = None
    permissions: str = "rwm"

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        parts = value.split(":")
        if len(parts) > 3 or not parts[0]:
            raise ValueError(f"invalid device {value!r}: expected HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]")
        if len(parts) == 2 and re.fullmatch(r"[rwm]+", parts[1]):
            return {"source": parts[0], "permissions": parts[1]}
        return dict(zip(("source", "target", "permissions"), parts, strict=False))

    @model_validator(mode="after")
    def _check(self) -> "Device":
        if not re.fullmatch(r"[rwm]{1,3}", self.permissions):
            raise ValueError(f"invalid device permissions {self.permissions!r}: use letters of rwm")
        return self


class BlkioWeight(ExtensibleModel):
    path: str
    weight: Annotated[int, Field(ge=10, le=1000)]


class BlkioRate(ExtensibleModel):
    path: str
    rate: ByteSize  # bytes per second (a size such as 12mb) or, for the iops lists, operations


class BlkioConfig(ExtensibleModel):
    weight: Annotated[int, Field(ge=10, le=1000)] | None = None
    weight_device: list[BlkioWeight] = Field(default_factory=list)
    device_read_bps: list[BlkioRate] = Field(default_factory=list)
    device_write_bps: list[BlkioRate] = Field(default_factory=list)
    device_read_iops: list[BlkioRate] = Field(default_factory=list)
    device_write_iops: list[BlkioRate] = Field(default_factory=list)


class Logging(ExtensibleModel):
    driver: str | None = None
    options: TextMap = Field(default_factory=dict)


class DeviceRequest(Model):
    capabilities: list[str] = Field(default_factory=list)
    driver: str | None = None
    count: int | Literal["all"] | None = None
    device_ids: list[str] = Field(default_factory=list)
    options: TextMap = Field(default_factory=dict)
