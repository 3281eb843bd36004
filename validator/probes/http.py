"""``http``: a request from the host; status, body regex, headers and JSON paths checked."""

import contextlib
import re
import time

from validator.compare import assert_value
from validator.paths import resolve_path
from validator.probes.base import Outcome, ProbeContext
from validator.probes.seams import HttpResponse
from validator.redact import add_encoder, clip, is_secret_name, quoted, register
from validator.spec.probes.http import HttpSpec
from validator.spec.secrets import held

_BASE = "http://h/"


def url_path(value: str) -> str:
    """``value`` as requests writes it in a URL's path (the very function that prepares the request)."""
    import requests  # here: the redactor calls this only once an HTTP probe runs

    return str(requests.Request("GET", _BASE + value).prepare().url)[len(_BASE) :]


def url_query(value: str) -> str:
    """``value`` as requests writes it in a URL's query."""
    import requests  # here: as in url_path

    return str(requests.Request("GET", _BASE + "?q=" + value).prepare().url)[len(_BASE) + 3 :]


def run(spec: HttpSpec, ctx: ProbeContext) -> Outcome:
    # requests sends the URL as its PreparedRequest writes it (urllib3's encoding, then requote_uri: '{'
    # -> %7B, a space -> %20, a lone '%' -> %25, '!' kept): a server that echoes the path, and requests'
    # own errors, show a secret of the URL in that form
    add_encoder("requests URL path", url_path)
    add_encoder("requests URL query", url_query)

    started = time.monotonic()
    timeout = max(0.1, min(spec.timeout, ctx.remaining()))
    response = ctx.http.request(
        spec.method,
        spec.url,
        headers=spec.headers,
        data=spec.body,
        json=spec.json_body,
        timeout=timeout,
        verify=spec.verify_tls,
        # a redirect is judged as the answer unless the spec asks to follow it: the login page an auth
        # layer redirects to answering 200 is not the named endpoint answering 200
        follow_redirects=spec.follow_redirects,
    )
    elapsed = time.monotonic() - started
    register(received_secrets(response))
    statuses = spec.status if isinstance(spec.status, list) else [spec.status]
    metrics = {"duration": elapsed}
    target = f"{spec.method} {spec.url}{_hops(response)}"
    if response.status_code not in statuses:
        return Outcome(
            passed=False,
            expected=f"status {' or '.join(map(str, statuses))}",
            actual=f"status {response.status_code}{_location(response)}",
            message=f"{target}: {quoted(clip(response.text.strip(), 200))}",
            metrics=metrics,
        )
    problems = _problems(spec, response)
    if problems:
        return Outcome(
            passed=False,
            expected="response as specified",
            actual="; ".join(problems),
            message=target,
            metrics=metrics,
        )
    return Outcome(
        passed=True,
        expected=f"status {' or '.join(map(str, statuses))}",
        actual=f"status {response.status_code} in {elapsed * 1000:.0f} ms",
        message=target,
        metrics=metrics,
        answered_by=str(response.url) if response.history else "",
    )


def _hops(response: HttpResponse) -> str:
    """Where a followed redirect ended (the answer judged is that URL's)."""
    if not response.history:
        return ""
    return f" (after {len(response.history)} redirect(s), answered by {clip(response.url, 200)})"


def _location(response: HttpResponse) -> str:
    """A redirect not followed names where it pointed, so the reader sees why the status differs."""
    location = response.headers.get("Location") if response.is_redirect else None
    return f" (redirect to {quoted(clip(location, 200))}; set follow_redirects to follow it)" if location else ""


def _problems(spec: HttpSpec, response: HttpResponse) -> list[str]:
    """How the answer's body, headers and JSON differ from the spec's."""
    problems: list[str] = []
    if spec.body_regex and not re.search(spec.body_regex, response.text):
        problems.append(f"body does not match /{spec.body_regex}/ (body starts {quoted(clip(response.text, 120))})")
    for header, pattern in spec.response_headers.items():
        value = response.headers.get(header)
        if value is None or not re.search(pattern, value):
            problems.append(f"header {header}: {quoted(value)} does not match /{pattern}/")
    if spec.json_paths:
        try:
            document = response.json()
        except ValueError:
            problems.append("response is not JSON")
        else:
            for path, assertion in spec.json_paths.items():
                ok, actual = assert_value(resolve_path(document, path, flat=False), assertion)
                if not ok:
                    problems.append(f"{path}: expected {assertion.operator} {quoted(assertion.expected)}, got {actual}")
    return problems


# headers whose whole value is a credential whatever their name says
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "www-authenticate", "cookie"})


def received_secrets(response: HttpResponse) -> set[str]:
    """What the answer holds under a secret-named key, for the redactor, before any of it can reach a
    result: a login or token endpoint answers with live tokens (``access_token``, ``refresh_token``),
    and a failing check would show the body (adversary s9b case 12). The JSON body's values under
    secret-named keys (the rule config_keys files follow, ``held``), each cookie a ``Set-Cookie`` sets
    (a session cookie is a credential whatever it is called), and headers named as secrets."""
    found: set[str] = set()
    # not JSON, or nested past the parser's depth: no keys to read
    with contextlib.suppress(ValueError, RecursionError):
        found.update(held(response.json()))
    for name, value in response.headers.items():
        lowered = name.lower()
        if lowered == "set-cookie":
            found.update(_cookie_values(value))
        elif lowered in _CREDENTIAL_HEADERS or is_secret_name(name):
            found.update({value.strip(), *value.split(None, 1)[1:]})  # whole, and without its scheme word
    return found


def _cookie_values(header: str) -> set[str]:
    """The value of each cookie set: requests joins several Set-Cookie headers with ", ", and each is
    ``name=value; attributes``."""
    values = set()
    for part in re.split(r",\s*(?=[^;,=\s]+=)", header):
        name, _, value = part.split(";", 1)[0].partition("=")
        if name.strip() and value.strip().strip('"'):
            values.add(value.strip().strip('"'))
    return values
