"""Networks and volumes as the engine holds them against the spec: how an existing one differs.

A network or volume is created once and then matched by name; a definition changed since (``internal``,
a subnet, a driver option such as a tmpfs volume) would otherwise be kept as it was, and every service
on it judged as if it had the spec's. Only what the spec sets is compared (the engine fills defaults in:
its own options, an IPAM config when the spec gives none). The engine's list calls return these fields,
so this costs no extra call. A pure function of the two records, for the planner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validator.engine.desired import DesiredNetwork, DesiredVolume


def network_drift(want: DesiredNetwork, have: Mapping[str, Any]) -> list[str]:
    """What differs, field by field (``internal: false -> true``); empty when it matches."""
    out = [
        f"{name}: {str(bool(have.get(key))).lower()} -> {str(wanted).lower()}"
        for name, key, wanted in (
            ("internal", "Internal", want.internal),
            ("enable_ipv6", "EnableIPv6", want.enable_ipv6),
            ("attachable", "Attachable", want.attachable),
        )
        if bool(have.get(key)) != wanted
    ]
    if want.driver and have.get("Driver") != want.driver:
        out.append(f"driver: {have.get('Driver')} -> {want.driver}")
    out += _options("driver_opts", want.options, have.get("Options"))
    out += _ipam(want.ipam, have.get("IPAM") or {})
    return out


def volume_drift(want: DesiredVolume, have: Mapping[str, Any]) -> list[str]:
    out = []
    if (want.driver or "local") != (have.get("Driver") or "local"):
        out.append(f"driver: {have.get('Driver')} -> {want.driver or 'local'}")
    return out + _options("driver_opts", want.options, have.get("Options"))


def _options(name: str, want: Mapping[str, str], have: Any) -> list[str]:
    held = have if isinstance(have, Mapping) else {}
    # values are not shown: an option may carry a credential (a CIFS password in ``o``)
    return [f"{name}.{key} differs" for key, value in sorted(want.items()) if str(held.get(key)) != str(value)]


def _ipam(want: Mapping[str, Any] | None, have: Mapping[str, Any]) -> list[str]:
    if not want:
        return []
    out = []
    if want.get("Driver") and (have.get("Driver") or "default") != want["Driver"]:
        out.append(f"ipam.driver: {have.get('Driver')} -> {want['Driver']}")
    held = [dict(c) for c in have.get("Config") or []]
    for config in want.get("Config") or []:
        asked = {k: v for k, v in config.items() if k in ("Subnet", "IPRange", "Gateway") and v}
        if asked and not any(all(c.get(k) == v for k, v in asked.items()) for c in held):
            shown = ", ".join(f"{k.lower()} {v}" for k, v in asked.items())
            now = "; ".join(str(c.get("Subnet")) for c in held) or "none"
            out.append(f"ipam.config: {now} -> {shown}")
    return out
