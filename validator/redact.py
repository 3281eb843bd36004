"""Secrets never leave the process: every result, log line and report passes through here."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

MASK = "***redacted***"
SECRET_WORDS = ("password", "passwd", "secret", "token", "apikey", "api_key", "private_key", "credential")


def is_secret_name(name: object) -> bool:
    """A key or variable whose name says it holds a secret (``DB_PASSWORD``, ``api-key``, ``token``)."""
    return isinstance(name, str) and any(word in name.lower().replace("-", "_") for word in SECRET_WORDS)


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def result(self, result: Any) -> Any:
        if not self.secrets:
            return result
        return dataclasses.replace(
            result,
            name=self.text(result.name),
            expected=self.text(result.expected),
            actual=self.text(result.actual),
            message=self.text(result.message),
        )
