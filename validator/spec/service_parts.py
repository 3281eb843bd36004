"""Small records of a service's Compose fields: ulimits, secret and config references, devices,
block-I/O limits, logging and device requests (each with Compose's short and long forms)."""

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from validator.redact import quoted
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


def _file_mode(value: Any) -> Any:
    # YAML 1.2 (this loader, editors) reads 0440 as decimal 440 and YAML 1.1 as octal 288; an
    # octal string ("0440", "0o440") means the same everywhere, as does the number 0o440.
    if isinstance(value, str):
        digits = value.lower().removeprefix("0o")
        if not digits or any(c not in "01234567" for c in digits):
            raise ValueError(f"file mode {quoted(value)} is not an octal number like '0440'")
        return int(digits, 8)
    return value


FileMode = Annotated[
    int,
    Field(ge=0, le=0o7777),
    BeforeValidator(_file_mode),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^(0o)?[0-7]+$"}]}),
]


class ServiceFile(ShortForm, ExtensibleModel):
    """A service's ``secrets`` or ``configs`` entry: a name, or ``{source, target, uid, gid, mode}``."""

    source: str
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: FileMode | None = None

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
            raise ValueError(f"invalid device {quoted(value)}: expected HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]")
        if len(parts) == 2 and re.fullmatch(r"[rwm]+", parts[1]):
            return {"source": parts[0], "permissions": parts[1]}
        return dict(zip(("source", "target", "permissions"), parts, strict=False))

    @model_validator(mode="after")
    def _check(self) -> "Device":
        if not re.fullmatch(r"[rwm]{1,3}", self.permissions):
            raise ValueError(f"invalid device permissions {quoted(self.permissions)}: use letters of rwm")
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
