"""A target of ``check --host``: contacted and identified by its engine ID, whatever the spec
contains (a spec with no service still names the machine it was checked on)."""

from __future__ import annotations

from typing import Any

from validator.core.result import Result


def identify(engine: Any) -> Result:
    """The engine's identity, from ``/info`` (``UnreachableError`` when it does not answer)."""
    info = engine.info()
    return Result(
        kind="engine",
        name="target",
        verdict="pass",
        expected="the engine answers and names itself",
        actual=f"{engine.identity()}, Docker {info.get('ServerVersion', '?')}",
        message=f"{engine.address}: engine ID {info.get('ID') or '?'}",
    )
