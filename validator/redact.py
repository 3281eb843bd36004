"""Secrets never leave the process: the one redactor every printed, reported, logged or stored byte passes.

A process-wide registry (``register``) is filled while the spec loads (see ``validator.spec.secrets``);
``redactor()`` hands out the instance that holds it, and ``install_streams`` wraps standard output and
standard error so that every line the process prints passes it too, whoever prints it.

Each secret is masked in the forms the product's own encoders give it: the registry of encoders
(``ENCODERS``) holds the very functions that produce output, never a hand-kept imitation of them. The
standard library's are there from the start (``repr``, ``json.dumps`` both ways, ``html.escape``,
``urllib.parse.quote`` / ``quote_plus``, base64 at each alignment, the forms of the UTF-8 bytes: bytes
repr, hex, read as Latin-1 / cp1252); a module that brings another producer registers its
function when it starts using it (``add_encoder``): the HTTP probe registers requests' URL requoting, the
suite runner pytest's escaping of test ids, preflight ``shlex.quote``. Every redactor takes a new
encoder into account at its next use.
A piece is matched case-insensitively, a whole secret also lower-cased (urllib3 prints a host name so). Text
cut before it reached us (pytest's diff skip and pretty-printer, saferepr, the engine's byte limit) is covered
whatever the cut: any run of ``PIECE`` characters of any form of a secret is masked wherever it is, and a
shorter one of at least ``FRAGMENT`` that touches the edge of the text, a line edge, or an ellipsis (over-masking
a few words is harmless; leaking half a token is not). A whole number is registered only from
``LONG_NUMBER`` digits and masked only as a whole number. That is a safety net, not the rule. The rule, for
every text that may hold data (a response body, a tool's output, an exception, a value of the spec):

- it is cut only through ``clip`` (keeps the head) or ``tail`` (keeps the end), which mask *before* they cut:
  a cut piece of a secret cannot survive, wherever the text goes next and whatever is added after the cut;
- it is quoted only through ``quoted``, which masks before it quotes: ``repr`` is context-dependent (it
  escapes a secret's apostrophe only when the text around it also holds a double quote), so the quoted
  form of a larger text is never one the registry could list. Both quoting styles of ``repr`` are
  registered all the same (``pytest`` and other libraries ``repr`` text we do not control).

``tests/unit/test_raw_text.py`` holds the source of ``validator`` to it: no ``repr`` / ``!r`` outside this
module, and no slice with a constant bound but those it lists as identifiers (hashes, ids, lists).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import html
import io
import json
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

MASK = "***redacted***"
# validator's own secrets, given to it through the environment: VALIDATOR_LABEL_KEY seals every value of
# the desired-state labels (engine/labels.py), and with it anyone who can read a container's labels can
# test guesses of its sealed environment offline. Each is registered when a command starts (main) and
# is taken out of every child's environment (children.spawn): a suite, a probe job or a tool has no use
# for it, and what a child sees it may print where no redactor runs (its own files, its own logs).
OWN_SECRETS = ("VALIDATOR_LABEL_KEY",)
SECRET_WORDS = ("password", "passwd", "secret", "token", "apikey", "api_key", "private_key", "credential", "passphrase")
MIN_LENGTH = 4  # shorter values ('on', '1', 'abc') would mask half of every line and protect nothing
# The shortest cut piece of a secret masked at an edge: 6 characters and a quarter of the secret.
# Shorter pieces tell little, and masking them would eat ordinary words ('pass' at the end of a
# line is not a leak of 'passthrough-token-...').
FRAGMENT = 6
_EDGES = re.compile(r"\n|\.\.\.|…")
# Any run of PIECE or more characters of a secret (of any of its forms) is masked wherever it appears,
# whatever cut it: pytest's diff ("Skipping 62 identical leading characters"), its pretty-printer (a long
# string split into quoted literals), saferepr's 240, Docker's 4096 bytes cut inside a character, our own
# clip. A run that long of a random secret is a credential-grade piece by itself (12 characters of
# base64 hold 72 bits), while ordinary text shares 12 characters with a secret only where it quotes the
# same words, and masking that costs a few words of a message. Shorter pieces are masked at an edge (above).
PIECE = 12
_STRIDE = 4  # pieces are found by looking up the text's GRAM-character slices at every STRIDE-th position:
_GRAM = PIECE - _STRIDE + 1  # a run of PIECE characters always holds one whole such slice
_INDEXED = 8192  # characters of a form whose every piece is indexed (a JWT, a PEM key, a passphrase)
# places of one slice in ONE form followed (a repetitive secret must not make the search quadratic). The
# bound is per form, never across forms: a secret's forms share their plain head ('0000110' in the secret,
# its JSON, URL, HTML, bytes forms...), and a bound across forms dropped the secret's own place at random
# (by hash order), so the secret written as it is went unmasked
_HITS = 8
# Values that are never registered: masking a number or a JSON/YAML literal would corrupt every
# timestamp, count and boolean of a report while protecting nothing a person would call a secret.
_NOT_SECRET = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|true|false|null|none|yes|no|on|off", re.IGNORECASE)
# ... except a whole number of LONG_NUMBER digits or more (a numeric PIN, unseal code or password): ports,
# counts, exit codes and sizes in a spec are shorter, and a registered number is masked only as a whole
# number (never inside a longer run of digits), so timestamps and counts around it stay readable.
# The same holds for any number syntax: a value of LONG_NUMBER digits or more written with a sign, a point or
# an exponent (a hex token whose one letter is an 'e', '+4915112345678', '3.14159265358979') is registered
# too (adversary s9 case 08); a short one ('1.5', '-1', '1e3') is a count, a size or a version.
LONG_NUMBER = 8
_DIGIT = re.compile(r"\d")


# Fields whose values are words of our own vocabulary (a verdict, a kind, an outcome), never data
_FIXED_WORDS = frozenset({"verdict", "kind", "outcome", "severity", "rule"})


def maskable(value: object) -> bool:
    """Whether ``value`` can be registered: a string of ``MIN_LENGTH`` or more that is not a number,
    a boolean or null, and not the mask itself."""
    # a piece of the mask itself ('redacted') would grow the mask each time masked text is masked again
    if not isinstance(value, str) or len(value) < MIN_LENGTH or value in MASK:
        return False
    return not _NOT_SECRET.fullmatch(value) or len(_DIGIT.findall(value)) >= LONG_NUMBER


# Words that name a secret only as a whole word of the name (``DB_PASS`` but not ``PASSTHROUGH``, ``REDIS_AUTH``
# but not ``AUTHOR``), as real tools spell them: MySQL's MYSQL_PWD, ssh's passphrase, Redis' AUTH, a
# signing or private key (``SIGNING_KEY``, ``privateKey``, ``api.key``). ``key`` counts as the last word
# only (``KEY_FIELD`` is not a key) but in a dotted name; ``pwd`` never as the whole name (``PWD`` is the working
# directory). ``sig`` and ``sas``: a shared-access signature (Azure's ``?sig=``, ``fs.azure.sas.*``: s9b case 06).
SECRET_WORD_PARTS = frozenset({"pwd", "pw", "pass", "auth", "sig", "sas"})
# A last word that ends in ``key`` is a key as much as ``key`` alone: the compounds images document for
# their secrets (``TS_AUTHKEY``, ``JWT_PRIVATEKEY``, ``MEILI_MASTERKEY``; adversary s9 case 15). Over-masking
# a literal under ``X_HOTKEY`` is cheap; a name of one word (``MONKEY``, ``hockey``) is not one.
_KEY_SUFFIX = "key"
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def is_secret_name(name: object) -> bool:
    """A key or variable whose name says it holds a secret (``DB_PASSWORD``, ``api-key``, ``token``,
    ``MYSQL_PWD``, ``privateKey``, ``api.key``)."""
    return isinstance(name, str) and _secret_name(name)


# Asked of every key of the spec when it is read (2,100 times for fifty services: 4 ms of the 90 ms
# the spec takes there): the same few dozen names, and the answer depends on the name alone
@functools.lru_cache(maxsize=4096)
def _secret_name(name: str) -> bool:
    words = [w.lower() for w in _WORD.findall(name)]
    joined = "_".join(words)  # camelCase and dotted names spelled as snake_case: privateKey -> private_key
    if any(word in name.lower().replace("-", "_") or word in joined for word in SECRET_WORDS):
        return True
    if len(words) > 1 and words[-1].endswith(_KEY_SUFFIX):
        return True
    # a dotted setting names its subject after the word (Hadoop's ``fs.azure.account.key.<account>...``:
    # adversary s9b case 06): there ``key`` is a secret as any part of the name
    if "." in name and _KEY_SUFFIX in name.lower().split("."):
        return True
    return any(w in SECRET_WORD_PARTS for w in words) and words != ["pwd"]


def _escaped(value: str) -> bool:
    """Whether every surrogate in ``value`` is one ``surrogateescape`` made (an undecodable byte)."""
    return all("\udc80" <= ch <= "\udcff" for ch in value if "\ud800" <= ch <= "\udfff")


Encoder = Callable[[str], str]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _raw(secret: str) -> bytes:
    """The UTF-8 bytes of ``secret``; a value from the environment that is not valid UTF-8 (a lone
    surrogate) is encoded with the bytes it came from, never allowed to fail the registration."""
    return secret.encode("utf-8", "surrogateescape" if _escaped(secret) else "surrogatepass")


def _base64(secret: str) -> str:
    return base64.b64encode(_raw(secret)).decode("ascii").rstrip("=")


def _base64_url(secret: str) -> str:
    return base64.urlsafe_b64encode(_raw(secret)).decode("ascii").rstrip("=")


def _base64_at(offset: int, urlsafe: bool = False) -> Encoder:
    """base64 of the secret inside a longer text whose bytes before it are ``offset`` (mod 3): HTTP basic
    auth encodes ``user:`` + password, and every character of the encoding depends on that alignment. The
    characters that mix the secret's bits with its neighbours' are cut off at both ends."""

    def encode(secret: str) -> str:
        encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(bytes(offset) + _raw(secret))
        text = encoded.decode("ascii").rstrip("=")
        start = -(-8 * offset // 6)  # the first character made of the secret's bits only
        bits = 8 * (offset + len(_raw(secret)))
        return text[start : bits // 6]  # the last character holding bits of what follows is left out

    return encode


def _idna(secret: str) -> str:
    """The host name as urllib3 writes it (lower-cased, IDNA); a value IDNA refuses stays lower-cased."""
    try:
        return secret.lower().encode("idna").decode("ascii")
    except UnicodeError:
        return secret.lower()


def _fold(value: str) -> str:
    """Case-folded with its length kept (positions in the folded text are positions in the text): host
    names are case-insensitive, and urllib3 lower-cases a URL's host in its messages."""
    folded = value.lower()
    return folded if len(folded) == len(value) else value.translate(_ASCII_LOWER)


