"""Every value of a spec that is a secret, from every source a secret enters by.

- the text every ``${...}`` became, anywhere, in every file the loader reads (the spec, an ``extends``
  base, an include, the ``.env``, an ``env_file``): a variable's value, a default, an alternate
  (registered by the loader the moment it is read, so even an error message about the field it landed
  in is masked), and the whole interpolated text of an ``environment`` entry or a secret-named key
  (``interpolated_secrets``);
- credentials a string carries in a form that says so, wherever it sits (``embedded``): a URL's
  userinfo password, the value of a secret-named or marked ``name=value`` pair (a query string, mount
  options), an authorization scheme's credential, curl's ``-u`` and MySQL's ``-p`` (an argv list is also
  read as one line), read generously toward the right (adversary s9b);
- ``environment`` in both forms (map, and ``- KEY=value`` whose *value part* is what is registered);
- pass-through variables (``- TOKEN`` / ``TOKEN:`` with no value take the host's value: that value
  came from outside the spec exactly as an interpolated one does, so it is always registered);
- ``env_file`` contents: every value (an env file is where a service's credentials are kept, under
  any name: ``DATABASE_URL=postgres://app:pw@db/app``; ``plan`` hides every env-file variable's drift
  for the same reason). Read confined to the project and size-bounded; a file that cannot be read
  contributes nothing here, lint and ``up`` report it;
- keys whose name says password/secret/token/credential (``is_secret_name``), anywhere: a scalar, or
  every item of a list (``api_tokens: [a, b]``). The schema's own key ``secrets`` (Compose's section,
  a service's list of secret names, ``settings.secrets``) names things, it holds no value;
- Compose ``secrets``: a ``file``'s content (``resources.file_secrets``: a file over the read bound, its
  two ends line by line); ``secrets.*.environment`` and ``configs.*.environment``: the
  host variable's value (read here from plain data, so that ``down`` registers them before its first stop);
- every value of a probe's request ``headers``, whatever the header's name (but a few standard ones
  that never hold a credential: ``Accept``, ``Content-Type``, ``Host``...);
- names in ``settings.secrets``: values of those variables (environment and ``.env``) and of keys
  or ``KEY=value`` items of that name anywhere in the spec.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from validator.redact import MIN_LENGTH, is_secret_name
from validator.spec.confine import ConfinementError, expand, read_text
from validator.spec.dotenv import parse_dotenv

MAX_ENV_FILE = 1024 * 1024


def marked_names(data: Mapping[str, Any]) -> set[str]:
    """The names listed in ``settings.secrets`` (read from plain data: the spec may not validate)."""
    settings = data.get("settings")
    names = settings.get("secrets") if isinstance(settings, dict) else None
    return {str(n) for n in names if isinstance(n, str | int)} if isinstance(names, list) else set()


def interpolated_secrets(path: tuple[Any, ...], value: str) -> list[str]:
    """What the whole text of a scalar that ``${VAR}`` interpolated registers besides the values the
    variables brought in: the text of an ``environment`` entry or a secret-named key (its variable part
    and its literal part are one secret: ``DB_URL: postgres://app:${PW}@db``), the value part of a list
    item ``KEY=value`` too."""
    if not value or not ("environment" in path or _secret_path(path)):
        return []
    found = [value]
    if "=" in value and isinstance(path[-1], int):
        found.append(value.partition("=")[2])
    return found


def collect(
    data: Mapping[str, Any],
    interpolated: Mapping[tuple[Any, ...], str],
    env: Mapping[str, str],
    base_dir: Path | None = None,
    root: Path | None = None,
    as_written: Collection[tuple[Any, ...]] = (),
) -> set[str]:
    """Every secret value of the spec ``data`` (see the module docstring for the sources). ``as_written``:
    the paths whose interpolation failed (``Document.unresolved``), whose text is the reference as the
    author wrote it."""
    marked = marked_names(data)
    found: set[str] = set()
    for path, value in interpolated.items():
        found.update(interpolated_secrets(path, value))
    literal: list[tuple[tuple[Any, ...], str]] = []
    _walk(data, (), marked, literal)
    # a required variable that is not set leaves its reference as written (lint reports it): that text
    # names a variable, it holds no value, and masking its pieces would hide the name from the finding.
    # Known by its path, never by its text: a password may hold "${X:?y}" once "$$" is unescaped
    # (adversary s9 case 05: a text search dropped it)
    skipped = set(as_written)
    found.update(value for path, value in literal if path not in skipped)
    found.update(value for name, value in env.items() if name in marked)
    services = data.get("services")
    if isinstance(services, dict):
        for service in services.values():
            if isinstance(service, dict):
                found.update(_pass_through(service.get("environment"), env))
                if base_dir is not None:
                    found.update(_env_file_values(service.get("env_file"), base_dir, root or base_dir, marked, env))
    found.update(_resource_values(data, env, base_dir, root))
    found.update(_header_values(data))
    return {s for s in found if len(s) >= MIN_LENGTH}


# A URL's scheme and the "//" its authority starts after; the userinfo runs to the LAST "@" of the word
# (urllib's own split: rpartition("@")), so a raw "@", "#", "/" or "?" in a password pasted unencoded
# cannot end it early (adversary s9b case 03: urllib3 quoted the head before a "#")
_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(\S*)@")
# where a "name=value" pair's name starts: anywhere a name character does not precede it (the text's
# start, a space, ",", ";", "&", "?", "#", "(", a quote...); "--name=value" too
_NAME = re.compile(r"(?<![A-Za-z0-9_.-])-{0,2}([A-Za-z_][A-Za-z0-9_.-]*)=")
# what may end an unquoted value: a separator, but only where the next pair's "name=" starts after it
# (``token=a,b`` is one value in a query; ``password=p,vers=3`` two options) or the text ends
_SEPARATOR = re.compile(r"[,;&]")
_NEXT_PAIR = re.compile(r"-{0,2}[A-Za-z_][A-Za-z0-9_.-]*=")
_QUOTES = "'\""
# HTTP's authorization schemes (case-insensitive, as HTTP says: ``authorization: token ghp_...``) where a
# header value starts: the text's start or after an authorization header's ":"; after any other header
# name only written as the standard spells them (``X-Upstream: Bearer T``): "note: basic setup" is prose
_AUTH_SCHEME = re.compile(
    r"(?:^|(?i:\b(?:proxy-)?authorization)\s*:\s*)(?i:bearer|basic|token|digest)\s+([^\s,;'\"]+)"
    r"|:\s*(?:Bearer|Basic|Token|Digest|BEARER|BASIC)\s+([^\s,;'\"]+)"
)
# a tool's own short form that carries a password in the argument itself, only where that tool is named
# (``-p`` elsewhere is a port, ``find -print``; ``-u`` is docker's user:group): curl's ``-u user:pw`` /
# ``--user user:pw`` and the MySQL clients' ``-pPASSWORD`` / ``--password PW``
_CURL = re.compile(r"\bcurl\b")
_CURL_USER = re.compile(r"(?:^|\s)(?:-u|--user)(?:\s+|=)?['\"]?[^\s:'\"]*:([^\s'\"]+)")
_MYSQL = re.compile(r"\b(?:mysql|mariadb)[a-z-]*\b")
_MYSQL_PASSWORD = re.compile(r"(?:^|\s)-p['\"]?([^\s'\"]+)")
# quotes and closing brackets around a value in a command line (``--password='P'``, ``(token=T)``)
_AROUND = "'\"()[]{}"


def embedded(text: str, marked: Collection[str] = ()) -> list[str]:
    """The credentials a string carries in the forms that say so, wherever it sits in the spec (a probe's
    ``url``, a volume's ``driver_opts.o``, a ``command``, a value of a config file ``config_keys``
    reads), each as written and percent-decoded (adversary s9 cases 01 and 14), registered generously
    toward the right (adversary s9b: a value cut short leaves its tail printed):

    - a URL's userinfo password (``http://admin:PW@host``): from the first ":" after ``//`` to the last
      "@" of the word; also its head up to a raw "#", "/" or "?" (what a URL parser quotes);
    - the value of a ``name=value`` pair whose name is secret (``is_secret_name``, or a name of
      ``settings.secrets``, ``marked``): a quoted value to its closing quote (a pair that starts after a
      quote, ``'PASSWORD=a b'``, too); an unquoted one to a space, or to the first ``,`` ``;`` ``&``
      that a new ``name=`` follows (``,,`` is CIFS's literal comma);
    - what follows an HTTP authorization scheme (``Bearer T``, ``authorization: token T``);
    - curl's ``-u user:pw`` and the MySQL clients' ``-pPW``.

    A user name alone (``https://user@host``) is not one: it names, and ``postgres`` or ``admin`` masked
    everywhere would hide every image and service of that name."""
    found: list[str] = []
    for match in _AUTHORITY.finditer(text) if "@" in text else ():
        _user, colon, password = match.group(1).partition(":")
        if colon and password:
            found.extend((password, re.split(r"[#/?]", password)[0]))
    if "=" in text:
        found.extend(_pair_values(text, {m.lower() for m in marked}))
    for match in _AUTH_SCHEME.finditer(text):
        found.append(match.group(1) or match.group(2))
    flags = [m.group(1) for m in _CURL_USER.finditer(text)] if _CURL.search(text) else []
    flags += [m.group(1) for m in _MYSQL_PASSWORD.finditer(text)] if _MYSQL.search(text) else []
    # ``-p"$$MYSQL_ROOT_PASSWORD"``: a shell's reference names a variable, it holds no value (masked, its
    # pieces would hide the variable's name from every message, lint's own warning about it included)
    found.extend(flag for flag in flags if not flag.startswith("$"))
    return list(dict.fromkeys([*found, *(unquote(value) for value in found)]))


def _pair_values(text: str, marked: set[str]) -> list[str]:
    """The values of the secret-named pairs of ``text`` (see ``embedded``), each also in the shorter
    readings a value may have been cut to (at the first separator, a "#", quotes stripped)."""
    found: list[str] = []
    for match in _NAME.finditer(text):
        name = match.group(1)
        if not (is_secret_name(name) or name.lower() in marked):
            continue
        start = match.end()
        before = text[match.start() - 1] if match.start() else ""
        if start < len(text) and text[start] in _QUOTES:
            value = _quoted(text, start + 1, text[start])
        elif before and before in _QUOTES:
            value = _quoted(text, start, before)
        else:
            value = _unquoted(text, start)
        short = re.split(r"[\s,;&]", value)[0]
        found.extend((value, value.replace(",,", ","), short, value.partition("#")[0], short.strip(_AROUND)))
    return found


def _quoted(text: str, start: int, quote: str) -> str:
    end = text.find(quote, start)
    return text[start:] if end < 0 else text[start:end]


def _unquoted(text: str, start: int) -> str:
    """From ``start`` to a space, or to the first separator a new pair follows (``,,`` is no separator)."""
    end = len(text)
    space = re.search(r"\s", text[start:])
    if space:
        end = start + space.start()
    position = start
    while True:  # bounded: each turn moves past one separator of a finite text
        separator = _SEPARATOR.search(text, position, end)
        if separator is None:
            return text[start:end]
        at = separator.start()
        if text.startswith(",,", at):
            position = at + 2
            continue
        if at + 1 == end or _NEXT_PAIR.match(text, at + 1, end):
            return text[start:at]
        position = at + 1


def _resource_values(
    data: Mapping[str, Any], env: Mapping[str, str], base_dir: Path | None, root: Path | None
) -> Iterable[str]:
    """What Compose secrets and configs bring in from outside the spec, read from plain data (the spec
    may not validate: ``down`` registers these before its first stop, whatever the rest says): a secret
    file's content, whole and line by line, and the host variable of ``secrets.*.environment`` and
    ``configs.*.environment`` (a config copied from the host environment is a pass-through variable)."""
    # lazy: the resource models load pydantic, which ``down``'s first read avoids
    from validator.spec.resources import file_secrets

    out: list[str] = []
    for section in ("secrets", "configs"):
        entries = data.get(section)
        for entry in entries.values() if isinstance(entries, dict) else ():
            if not isinstance(entry, dict):
                continue
            name = entry.get("environment")
            if isinstance(name, str) and env.get(name):
                out.append(env[name])
            path = entry.get("file")
            if section == "secrets" and isinstance(path, str) and base_dir is not None:
                try:
                    out.extend(file_secrets(base_dir / expand(path), root or base_dir))
                except (OSError, ConfinementError, ValueError):
                    continue
    return out


# Standard headers whose value is never a credential (a media type, a host name, a scheme): registering
# them would mask ``http`` or ``localhost`` in every message. Every other header, a vendor's own
# included, is taken for one: the safe direction for a name nobody listed.
_PLAIN_HEADERS = frozenset(
    {
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "connection",
        "content-encoding",
        "content-language",
        "content-length",
        "content-type",
        "host",
        "origin",
        "pragma",
        "referer",
        "user-agent",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-requested-with",
    }
)


def _header_values(data: Mapping[str, Any]) -> Iterable[str]:
    """Every value of a probe's request ``headers``, whatever the header's name (adversary s9 case 19): a
    request header is how an API takes a credential (``Authorization``, ``Cookie``, ``X-Api-Key``, a
    vendor's own name), and the HTTP library quotes a value it refuses in its error. Only the standard
    headers of ``_PLAIN_HEADERS`` are left out. The value as
    written, stripped, and its credential part (``Bearer <token>``: the token alone, if it is quoted cut)."""
    probes = data.get("probes")
    out: list[str] = []
    for probe in probes.values() if isinstance(probes, dict) else ():
        headers = probe.get("headers") if isinstance(probe, dict) else None
        for name, value in headers.items() if isinstance(headers, dict) else ():
            if _scalar(value) and str(name).lower() not in _PLAIN_HEADERS:
                text = str(value)
                out += [text, text.strip(), text.strip().rpartition(" ")[2]]
    return out


def _secret_path(path: tuple[Any, ...]) -> bool:
    return bool(path) and is_secret_name(path[-1])


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


# The schema's own key: Compose's ``secrets`` section, a service's list of secret names, ``settings.secrets``.
_STRUCTURE = "secrets"


def _walk(node: object, path: tuple[Any, ...], marked: set[str], found: list[tuple[tuple[Any, ...], str]]) -> None:
    """Values of secret-named or marked keys (a scalar, or the scalars of a list), of ``KEY=value``
    items of such a key, and the credentials any string carries (``embedded``), each with its path.
    (A mapping under such a key is walked key by key: in a spec, a key there may name an entity,
    ``services: {password-sync: ...}``, whose whole definition is no secret.)"""
    if isinstance(node, dict):
        for key, value in node.items():
            if key != _STRUCTURE and (is_secret_name(key) or key in marked):
                if isinstance(value, list):
                    found.extend(((*path, key, i), str(v)) for i, v in enumerate(value) if _scalar(v))
                elif _scalar(value):
                    found.append(((*path, key), str(value)))
            _walk(value, (*path, key), marked, found)
    elif isinstance(node, list):
        # an argv: a flag and its value are two items (``["curl", "-u", "admin:PW"]``), read as one line
        if node and all(_scalar(item) for item in node):
            found.extend((path, value) for value in embedded(" ".join(map(str, node)), marked))
        for index, item in enumerate(node):
            if isinstance(item, str) and "=" in item:
                name, _, value = item.partition("=")
                if is_secret_name(name) or name in marked:
                    found.append(((*path, index), value))
            _walk(item, (*path, index), marked, found)
    elif isinstance(node, str):
        found.extend((path, value) for value in embedded(node, marked))


def _pass_through(environment: object, env: Mapping[str, str]) -> Iterable[str]:
    if isinstance(environment, dict):
        names = [str(k) for k, v in environment.items() if v is None]
    elif isinstance(environment, list):
        names = [item for item in environment if isinstance(item, str) and "=" not in item]
    else:
        return []
    return [env[name] for name in names if name in env]


def _env_file_values(
    spec: object, base_dir: Path, root: Path, marked: set[str], env: Mapping[str, str]
) -> Iterable[str]:
    # lazy: spec.environment loads the pydantic service model, which ``down``'s first read avoids
    from validator.spec.environment import parse_raw

    items = spec if isinstance(spec, list) else [spec]
    out: list[str] = []
    for item in items:
        name = item.get("path") if isinstance(item, dict) else item
        if not isinstance(name, str):
            continue
        try:
            text = read_text(base_dir / expand(name), root, MAX_ENV_FILE)
            raw = isinstance(item, dict) and item.get("format") == "raw"
            # as up reads it (spec/environment.py)
            values = parse_raw(text, env) if raw else parse_dotenv(text, env, environ_wins=False)
        except (OSError, ConfinementError, ValueError):
            continue
        out.extend(v for v in values.values() if v)
    return out


def held(document: object, marked: frozenset[str] = frozenset()) -> set[str]:
    """Every value a parsed data file (a config file ``config_keys`` reads) holds under a secret-named or
    marked key, the whole subtree: ``auth.api_tokens: [a, b]``, ``database: {password: x}``; and the
    credentials any of its strings carries (``embedded``: ``jdbc:...?password=P``). (Unlike a
    spec, such a file names none of our entities: a subtree under ``secret:`` is all secret.)"""
    found: set[str] = set()
    stack: list[tuple[object, bool]] = [(document, False)]
    while stack:  # explicit stack: a parsed file may nest deeper than Python's recursion allows
        node, inherited = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, inherited or is_secret_name(str(k)) or str(k) in marked) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, inherited) for v in node)
        elif inherited and _scalar(node):
            found.add(str(node))
        elif isinstance(node, str):  # a DSN under an innocuous key (``datasource.url``: adversary s9b case 04)
            found.update(embedded(node, marked))
    return {s for s in found if len(s) >= MIN_LENGTH}
