"""The ``http`` probe's fields: a request from the host; status, body regex, headers and JSON paths."""

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from validator.spec.files import KeyAssertion
from validator.spec.probes.base import ProbeSpec


class HttpSpec(ProbeSpec):
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