_ASCII_LOWER = {ord(c): ord(c) + 32 for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}

_GO_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "&<>\u2028\u2029"}


def _go_json(escaped: str) -> str:
    """A JSON string body (as json.dumps writes it) with Go's HTML-safe escapes added: json.dumps leaves
    these characters as they are, so none of them is already inside an escape."""
    return escaped.translate(_GO_ESCAPES)


# name -> the function that produces output in that form (a framing quote it adds is cut off: the form
# is searched for inside a longer text)
ENCODERS: dict[str, Encoder] = {
    "as written": str,
    "repr": lambda s: repr(s)[1:-1],
    # repr picks its quote from the whole text: within a larger text that also holds a double quote, a
    # secret's apostrophe is escaped (\') where repr of the secret alone leaves it as it is
    "repr, single-quoted": lambda s: repr(s + '"')[1:-2],
    "json": lambda s: json.dumps(s)[1:-1],
    "json, UTF-8": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    # Other runtimes' JSON encoders, whose defaults the structured loggers of most images keep (adversary
    # s9b case 09): a password with a symbol every few characters leaves no PIECE-long run for the piece
    # matcher. They are not callable from here, so each is json.dumps with the escapes that runtime adds
    # on top (the only place this module writes an encoder's rules out): Go's encoding/json is HTML-safe
    # (& < > and U+2028/U+2029 as \u escapes) and writes other characters as UTF-8; PHP's json_encode
    # escapes '/' as '\/' and every non-ASCII character as a \u escape, as json.dumps does
    "json, Go": lambda s: _go_json(json.dumps(s, ensure_ascii=False)[1:-1]),
    "json, Go, ASCII": lambda s: _go_json(json.dumps(s)[1:-1]),
    "json, PHP": lambda s: json.dumps(s)[1:-1].replace("/", "\\/"),
    "json, PHP, unescaped unicode": lambda s: json.dumps(s, ensure_ascii=False)[1:-1].replace("/", "\\/"),
    "html": html.escape,
    "html, text": lambda s: html.escape(s, quote=False),
    "url path": lambda s: quote(_raw(s)),
    "url component": lambda s: quote(_raw(s), safe=""),
    "url form": lambda s: quote_plus(_raw(s)),
    "base64": _base64,
    "base64, URL-safe": _base64_url,
    # The value as it comes back from the engine: validator sends it as JSON, where a byte that is not
    # UTF-8 (held as a lone surrogate) is an escape the engine stores as U+FFFD; what validator reads
    # back (logs, exec output, health output) is decoded with errors="replace" (docker_api).
    "engine round trip": lambda s: _SURROGATE.sub("\ufffd", s),
    "read back": lambda s: _raw(s).decode("utf-8", "replace"),
    # The secret's UTF-8 bytes, as Python and pytest print bytes: repr (b'\xc3\xb8') and the escaping of
    # a bytes test id (ascii_escaped(bytes) is the same backslash form)
    "bytes repr": lambda s: repr(_raw(s))[2:-1],
    "bytes repr, single-quoted": lambda s: repr(_raw(s) + b'"')[2:-2],
    "bytes, backslash-escaped": lambda s: _raw(s).decode("ascii", "backslashreplace"),
    "hex": lambda s: _raw(s).hex(),
    # The UTF-8 bytes decoded with the wrong charset: requests decodes a text/* body without a charset as
    # ISO-8859-1 (RFC 2616), and a Windows tool as cp1252 (an o-slash reads as two characters)
    "UTF-8 read as Latin-1": lambda s: _raw(s).decode("latin-1"),
    "UTF-8 read as cp1252": lambda s: _raw(s).decode("cp1252", "replace"),
    # urllib3 lower-cases a host and writes a non-ASCII one in IDNA (punycode)
    "host name": str.lower,
    "host name, IDNA": _idna,
    "base64, after 1 byte": _base64_at(1),
    "base64, after 2 bytes": _base64_at(2),
    "base64 URL-safe, after 1 byte": _base64_at(1, urlsafe=True),
    "base64 URL-safe, after 2 bytes": _base64_at(2, urlsafe=True),
}
_generation = 0  # counts changes of ENCODERS: a redactor rebuilds its forms when it moved


