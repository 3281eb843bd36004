"""Networks and volumes as the engine holds them against the spec: how an existing one differs.

A network or volume is created once and then matched by name; a definition changed since (``internal``,
a subnet, a driver option such as a tmpfs volume) would otherwise be kept as it was, and every service
on it judged as if it had the spec's. Rule (adversary graph6 case 08): compared in full, each field
against what the spec sets or, where it sets none, what the engine holds for an object created without
it (no option, the ``bridge``/``local`` driver, the ``default`` IPAM driver: measured on engine 20.10,
for validator's objects and Compose 2.40's alike); so an option the spec dropped (a tmpfs volume become
a plain one) is drift, not "anything goes". Not compared: an IPAM subnet the spec does not set (the
engine allocates one, and its record does not say whether it was asked), and the options the engine
writes itself (``_ENGINE_OPTIONS``). The engine's list calls return these fields, so this costs no
extra call. A pure function of the two records, for the planner.
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
    if have.get("Driver") != (want.driver or "bridge"):
        out.append(f"driver: {have.get('Driver')} -> {want.driver or 'bridge'}")
    out += _options("driver_opts", want.options, have.get("Options"))
    out += _ipam(want.ipam, have.get("IPAM") or {})
    return out


def volume_drift(want: DesiredVolume, have: Mapping[str, Any]) -> list[str]:
    out = []
    if (want.driver or "local") != (have.get("Driver") or "local"):
        out.append(f"driver: {have.get('Driver')} -> {want.driver or 'local'}")
    return out + _options("driver_opts", want.options, have.get("Options"))


# Options a driver writes on its networks itself: not the spec's, not drift.
_ENGINE_OPTIONS = frozenset({"com.docker.network.driver.overlay.vxlanid_list"})


def _options(name: str, want: Mapping[str, str], have: Any) -> list[str]:
    held = have if isinstance(have, Mapping) else {}
    # values are not shown: an option may carry a credential (a CIFS password in ``o``)
    out = [f"{name}.{key} differs" for key, value in sorted(want.items()) if str(held.get(key)) != str(value)]
    extra = sorted(set(held) - set(want) - _ENGINE_OPTIONS)
    return out + [f"{name}.{key}: set, the spec does not set it" for key in extra]


def _ipam(want: Mapping[str, Any] | None, have: Mapping[str, Any]) -> list[str]:
    want = want or {}
    out = []
    if (have.get("Driver") or "default") != (want.get("Driver") or "default"):
        out.append(f"ipam.driver: {have.get('Driver')} -> {want.get('Driver') or 'default'}")
    out += _options("ipam.options", want.get("Options") or {}, have.get("Options"))
    held = [dict(c) for c in have.get("Config") or []]
    for config in want.get("Config") or []:
        asked = {k: v for k, v in config.items() if k in ("Subnet", "IPRange", "Gateway") and v}
        if asked and not any(all(c.get(k) == v for k, v in asked.items()) for c in held):
            shown = ", ".join(f"{k.lower()} {v}" for k, v in asked.items())
            now = "; ".join(str(c.get("Subnet")) for c in held) or "none"
            out.append(f"ipam.config: {now} -> {shown}")
    return out
