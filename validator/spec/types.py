"""Annotated field types shared by the spec model: durations, sizes, commands, specifiers, names.

Each accepts the short forms people write and normalises them; its JSON Schema describes the input.
"""

import re
import shlex
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from validator.redact import described, quoted
from validator.units import parse_duration, parse_size
from validator.versions import parse_specifier


class Model(BaseModel):
    """Base of every spec model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class ShortForm:
    """Mixin for models that also accept a short form (``"8080:80"`` for a port): the JSON Schema
    offers ``short_forms`` beside the object."""

    short_forms: ClassVar[list[dict[str, Any]]] = [{"type": "string"}]

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        return {"anyOf": [*cls.short_forms, schema]}


class ExtensibleModel(Model):
    """A model that, like Compose, tolerates ``x-*`` extension keys (and drops them)."""

    model_config = ConfigDict(extra="forbid", defer_build=True, json_schema_extra={"patternProperties": {"^x-": {}}})

    @model_validator(mode="before")
    @classmethod
    def _drop_extensions(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(isinstance(k, str) and k.startswith("x-") for k in data):
            return {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
        return data


def _duration(value: Any) -> float:
    return parse_duration(value)


def _size(value: Any) -> int:
    return parse_size(value)


def _command(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            # not quoted: a command line is where a password is passed, and the place is in the finding
            raise ValueError(f"cannot split the command as a shell would: {exc} (a quote is never closed?)") from None
    return value


def _specifier(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("expected a version specifier such as '>=2.0' or '^3.5.0'")
    parse_specifier(value)  # packaging is imported by this call only (validator/versions.py)
    return value


_DURATION_SCHEMA = {
    "anyOf": [
        {
            "type": "string",
            "pattern": r"^\s*(\d+(\.\d+)?)((ns|us|µs|ms|s|m|h|d)(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))*)?\s*$",
        },
        {"type": "number", "minimum": 0},
    ],
    "description": "A duration: '30s', '1m30s', '500ms', or a number of seconds.",
}
_SIZE_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*([bBkKmMgGtT]|[kKmMgGtT][iI]?[bB])?\s*$"},
        {"type": "integer", "minimum": 0},
    ],
    "description": "A size: '512m', '256mb', '2g' (binary, as Compose and Docker read them), '256MiB', or bytes.",
}

Duration = Annotated[float, BeforeValidator(_duration), WithJsonSchema(_DURATION_SCHEMA)]
ByteSize = Annotated[int, BeforeValidator(_size), WithJsonSchema(_SIZE_SCHEMA)]


def _swap(value: Any) -> int:
    # Compose and Docker read -1 as "unlimited swap"; every other negative size is an error.
    if value in (-1, "-1"):
        return -1
    return parse_size(value)


SwapLimit = Annotated[
    int,
    BeforeValidator(_swap),
    WithJsonSchema({"anyOf": [_SIZE_SCHEMA, {"enum": [-1, "-1"]}], "description": "A size, or -1 for unlimited."}),
]
Command = Annotated[
    list[str],
    BeforeValidator(_command),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]
Specifier = Annotated[
    str,
    BeforeValidator(_specifier),
    WithJsonSchema({"type": "string", "description": "PEP 440 ('>=3.5,<3.6') or Poetry ('^3.5.0') specifier."}),
]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _name(value: Any) -> Any:
    if isinstance(value, str) and not _NAME.match(value):
        raise ValueError(
            f"invalid name {quoted(value)}: use letters, digits, '.', '-' and '_', "
            "starting with a letter or digit (at most 63)"
        )
    return value


def _project(value: Any) -> Any:
    if isinstance(value, str) and not _PROJECT.match(value):
        raise ValueError(
            f"invalid project name {quoted(value)}: use lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    return value


Name = Annotated[str, BeforeValidator(_name), WithJsonSchema({"type": "string", "pattern": _NAME.pattern})]
ProjectName = Annotated[str, BeforeValidator(_project), WithJsonSchema({"type": "string", "pattern": _PROJECT.pattern})]
PortNumber = Annotated[int, Field(ge=1, le=65535)]
Cpus = Annotated[
    float,
    Field(gt=0),
    WithJsonSchema(
        {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "pattern": r"^\d+(\.\d+)?$"}]}
    ),
]


def scalar_text(value: Any) -> Any:
    """Compose-style: numbers and booleans in environment/labels become their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _labels(value: Any) -> Any:
    out = key_value_list(value, "label")
    if isinstance(out, dict):
        return {k: "" if v is None else v for k, v in out.items()}
    return out


def _text_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: scalar_text(v) for k, v in value.items()}
    return value


KV_SCHEMA = {
    "anyOf": [
        {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
        {"type": "array", "items": {"type": "string"}},
    ]
}
Labels = Annotated[dict[str, str], BeforeValidator(_labels), WithJsonSchema(KV_SCHEMA)]
# driver_opts, logging options, storage_opt: Compose accepts numbers and passes them on as text.
TextMap = Annotated[
    dict[str, str],
    BeforeValidator(_text_values),
    WithJsonSchema({"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}),
]


def key_value_list(value: Any, what: str) -> Any:
    """``["A=1", "B"]`` -> ``{"A": "1", "B": None}``; mappings pass with scalars turned to text."""
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str):
                raise ValueError(f"each {what} entry must be a 'KEY=value' string")
            key, sep, val = item.partition("=")
            if not key or re.search(r"\s", key):
                raise ValueError(f"invalid {what} entry ({described(item)}): expected 'KEY=value'")
            if key in out:
                raise ValueError(f"duplicate {what} key {quoted(key)}")
            out[key] = val if sep else None
        return out
    if isinstance(value, dict):
        return {k: scalar_text(v) for k, v in value.items()}
    return value