def add_encoder(name: str, encode: Encoder) -> None:
    """Register a function that puts text into output (a library's escaping): every secret is masked in
    the form it gives too, from the next use of any redactor on."""
    global _generation
    if ENCODERS.get(name) is not encode:
        ENCODERS[name] = encode
        _generation += 1


def encodings(secret: str) -> set[str]:
    """The forms a secret takes once printed, escaped or put in a URL or a header."""
    forms = set()
    for encode in list(ENCODERS.values()):
        try:
            forms.add(encode(secret))
        except Exception:  # noqa: BLE001 - a library refusing one odd value must not stop the others
            continue
    if "\n" in secret:  # a key spanning lines may be printed line by line: each line is masked too
        forms.update(line.strip() for line in secret.splitlines())
    return {form for form in forms if len(form) >= MIN_LENGTH}


class Redactor:
    """Masks every registered secret (and its encodings) in text and in results. Thread-safe."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self.secrets: list[str] = []
        self.multiline: list[str] = []
        self._pattern: re.Pattern[str] | None = None
        self._edge_forms: list[str] = []
        self._grams: dict[str, list[tuple[str, int]]] = {}
        self._fragments: set[str] = set()
        self._generation = _generation
        self._stale = False  # secrets were added since the forms were built
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Register ``secrets``; the forms are built at the next use, not here: the loader registers what
        each scalar brought in as it reads it, and a build per scalar made a spec of 250 interpolated
        defaults take 17 s instead of 0.4 (every build encodes every secret again)."""
        fresh = {s for s in secrets if maskable(s)}
        with self._lock:
            if not fresh - set(self.secrets):
                return
            self.secrets = sorted(set(self.secrets) | fresh, key=len, reverse=True)
            self._stale = True

    def _build(self) -> None:
        """The pattern of every form of every secret, from the encoders registered now (lock held)."""
        self._generation = _generation
        self._stale = False
        # longest first (a form holding another is matched whole), then by text: the same pattern in every process
        forms = sorted({form for s in self.secrets for form in encodings(s)}, key=lambda form: (-len(form), form))
        self.multiline = [form for form in forms if "\n" in form]
        # a cut piece is looked for in every form, not only as written: pytest cuts a repr ('...\'q')
        self._edge_forms = [form for form in forms if len(form) > FRAGMENT]
        self._fragments = {
            f[i : i + FRAGMENT] for f in self._edge_forms if len(f) <= _INDEXED for i in range(len(f) - FRAGMENT + 1)
        }
        # a form whose every piece is indexed is masked whole by the pieces (any run of it of PIECE or more):
        # the pattern holds only the others, shorter ones, numbers (whole numbers only: never a piece of
        # a longer run of digits) and huge ones. (Case is handled by the lower-cased form and the pieces:
        # a case-insensitive pattern costs seven times as much on every line.)
        self._grams = _grams(form for form in forms if not form.isdigit())
        alternatives = [
            rf"(?<!\d){form}(?!\d)" if form.isdigit() else re.escape(form)
            for form in forms
            if len(form) < PIECE or len(form) > _INDEXED or form.isdigit()
        ]
        self._pattern = re.compile("|".join(alternatives) or "(?!)") if forms else None

    def _current(self) -> re.Pattern[str] | None:
        """The pattern, rebuilt first when a secret or an encoder was registered since it was built."""
        if (self._stale or self._generation != _generation) and self.secrets:
            with self._lock:
                if self._stale or self._generation != _generation:
                    self._build()
        return self._pattern

    def spans_lines(self) -> list[str]:
        """The forms that hold a newline (current: built first when stale)."""
        self._current()
        return self.multiline

    def safe_cut(self, text: str, cut: int) -> int:
        """The largest line start <= ``cut`` (a line start itself) where ``text`` may be split without
        splitting a secret that spans lines (a PEM key), whether it is whole in ``text`` or only begins
        at its end. Never a position inside a line: a form of a line holds no newline, so a split at a line
        start splits none of them, where a split before a multi-line form that begins in the middle of a
        line may split another form there (the shell-quoted form of a secret with a newline and an
        apostrophe begins with the apostrophe that ends its JSON form)."""
        self._current()
        for _ in range(len(self.multiline) + 2):
            moved = cut
            for form in self.multiline:
                for size in range(min(len(form) - 1, len(text)), 0, -1):
                    if text.endswith(form[:size]):  # may continue in the next write
                        moved = min(moved, len(text) - size)
                        break
                start = text.find(form, max(0, cut - len(form) + 1))
                while start != -1 and start < cut:
                    if start + len(form) > cut:
                        moved = min(moved, start)
                    start = text.find(form, start + 1)
            if moved == cut:
                return cut
            cut = text.rfind("\n", 0, moved) + 1
        return cut

    def text(self, value: str) -> str:
        pattern = self._current()
        if pattern is None or not value:
            return value
        value = pattern.sub(MASK, value)
        return self._edges(self._pieces(value))

    def _pieces(self, value: str) -> str:
        """Mask every run of ``PIECE`` or more characters of a form of a secret, wherever it is (case-folded)."""
        grams = self._grams
        if not grams or len(value) < PIECE:
            return value
        folded = _fold(value)
        spans: list[tuple[int, int]] = []
        covered = 0
        for at in range(0, len(folded) - _GRAM + 1, _STRIDE):
            places = grams.get(folded[at : at + _GRAM]) if at + _GRAM > covered else None
            for form, offset in places or ():
                start, end = _extend(folded, at, form, offset)
                if end - start >= PIECE:
                    spans.append((start, end))
                    covered = max(covered, end)
        return _masked(value, spans)

    def _edges(self, value: str) -> str:
        """Mask the cut-off piece of a secret at the start or end of the text, a line, or an ellipsis."""
        cuts = [(0, 0), (len(value), len(value)), *[(m.start(), m.end()) for m in _EDGES.finditer(value)][:1000]]
        spans: list[tuple[int, int]] = []
        for before, after in cuts:
            tail, head = value[max(0, before - FRAGMENT) : before], value[after : after + FRAGMENT]
            if tail not in self._fragments and head not in self._fragments:
                continue  # the common case, one lookup: no form of any secret holds either piece
            for secret in self._edge_forms:
                shortest = max(FRAGMENT, len(secret) // 4)
                if len(tail) == FRAGMENT and tail in secret:
                    size = next(
                        (
                            n
                            for n in range(len(secret) - 1, shortest - 1, -1)
                            if before >= n and value[before - n : before] == secret[:n]
                        ),
                        0,
                    )
                    if size:
                        spans.append((before - size, before))
                if len(head) == FRAGMENT and head in secret:
                    size = next(
                        (
                            n
                            for n in range(len(secret) - 1, shortest - 1, -1)
                            if value[after : after + n] == secret[-n:]
                        ),
                        0,
                    )
                    if size:
                        spans.append((after, after + size))
        return _masked(value, spans)

    def result(self, result: Any) -> Any:
        """A ``Result`` (or any dataclass with these text fields) with every text field masked."""
        if self._current() is None:
            return result
        changes = {
            name: self.text(getattr(result, name))
            for name in ("name", "expected", "actual", "message", "nodeid", "location", "ran_on")
            if isinstance(getattr(result, name, None), str)
        }
        return dataclasses.replace(result, **changes)

    def clip(self, value: str, limit: int) -> str:
        """Mask, then cut to the first ``limit`` characters (never the other way round)."""
        return _head(self.text(value), limit)

    def tail(self, value: str, limit: int) -> str:
        """Mask, then cut to the last ``limit`` characters (never the other way round)."""
        return _tail(self.text(value), limit)

    def quoted(self, value: object) -> str:
        """``value`` masked (every string in it, mapping keys too), then quoted as ``repr`` quotes it."""
        return repr(self._everything(value))

    def _everything(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self._everything(k): self._everything(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return type(value)(self._everything(v) for v in value)
        return value

    def deep(self, value: Any) -> Any:
        """``value`` with every string in it masked, structure kept: dataclasses, dicts, lists and
        tuples are copied; dict keys are the structure (field and metric names), not data, and stay.
        Structured output (JSON, XML, HTML, OpenMetrics) is masked this way, field by field, never
        as text: a secret that happens to be ``test`` or ``name`` must not turn ``<testsuite`` or a
        JSON key into something no parser reads."""
        if self._current() is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.deep(v) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {
                f.name: self.deep(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.init and f.name not in _FIXED_WORDS
            }
            return dataclasses.replace(value, **changes)
        return value


def _grams(forms: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
    """Every ``_GRAM``-character slice of every (case-folded) form long enough to hold a piece -> where."""
    grams: dict[str, list[tuple[str, int]]] = {}
    for form in sorted({_fold(f) for f in forms if len(f) >= PIECE}):  # sorted: the same index in every process
        last = len(form) - _GRAM + 1
        # a form longer than _INDEXED (a big secret file) is indexed at both ends only: memory stays
        # bounded (a slice costs about 150 bytes), and pieces are cut off the ends of a text
        offsets = range(last) if last <= _INDEXED else (*range(_INDEXED // 2), *range(last - _INDEXED // 2, last))
        hits: dict[str, int] = {}
        for offset in offsets:
            gram = form[offset : offset + _GRAM]
            hits[gram] = hits.get(gram, 0) + 1
            if hits[gram] <= _HITS:
                grams.setdefault(gram, []).append((form, offset))
    return grams


def _extend(text: str, at: int, form: str, offset: int) -> tuple[int, int]:
    """The longest run around ``text[at:at + _GRAM]`` equal to the same run around ``form[offset:]``."""
    before = 0
    while before < min(at, offset) and text[at - before - 1] == form[offset - before - 1]:
        before += 1
    after = _GRAM
    while offset + after < len(form) and at + after < len(text) and text[at + after] == form[offset + after]:
        after += 1
    return at - before, at + after


def _masked(value: str, spans: list[tuple[int, int]]) -> str:
    """``value`` with each span (merged where they touch) replaced by the mask."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    for start, end in reversed(merged):
        value = value[:start] + MASK + value[end:]
    return value


def _head(value: str, limit: int) -> str:
    """Masked ``value`` cut to about ``limit`` characters from its start, saying how much was left out."""
    if len(value) <= limit:
        return value
    return value[: max(0, limit - 24)] + f"... ({len(value) - limit + 24} more chars)"


def _tail(value: str, limit: int) -> str:
    """Masked ``value`` cut to about ``limit`` characters at its end, saying how much was left out."""
    if len(value) <= limit:
        return value
    return f"({len(value) - limit + 24} earlier chars) ..." + value[len(value) - max(0, limit - 24) :]


_REDACTOR = Redactor()


def redactor() -> Redactor:
    """The process-wide redactor: what every command prints, reports and stores passes it."""
    return _REDACTOR


def register(secrets: Iterable[str]) -> None:
    _REDACTOR.add(secrets)


def own_secrets(environ: Mapping[str, str]) -> list[str]:
    """The values of validator's own secret variables (``OWN_SECRETS``) that ``environ`` holds."""
    return [environ[name] for name in OWN_SECRETS if environ.get(name)]


def text(value: str) -> str:
    return _REDACTOR.text(value)


def clip(value: str, limit: int) -> str:
    """``value`` masked with every secret registered, then cut to its first ``limit`` characters: the one
    way text that may hold data is shortened (a cut before the mask leaves a piece of a secret)."""
    return _REDACTOR.clip(value, limit)


def tail(value: str, limit: int) -> str:
    """``value`` masked, then cut to its last ``limit`` characters (a log's or a tool's last words)."""
    return _REDACTOR.tail(value, limit)


def quoted(value: object) -> str:
    """``value`` masked, then quoted as ``repr`` quotes it: the one way data is quoted in a message."""
    return _REDACTOR.quoted(value)


def described(value: object) -> str:
    """What ``value`` is, never what it says (``a string of 22 characters``, ``a number``, ``a list of 3
    items``): the one way an error about bad input names what it got. The value an error fails on is
    the one nothing has registered yet (a password pasted under top-level ``secrets:``, ``DB_PASSWORD:
    pw`` written as a list item), and the error's file:line:col shows the writer where it is."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return f"a string of {len(value)} character{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return f"a value of type {type(value).__name__}"


def reset() -> None:
    """Forget every registered secret (a new command in the same process, or a test)."""
    fresh = Redactor()
    _REDACTOR.__dict__.update(fresh.__dict__)


def write_structured(text: str) -> None:
    """Write output whose fields are masked already (``Redactor.deep``) to standard output past the
    line masking, which could corrupt its structure; pending lines are flushed first."""
    stream = sys.stdout
    if isinstance(stream, RedactingStream):
        stream.flush()
        stream = stream.stream
    stream.write(text)
    stream.flush()


class RedactingStream(io.TextIOBase):
    """A text stream that masks whole lines before they reach the stream it wraps.

    Lines are held until their newline (or a flush) so that a secret written in two pieces is still
    masked, and a secret spanning lines is never split between two writes; everything else
    (``isatty``, ``fileno``, ``encoding``) is the wrapped stream's.
    """

    def __init__(self, stream: TextIO, redact: Redactor) -> None:
        super().__init__()
        self.stream = stream
        self.redact = redact
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, data: str) -> int:
        with self._lock:
            self._pending += data
            cut = self._pending.rfind("\n") + 1
            if cut and self.redact.spans_lines():
                cut = self.redact.safe_cut(self._pending, cut)
            if cut:
                head, self._pending = self._pending[:cut], self._pending[cut:]
                self.stream.write(self.redact.text(head))
        return len(data)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                pending, self._pending = self._pending, ""
                self.stream.write(self.redact.text(pending))
        with contextlib.suppress(ValueError):  # the wrapped stream was closed (a test's capture)
            self.stream.flush()

    def close(self) -> None:
        """Flush what is pending; the wrapped stream stays open (it is not ours)."""
        with contextlib.suppress(OSError, ValueError):
            self.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def install_streams() -> tuple[TextIO, TextIO]:
    """Wrap ``sys.stdout`` and ``sys.stderr``; returns the originals for ``restore_streams``."""
    original = (sys.stdout, sys.stderr)
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout, _REDACTOR)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr, _REDACTOR)
    return original


def restore_streams(original: tuple[TextIO, TextIO]) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    sys.stdout, sys.stderr = original
