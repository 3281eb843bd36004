"""Load one YAML spec file into plain data, keeping file, line and column for every node.

Built from libyaml's event stream with an explicit stack (no recursion), so that every bound
is ours: file size, nesting depth, alias expansion, duplicate keys, tabs, non-UTF-8 bytes.
Plain scalars follow YAML 1.2's core schema (``on``/``no`` stay strings, ``22:22`` is not a number).
String values are interpolated (``${VAR}``) as Compose does; every finding is collected.
Interpolation problems do not stop the load: they travel in ``Document.findings`` beside the data,
so that lint still reports the schema and rule findings of the same file in the same pass.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from validator.errors import SpecError
from validator.formats import yaml_problem
from validator.redact import quoted, register
from validator.spec.confine import ConfinementError, project_root, read_bytes, read_text
from validator.spec.dotenv import DotenvError, parse_dotenv
from validator.spec.interpolate import InterpolationError, interpolate
from validator.spec.location import Finding, Location, Path
from validator.spec.problems import position
from validator.spec.secrets import interpolated_secrets

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_INT = re.compile(r"[-+]?[0-9]+$")
_OCT = re.compile(r"0o[0-7]+$")
_HEX = re.compile(r"0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_YAML_TAG = "tag:yaml.org,2002:"
# The tag is not repeated: a tag is written right before a value and its text is the author's, not ours.
_UNSUPPORTED_TAG = "unsupported YAML tag (use !reset, !override or a core tag: !!str, !!int, !!float, !!bool, !!null)"
_MERGE_TAG = _YAML_TAG + "merge"


@dataclass(frozen=True)
class Reset:
    """``!reset`` in an overlay: remove the value from the base."""


@dataclass(frozen=True)
class Override:
    """``!override`` in an overlay: replace the base value instead of merging into it."""

    value: Any


@dataclass(kw_only=True)
class Document:
    """Plain data from one or more files, with the location of every value and mapping key."""

    data: dict[str, Any]
    files: list[str]
    positions: dict[Path, Location] = field(default_factory=dict)
    key_positions: dict[Path, Location] = field(default_factory=dict)
    interpolated: dict[Path, str] = field(default_factory=dict)
    # Findings that did not stop the load (interpolation errors, unset-variable warnings); a value whose
    # interpolation failed is kept as written, and findings at or under its path are not reported again.
    findings: list[Finding] = field(default_factory=list)
    # The variables an include's env file (or the included project's .env) adds for the services,
    # secrets and configs it brings, keyed (section, name): Compose resolves their pass-through names,
    # env files and ``environment:`` secrets there, where the including project's variables (which
    # win) lack them. Values may be secrets: never in repr.
    scopes: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict, repr=False)
    # file (as named in findings) -> the SHA-256 of the text read from it, taken as it was read: the spec's
    # hash is made of these, and no file is opened a second time by another spelling of its name
    digests: dict[str, str] = field(default_factory=dict)

    def unresolved(self) -> list[Path]:
        """Paths whose value is not what the author meant: a failed interpolation, or a service whose
        ``extends`` could not be resolved (nothing more is to be said about them)."""
        paths = [f.path for f in self.findings if f.rule == "interpolation" and f.severity == "error"]
        return paths + [f.path[:2] for f in self.findings if f.rule == "extends" and f.severity == "error"]

    def locate(self, path: Path, key: bool = False) -> Location | None:
        """The location of ``path`` (its key when ``key``), else of its nearest located ancestor."""
        probe = tuple(path)
        while True:
            if key and probe in self.key_positions:
                return self.key_positions[probe]
            if probe in self.positions:
                return self.positions[probe]
            if not probe:
                return None
            probe = probe[:-1]
            key = True

    def finding(
        self, path: Path, message: str, *, key: bool = False, rule: str = "schema", severity: str = "error"
    ) -> Finding:
        return Finding(
            location=self.locate(path, key),
            path=tuple(path),
            message=message,
            severity=severity,  # type: ignore[arg-type]
            rule=rule,
            file=self.files[0] if self.files else "",
        )


def read_environment(
    spec_dir: FsPath, environ: Mapping[str, str] | None = None, *, root: FsPath | None = None
) -> dict[str, str]:
    """Variables for interpolation: a ``.env`` beside the spec (read as Compose reads it), overridden
    by the process environment; ``SpecError`` at the ``.env`` line Compose would refuse.

    The ``.env`` is read confined to the project ``root`` (default: the spec's folder; a symlink out of
    it is refused, not followed) and bounded; a bad byte or a refusal is a located error, exit 2."""

    process = dict(os.environ if environ is None else environ)
    dotenv = spec_dir / ".env"
    if not os.path.lexists(dotenv):
        return process
    try:
        values = parse_dotenv(read_text(dotenv, root or spec_dir, MAX_BYTES), process)
    except ConfinementError as exc:
        raise _fail(str(dotenv), exc.reason, exc.line or 1, exc.col or 1) from None
    except DotenvError as exc:
        raise _fail(str(dotenv), str(exc), exc.line, exc.col) from None
    except FileNotFoundError:
        return process  # a dangling symlink: as if there were no .env
    except OSError as exc:
        raise _fail(str(dotenv), f"cannot be read: {exc.strerror or exc}") from None
    return {**values, **process}


def load_file(
    path: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    display: str | None = None,
    *,
    root: FsPath | None = None,
) -> Document:
    """Load one spec file; raise ``SpecError`` carrying every finding. ``root``: the project the file
    must lie in, symlinks resolved (default: the file's own, ``confine.project_root``): a spec file, named
    or found, is read only inside it, as every file the spec names is (lint never leaves the project)."""
    fs_path = FsPath(path)
    name = display or str(path)
    text = _read_text(fs_path, name, project_root(fs_path) if root is None else root)
    if env is None:
        env = read_environment(fs_path.parent)
    doc = load_text(text, name, env)
    doc.digests[name] = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return doc


def _fail(name: str, message: str, line: int = 1, col: int = 1) -> SpecError:
    return SpecError(
        [
            Finding(
                location=Location(name, line, col), path=(), message=message, severity="error", rule="load", file=name
            )
        ]
    )


def _read_text(path: FsPath, name: str, root: FsPath) -> str:
    try:
        raw = read_bytes(path, root, MAX_BYTES, shown=FsPath(name))
    except FileNotFoundError:
        raise SpecError(
            [Finding(location=None, path=(), message="no such file", severity="error", rule="load", file=name)]
        ) from None
    except PermissionError:
        raise SpecError(
            [Finding(location=None, path=(), message="permission denied", severity="error", rule="load", file=name)]
        ) from None
    except ConfinementError as exc:
        if exc.reason.startswith(("is outside", "cannot be resolved")):
            raise _fail(name, exc.reason) from None
        if "directory" in exc.reason:
            raise _fail(name, "is a directory, not a spec file") from None
        if "too large" in exc.reason:
            size = path.stat().st_size
            raise _fail(
                name, f"file is too large ({size / 1048576:.1f} MiB; a spec may be at most {MAX_BYTES // 1048576} MiB)"
            ) from None
        raise _fail(name, "is not a regular file (a FIFO, socket or device): not read") from None
    except OSError as exc:
        raise _fail(name, f"cannot be read: {exc.strerror or exc}") from None
    if b"\x00" in raw[:8192]:
        return _raise_binary(raw, name)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(name, f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded", line, col) from None


def _raise_binary(raw: bytes, name: str) -> str:
    pos = raw.index(b"\x00")
    line = raw.count(b"\n", 0, pos) + 1
    raise _fail(
        name, "binary file (NUL byte): a spec must be YAML text", line, pos - (raw.rfind(b"\n", 0, pos) + 1) + 1
    )


def load_text(text: str, name: str, env: Mapping[str, str]) -> Document:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _fail(name, f"spec is too large (a spec may be at most {MAX_BYTES // 1048576} MiB)")
    builder = _Builder(name, env)
    try:
        builder.run(yaml.parse(text, Loader=_Parser))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecError(
            [
                *builder.findings,
                Finding(
                    location=Location(name, line, col),
                    path=(),
                    message=_yaml_message(exc, text, mark),
                    severity="error",
                    rule="syntax",
                    file=name,
                ),
            ]
        ) from None
    except yaml.YAMLError as exc:
        # a reader error (a control character): its place, never the text around it
        position = getattr(exc, "position", None)
        line, col = _position(text, position) if isinstance(position, int) else (1, 1)
        raise _fail(name, "YAML error: a character YAML does not allow in a document", line, col) from None
    except _Abort:
        pass
    if builder.findings:
        raise SpecError(builder.findings)
    data = builder.result
    if data is None:
        raise _fail(name, "empty spec: expected a mapping with at least 'version' and 'project'")
    if not isinstance(data, dict):
        raise _fail(name, f"the top level must be a mapping of sections, not a {_kind(data)}")
    return Document(
        data=data,
        files=[name],
        positions=builder.positions,
        key_positions=builder.key_positions,
        interpolated=builder.interpolated,
        findings=builder.deferred,
    )


def _position(text: str, index: int) -> tuple[int, int]:
    return position(text, min(index, len(text)))


def _yaml_message(exc: yaml.MarkedYAMLError, text: str, mark: Any) -> str:
    problem = yaml_problem(exc.problem) if exc.problem else "invalid YAML"
    index = getattr(mark, "index", None)
    at_tab = isinstance(index, int) and 0 <= index < len(text) and text[index] == "\t"
    if at_tab or "'\\t'" in problem:
        return "tab character: YAML indentation must use spaces"
    context = f" {yaml_problem(exc.context)}" if exc.context else ""
    return f"YAML syntax error: {problem}{context}".replace("\n", " ")


def _kind(value: object) -> str:
    return {dict: "mapping", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


class _Abort(Exception):
    """A bound was exceeded: stop reading, the finding is already recorded."""


class _Frame:
    __slots__ = ("anchor", "count", "key", "key_loc", "loc", "merge_key", "merges", "path", "seen", "value")

    def __init__(self, value: Any, path: Path, anchor: str | None, loc: Location) -> None:
        self.value = value
        self.path = path
        self.anchor = anchor
        self.loc = loc
        self.count = 1
        self.key: str | None = None
        self.key_loc: Location | None = None
        self.merge_key = False
        self.seen: dict[str, Location] = {}
        self.merges: list[tuple[Any, Location]] = []


class _Builder:
    def __init__(self, name: str, env: Mapping[str, str]) -> None:
        self.name = name
        self.env = env
        self.findings: list[Finding] = []
        self.positions: dict[Path, Location] = {}
        self.key_positions: dict[Path, Location] = {}
        self.interpolated: dict[Path, str] = {}
        self.deferred: list[Finding] = []
        self.warned: set[str] = set()
        self.anchors: dict[str, tuple[Any, int] | None] = {}
        self.stack: list[_Frame] = []
        self.nodes = 0
        self.documents = 0
        self.result: Any = None

    def error(self, loc: Location, path: Path, message: str) -> None:
        self.findings.append(
            Finding(location=loc, path=path, message=message, severity="error", rule="load", file=self.name)
        )

    def loc(self, event: Any) -> Location:
        mark = event.start_mark
        return Location(self.name, mark.line + 1, mark.column + 1)

    def run(self, events: Any) -> None:
        for event in events:
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self.scalar(event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self.open(event, {} if kind is yaml.MappingStartEvent else [])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self.close()
            elif kind is yaml.AliasEvent:
                self.alias(event)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    self.error(self.loc(event), (), "more than one YAML document: a spec is a single document")
                    raise _Abort

    def child_path(self) -> Path:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        return (*top.path, top.key) if top.key is not None else top.path

    def count(self, n: int, loc: Location) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            self.error(loc, (), f"document expands to more than {MAX_NODES} nodes (YAML aliases nested too deep?)")
            raise _Abort

    def open(self, event: Any, value: Any) -> None:
        loc = self.loc(event)
        if len(self.stack) >= MAX_DEPTH:
            self.error(loc, self.child_path(), f"nesting deeper than {MAX_DEPTH} levels")
            raise _Abort
        tag = event.tag
        if tag not in (None, "!", _YAML_TAG + "map", _YAML_TAG + "seq", "!override", "!reset"):
            self.error(loc, self.child_path(), _UNSUPPORTED_TAG)
        if self.stack and isinstance(self.stack[-1].value, dict) and self.stack[-1].key is None:
            self.error(loc, self.stack[-1].path, "a mapping key must be a scalar, not a mapping or list")
            raise _Abort
        self.count(1, loc)
        frame = _Frame(value, self.child_path(), event.anchor, loc)
        if tag in ("!override", "!reset"):  # Compose writes `!reset []` and `!reset {}` too
            frame.merges.append((Override if tag == "!override" else Reset, loc))
        if event.anchor:
            self.anchors[event.anchor] = None  # under construction
        self.stack.append(frame)

    def close(self) -> None:
        frame = self.stack.pop()
        value = frame.value
        override = False
        if any(source is Reset for source, _ in frame.merges):
            value = Reset()
            frame.merges = []
        if isinstance(value, dict):
            for source, loc in frame.merges:
                if source is Override:
                    override = True
                    continue
                self.merge_into(value, source, frame.path, loc)
        elif frame.merges and not isinstance(value, Reset):
            override = True
        if frame.anchor:
            self.anchors[frame.anchor] = (value, frame.count)
        if self.stack:
            self.stack[-1].count += frame.count
        self.deliver(Override(value) if override else value, frame.loc, frame.path)

    def merge_into(self, target: dict[str, Any], source: Any, path: Path, loc: Location) -> None:
        sources = source if isinstance(source, list) else [source]
        for src in sources:
            if not isinstance(src, dict):
                self.error(loc, path, "'<<' merges mappings only")
                continue
            for key, val in src.items():
                if key not in target:
                    target[key] = val
                    self.positions.setdefault((*path, key), loc)

    def alias(self, event: Any) -> None:
        loc = self.loc(event)
        if event.anchor not in self.anchors:
            self.error(loc, self.child_path(), "unknown alias: no anchor of that name comes before it")
            raise _Abort
        entry = self.anchors[event.anchor]
        if entry is None:
            self.error(loc, self.child_path(), "an alias refers to the node that holds it")
            raise _Abort
        value, size = entry
        self.count(size, loc)
        if self.stack:
            self.stack[-1].count += size
        self.deliver(value, loc, self.child_path())

    def scalar(self, event: Any) -> None:
        loc = self.loc(event)
        if event.style in ("'", '"') and event.start_mark.line == event.end_mark.line:
            loc = Location(self.name, loc.line, loc.col + 1)  # point at the text, not the quote
        path = self.child_path()
        is_key = bool(self.stack) and isinstance(self.stack[-1].value, dict) and self.stack[-1].key is None
        value = self.resolve(event, loc, path)
        if not is_key and isinstance(value, str) and "$" in value:
            used: set[str] = set()
            unset: set[str] = set()
            brought: list[str] = []
            try:
                value = interpolate(value, self.env, used, unset, brought=brought)
            except InterpolationError as exc:
                col = loc.col + exc.offset if "\n" not in event.value else loc.col
                self.deferred.append(
                    Finding(
                        location=Location(self.name, loc.line, col),
                        path=path,
                        message=str(exc),
                        severity="error",
                        rule="interpolation",
                        file=self.name,
                    )
                )
                used.clear()  # the text stays as written (a reference, no value): nothing was brought in
                brought.clear()
            for name in sorted(unset - self.warned):
                # Once per variable and file, as Compose warns once: the first place shows where.
                self.warned.add(name)
                self.deferred.append(
                    Finding(
                        location=loc,
                        path=path,
                        message=f"variable ${{{name}}} is not set: it reads as an empty string",
                        severity="warning",
                        rule="interpolation",
                        file=self.name,
                    )
                )
            if used:
                self.interpolated[path] = value
                # every value a variable brought in is a possible secret: registered now, before any
                # message about the field it landed in (``mem_limit: ${TOKEN}``) can print it. So is the
                # text every reference became, a default or an alternate too (``?token=${TOKEN:-dev}``,
                # adversary s9 case 11), and, in every file read (an ``extends`` base's too: case 12), the
                # whole text of an environment entry or a secret-named key
                register(self.env[n] for n in used if n in self.env)
                register(brought)
                register(interpolated_secrets(path, value))
        self.count(1, loc)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self.deliver(value, loc, path, plain_merge=_is_merge_key(event))

    def resolve(self, event: Any, loc: Location, path: Path) -> Any:
        tag, text = event.tag, event.value
        if tag in (None, "!"):
            return _core_scalar(text) if event.implicit[0] and tag is None else text
        if tag == "!reset":
            return Reset()
        if tag == _MERGE_TAG and text == "<<":
            return text  # ``!!merge <<: *x``: the explicit form of a merge key (as Compose reads it)
        if tag == "!override":
            return Override(_core_scalar(text) if event.style is None else text)
        if tag in (_YAML_TAG + "str", _YAML_TAG + "int", _YAML_TAG + "float", _YAML_TAG + "bool", _YAML_TAG + "null"):
            short = tag[len(_YAML_TAG) :]
            if short == "str":
                return text
            resolved = _core_scalar(text)
            expected = {"int": int, "float": float, "bool": bool, "null": type(None)}.get(short)
            if expected is float and isinstance(resolved, int) and not isinstance(resolved, bool):
                return float(resolved)
            if expected is not None and type(resolved) is expected:
                return resolved
            # the value is not repeated: a finding never quotes the text it failed on (it may be a secret)
            self.error(loc, path, f"the value is not a valid !!{short}")
            return text
        self.error(loc, path, _UNSUPPORTED_TAG)
        return text

    def deliver(self, value: Any, loc: Location, path: Path, plain_merge: bool = False) -> None:
        if not self.stack:
            self.result = value
            self.positions[()] = loc
            return
        top = self.stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
            self.positions[path] = loc
            return
        if top.key is None:  # this scalar is a key
            if plain_merge:
                top.key, top.key_loc, top.merge_key = "<<", loc, True
                return
            if isinstance(value, dict | list) or value is None or isinstance(value, Reset | Override):
                self.error(loc, top.path, "a mapping key must be a non-empty scalar")
                value = "<invalid>"
            key = value if isinstance(value, str) else _key_text(value)
            if key in top.seen:
                first = top.seen[key]
                self.error(loc, (*top.path, key), f"duplicate key {quoted(key)} (first defined at line {first.line})")
            top.seen[key] = loc
            top.key, top.key_loc = key, loc
            return
        key, key_loc = top.key, top.key_loc
        top.key = None
        if top.merge_key and key_loc is not None:
            top.merge_key = False
            top.merges.append((value, key_loc))
            return
        top.value[key] = value
        self.positions[(*top.path, key)] = loc
        if key_loc is not None:
            self.key_positions[(*top.path, key)] = key_loc


def _is_merge_key(event: Any) -> bool:
    """``<<`` as a key: plain, or tagged ``!!merge`` (a quoted ``"<<"`` is an ordinary key)."""
    return bool(event.value == "<<" and (event.implicit[0] or event.tag == _MERGE_TAG))


def _key_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _core_scalar(text: str) -> Any:
    """Resolve a plain scalar by YAML 1.2's core schema."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    first = text[0]
    if first.isdigit() or first in "+-.":
        if _INT.match(text):
            return int(text)
        if _OCT.match(text):
            return int(text[2:], 8)
        if _HEX.match(text):
            return int(text[2:], 16)
        if _FLOAT.match(text) and text not in (".", "+.", "-."):
            return float(text)
        lowered = text.lower()
        if lowered in (".inf", "+.inf"):
            return math.inf
        if lowered == "-.inf":
            return -math.inf
        if lowered == ".nan":
            return math.nan
    return text
