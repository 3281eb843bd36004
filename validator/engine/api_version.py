"""What the engine's API version allows (plan notes it, the create body honours it)."""

from __future__ import annotations

START_INTERVAL_API = (1, 44)  # the engine API that knows healthcheck start_interval


def api_at_least(version: str, wanted: tuple[int, int]) -> bool:
    """Whether an engine API version (``1.41``) is at least ``wanted``; unparsable counts as new."""
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        return True
    return (major, minor) >= wanted
