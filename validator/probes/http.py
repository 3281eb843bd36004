"""``http``: a request from the host; status, body regex, headers and JSON paths checked."""

import re
import time
from typing import Any, Literal

from pydantic import Field, field_validator

from validator.probes.base import Outcome, ProbeContext, ProbeSpec
from validator.redact import clip, quoted
from validator.spec.files import KeyAssertion


class Spec(ProbeSpec):
    kind: Literal["http"]
    url: str
    method: Literal["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(None, description="Request body (text).")
    json_body: Any = Field(None, alias="json", description="Request body sent as JSON.")
    status: int | list[int] = 200
    body_regex: str | None = Field(None, description="Regex that must be found in the response body.")
    response_headers: dict[str, str] = Field(default_factory=dict, description="Header -> regex.")
    json_paths: dict[str, KeyAssertion] = Field(
        default_factory=dict, description="JSON path in the response -> assertion."
    )
    verify_tls: bool = True
    follow_redirects: bool = Field(
        False,
        description="Follow redirects and judge the final answer (named in the result). Off by default: a 302 to a "
        "login page is not the URL the probe names answering.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            # not quoted: a URL may carry credentials (user:password@, ?token=); the place is in the finding
            raise ValueError("invalid URL: expected http:// or https:// and a host")
        return value


_BASE = "http://h/"


def url_path(value: str) -> str:
    """``value`` as requests writes it in a URL's path (the very function that prepares the request)."""
    import requests

    return str(requests.Request("GET", _BASE + value).prepare().url)[len(_BASE) :]


def url_query(value: str) -> str:
    """``value`` as requests writes it in a URL's query."""
    import requests

    return str(requests.Request("GET", _BASE + "?q=" + value).prepare().url)[len(_BASE) + 3 :]


def run(spec: Spec, ctx: ProbeContext) -> Outcome:
    import requests

    from validator.compare import assert_value
    from validator.paths import resolve_path
    from validator.redact import add_encoder

    # requests sends the URL as its PreparedRequest writes it (urllib3's encoding, then requote_uri: '{'
    # -> %7B, a space -> %20, a lone '%' -> %25, '!' kept): a server that echoes the path, and requests'
    # own errors, show a secret of the URL in that form
    add_encoder("requests URL path", url_path)
    add_encoder("requests URL query", url_query)

    started = time.monotonic()
    timeout = max(0.1, min(spec.timeout, ctx.remaining()))
    response = requests.request(
        spec.method,
        spec.url,
        headers=spec.headers,
        data=spec.body,
        json=spec.json_body,
        timeout=timeout,
        verify=spec.verify_tls,
        # a redirect is judged as the answer unless the spec asks to follow it: the login page an auth
        # layer redirects to answering 200 is not the named endpoint answering 200
        allow_redirects=spec.follow_redirects,
    )
    elapsed = time.monotonic() - started
    statuses = spec.status if isinstance(spec.status, list) else [spec.status]
    metrics = {"duration": elapsed}
    target = f"{spec.method} {spec.url}{_hops(response)}"
    if response.status_code not in statuses:
        return Outcome(
            False,
            f"status {' or '.join(map(str, statuses))}",
            f"status {response.status_code}{_location(response)}",
            f"{target}: {quoted(clip(response.text.strip(), 200))}",
            metrics,
        )
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
    if problems:
        return Outcome(False, "response as specified", "; ".join(problems), target, metrics)
    return Outcome(
        True,
        f"status {' or '.join(map(str, statuses))}",
        f"status {response.status_code} in {elapsed * 1000:.0f} ms",
        target,
        metrics,
    )


def _hops(response: Any) -> str:
    """Where a followed redirect ended (the answer judged is that URL's)."""
    if not response.history:
        return ""
    return f" (after {len(response.history)} redirect(s), answered by {clip(response.url, 200)})"


def _location(response: Any) -> str:
    """A redirect not followed names where it pointed, so the reader sees why the status differs."""
    location = response.headers.get("Location") if response.is_redirect else None
    return f" (redirect to {quoted(clip(location, 200))}; set follow_redirects to follow it)" if location else ""
