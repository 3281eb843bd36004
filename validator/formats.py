"""Read configuration files into nested data, by format, with the parser's line on failure.

Formats: ``properties`` (Spark's spark-defaults.conf: ``key value`` or ``key=value``), ``ini``,
``yaml``, ``toml``, ``json``, ``env`` (dotenv). Flat formats give a flat mapping; ``ini`` gives
``{section: {key: value}}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from validator.redact import quoted

Format = Literal["properties", "ini", "yaml", "toml", "json", "env"]
FORMATS: tuple[Format, ...] = ("properties", "ini", "yaml", "toml", "json", "env")
MAX_CONFIG_BYTES = 8 * 1024 * 1024

_BY_SUFFIX: dict[str, Format] = {
    ".conf": "properties",
    ".properties": "properties",
    ".ini": "ini",
    ".cfg": "ini",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".json": "json",
    ".env": "env",
}


class FormatError(ValueError):
    """The file cannot be read in its format; ``line`` (and ``col``) are 1-based when the parser said where.

    The message never quotes the file: a configuration line that does not parse may be the one holding a
    password, and nothing has registered it. Our own phrases, or a parser's fixed ones, and the place."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        where = "" if line is None else f"line {line}" + ("" if col is None else f", column {col}") + ": "
        super().__init__(where + message)
        self.line, self.col = line, col


def infer_format(path: str) -> Format | None:
    """The format a file's name suggests, or None when the name says nothing."""
    name = Path(path).name
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    return _BY_SUFFIX.get(Path(path).suffix.lower())


def parse_config_bytes(raw: bytes, fmt: Format) -> Any:
    """Parse file content as ``fmt``; raise ``FormatError`` (binary, not UTF-8, unparsable)."""
    if len(raw) > MAX_CONFIG_BYTES:
        raise FormatError(f"file is too large ({len(raw) / 1048576:.1f} MiB > {MAX_CONFIG_BYTES // 1048576} MiB)")
    if b"\x00" in raw[:8192]:
        raise FormatError("binary file (NUL byte), not a text configuration file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError("not UTF-8 text", raw.count(b"\n", 0, exc.start) + 1) from None
    return parse_config(text, fmt)


def parse_config(text: str, fmt: Format) -> Any:
    if fmt == "properties":
        return parse_properties(text)
    if fmt == "env":
        return parse_env(text)
    if fmt == "ini":
        return _ini(text)
    if fmt == "toml":
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            import re

            # tomllib's message names keys and characters of the file: only its place is kept
            found = re.search(r"at line (\d+), column (\d+)", str(exc))
            line, col = (int(found.group(1)), int(found.group(2))) if found else (None, None)
            raise FormatError("not valid TOML", line, col) from None
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            # the json module's messages are fixed phrases ("Expecting value"): none quotes the document
            raise FormatError(exc.msg, exc.lineno, exc.colno) from None
        except RecursionError:
            raise FormatError("nested too deep") from None
    if fmt == "yaml":
        return _yaml(text)
    raise FormatError(f"unknown format {quoted(fmt)}")


_INI_PROBLEMS = {
    "MissingSectionHeaderError": "expected a [section] header before the first key",
    "DuplicateSectionError": "a section is defined twice",
    "DuplicateOptionError": "a key is defined twice in its section",
    "ParsingError": "expected [section], key = value or a comment",
}


def _ini(text: str) -> dict[str, Any]:
    import configparser  # here: every spec load imports this module, few read an INI file

    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        # configparser's messages quote the offending line: only the kind of problem and its line are kept
        line = getattr(exc, "lineno", None) or _first_error_line(exc)
        raise FormatError(_INI_PROBLEMS.get(type(exc).__name__, "not valid INI"), line) from None
    out: dict[str, Any] = {k: dict(v) for k, v in parser.items() if k != "DEFAULT"}
    if parser.defaults():
        out["DEFAULT"] = dict(parser.defaults())
    return out


def _first_error_line(exc: Exception) -> int | None:
    errors = getattr(exc, "errors", None)  # ParsingError: [(line number, line), ...]
    return int(errors[0][0]) if errors else None


def _yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise FormatError(yaml_problem(exc.problem), line, col) from None
    except yaml.YAMLError:
        raise FormatError("not valid YAML") from None
    except (ValueError, TypeError, IndexError, OverflowError, RecursionError):
        # PyYAML's constructors fail on some scalars (!!int abc, a bad !!timestamp) with a bare Python
        # error quoting the value: said without the value, and without a place (they give none)
        raise FormatError("a value cannot be read as its YAML type") from None


def yaml_problem(problem: str | None) -> str:
    """libyaml's problem phrase without what it quotes of the file (an alias, a tag, a character)."""
    import re

    if not problem:
        return "not valid YAML"
    # a quoted character (',' or '\t') says what was expected and is kept; a longer quoted word (an
    # alias, a tag) is the file's text and goes
    return re.sub(r"\s+", " ", re.sub(r"'[^'\s]{3,}'|\"[^\"\s]{3,}\"", "", problem)).strip()


def parse_properties(text: str) -> dict[str, str]:
    """Java ``.properties`` as Spark reads spark-defaults.conf: ``#``/``!`` comments, separators
    ``=``, ``:`` or whitespace, ``\\`` line continuations. Later keys win, as in Java."""
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].lstrip()
        i += 1
        if not line or line[0] in "#!":
            continue
        while _continues(line) and i < len(lines):
            line = line[:-1] + lines[i].lstrip()
            i += 1
        key, value = _split_property(line)
        out[key] = value
    return out


def _continues(line: str) -> bool:
    backslashes = len(line) - len(line.rstrip("\\"))
    return backslashes % 2 == 1


def _split_property(line: str) -> tuple[str, str]:
    key_chars: list[str] = []
    j, n = 0, len(line)
    while j < n:
        ch = line[j]
        if ch == "\\" and j + 1 < n:
            key_chars.append(line[j + 1])
            j += 2
            continue
        if ch in "=: \t\f":
            break
        key_chars.append(ch)
        j += 1
    while j < n and line[j] in " \t\f":
        j += 1
    if j < n and line[j] in "=:":
        j += 1
        while j < n and line[j] in " \t\f":
            j += 1
    return "".join(key_chars), line[j:].rstrip()


def parse_env(text: str) -> dict[str, str | None]:
    import io

    from dotenv import dotenv_values

    return dict(dotenv_values(stream=io.StringIO(text), interpolate=False))

