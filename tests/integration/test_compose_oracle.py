"""Oracle: validator's normalised model of a compose file agrees with `docker compose config`.

The corpus under tests/compose/oracle/ covers the Compose Specification's service reference
(core.yaml: the fields both tools normalise; everything.yaml: every other field). For each file,
Compose's own resolution (`config --format json`, no engine needed) is compared with validator's
model and desired state on every field both know; every field Compose keeps must be one validator
accepts. The files are pure Compose: validator reads them with its own `version`/`project` added.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.specs import load_dict
from validator.engine.compose_fields import expand_ports
from validator.engine.desired import desired_state
from validator.spec.ports import PortBinding
from validator.units import parse_duration

CORPUS = Path(__file__).parents[1] / "compose" / "oracle"
FILES = sorted(CORPUS.glob("*.yaml"))


def resolve(compose_bin: Path, folder: Path, name: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(compose_bin), "-f", name, "--profile", "*", "config", "--format", "json"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def load_validator(folder: Path, name: str) -> tuple[Any, Any]:
    data = yaml.safe_load((folder / name).read_text())
    project = data.pop("name")
    loaded = load_dict(folder, {"version": 1, "project": project, **data})
    desired = desired_state(loaded, {"COMPOSE_PROFILES": "*"}, refuse_unsupported=False)
    return loaded, desired


def _size(value: Any) -> int | None:
    return None if value is None else int(value)


def _ports(ports: list[dict[str, Any]]) -> list[str]:
    return sorted(
        str(
            PortBinding(
                host_ip=p.get("host_ip") or None,
                host_port=p.get("published") or None,
                container_port=int(p["target"]),
                protocol=p["protocol"],
            )
        )
        for p in ports
    )


def _mounts(volumes: list[dict[str, Any]], folder: Path) -> list[tuple[Any, ...]]:
    out = []
    for v in volumes:
        source = v.get("source")
        if v["type"] == "bind":
            source = str((folder / source).resolve())
        size = (v.get("tmpfs") or {}).get("size")
        out.append(
            (
                v["type"],
                source,
                v["target"],
                bool(v.get("read_only")),
                (v.get("bind") or {}).get("propagation"),
                None if size is None else int(size),
            )
        )
    return sorted(out, key=str)


def _files(entries: list[dict[str, Any]], kind: str) -> list[tuple[str, str]]:
    out = []
    for e in entries:
        target = e.get("target") or (f"/run/secrets/{e['source']}" if kind == "secrets" else f"/{e['source']}")
        if not target.startswith("/"):
            target = f"/run/secrets/{target}" if kind == "secrets" else f"/{target}"
        out.append((e["source"], target))
    return out


def theirs_service(svc: dict[str, Any]) -> dict[str, Any]:
    """Compose's resolution of one service, normalised to the shapes compared below."""
    hc = svc.get("healthcheck") or {}
    limits = ((svc.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    reservations = ((svc.get("deploy") or {}).get("resources") or {}).get("reservations") or {}
    return {
        "image": svc.get("image"),
        "command": svc.get("command"),
        "entrypoint": svc.get("entrypoint"),
        "ports": _ports(svc.get("ports") or []),
        "expose": sorted({p for e in svc.get("expose") or [] for p in expand_ports(str(e))}),
        "volumes": _mounts(svc.get("volumes") or [], Path("/")),
        "tmpfs": svc.get("tmpfs") or [],
        "healthcheck": {
            "test": hc.get("test"),
            **{k: parse_duration(hc[k]) for k in ("interval", "timeout", "start_period", "start_interval") if k in hc},
            "retries": hc.get("retries"),
        },
        "memory": _size(limits.get("memory") or svc.get("mem_limit")),
        "reservation": _size(reservations.get("memory") or svc.get("mem_reservation")),
        "memswap_limit": _size(svc.get("memswap_limit")),
        "shm_size": _size(svc.get("shm_size")),
        "cpus": float(limits.get("cpus") or svc.get("cpus") or 0) or None,
        "pids": limits.get("pids") or svc.get("pids_limit"),
        "cpu_shares": svc.get("cpu_shares"),
        "restart": svc.get("restart", "no"),
        "stop_signal": svc.get("stop_signal"),
        "stop_grace_period": parse_duration(svc["stop_grace_period"]) if "stop_grace_period" in svc else None,
        "labels": svc.get("labels") or {},
        "ulimits": {
            k: (v, v) if isinstance(v, int) else (v["soft"], v["hard"]) for k, v in (svc.get("ulimits") or {}).items()
        },
        "sysctls": svc.get("sysctls") or {},
        "dns": svc.get("dns") or [],
        "dns_search": svc.get("dns_search") or [],
        "dns_opt": svc.get("dns_opt") or [],
        "extra_hosts": dict(h.split("=", 1) for h in svc.get("extra_hosts") or []),
        "secrets": _files(svc.get("secrets") or [], "secrets"),
        "configs": _files(svc.get("configs") or [], "configs"),
        "devices": [(d["source"], d["target"], d["permissions"]) for d in svc.get("devices") or []],
        "logging": svc.get("logging"),
        "networks": {k: sorted((v or {}).get("aliases") or []) for k, v in (svc.get("networks") or {}).items()},
        "addresses": {
            k: v["ipv4_address"] for k, v in (svc.get("networks") or {}).items() if (v or {}).get("ipv4_address")
        },
        "depends_on": {
            k: (v["condition"], v.get("restart", False), v["required"])
            for k, v in (svc.get("depends_on") or {}).items()
        },
        "profiles": svc.get("profiles") or [],
        "network_mode": svc.get("network_mode"),
        "blkio": {
            k: v
            if k == "weight"
            else [{"path": d["Path"], **{f.lower(): int(x) for f, x in d.items() if f != "Path"}} for d in v]
            for k, v in (svc.get("blkio_config") or {}).items()
        },
        "scalars": {k: str(svc[k]) for k in SCALARS if k in svc},
        "lists": {k: [str(x) for x in svc[k]] for k in LISTS if k in svc},
    }


# Fields both keep as they are written (compared as text).
SCALARS = (
    "cgroup", "cgroup_parent", "container_name", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota",
    "cpu_rt_period", "cpu_rt_runtime", "cpuset", "domainname", "hostname", "init", "ipc", "isolation",
    "mac_address", "mem_swappiness", "oom_kill_disable", "oom_score_adj", "pid", "platform", "privileged",
    "pull_policy", "read_only", "runtime", "scale", "stdin_open", "tty", "user", "userns_mode", "uts",
    "working_dir", "attach",
)  # fmt: skip
LISTS = ("cap_add", "cap_drop", "security_opt", "group_add", "device_cgroup_rules", "links", "external_links",
         "volumes_from")  # fmt: skip


def ours_service(loaded: Any, desired: Any, name: str) -> dict[str, Any]:
    svc = loaded.spec.services[name]
    hc = svc.healthcheck
    want = desired.services[name]
    dumped = svc.model_dump(mode="json")
    return {
        "image": svc.image,
        "command": svc.command,
        "entrypoint": svc.entrypoint,
        "ports": sorted(str(b) for p in svc.ports for b in p.bindings()),
        "expose": want.config.get("expose", []),
        "volumes": sorted(
            (
                (
                    m.type,
                    str((loaded.base_dir / m.source).resolve()) if m.type == "bind" and m.source else m.source,
                    m.target,
                    m.read_only,
                    m.bind.propagation if m.bind else None,
                    m.tmpfs.size if m.tmpfs else None,
                )
                for m in svc.volumes
            ),
            key=str,
        ),
        "tmpfs": svc.tmpfs,
        "healthcheck": {
            "test": hc.test if hc else None,
            **{
                k: getattr(hc, k)
                for k in ("interval", "timeout", "start_period", "start_interval")
                if hc and getattr(hc, k) is not None
            },
            "retries": hc.retries if hc else None,
        },
        "memory": svc.memory_limit,
        "reservation": svc.memory_reservation,
        "memswap_limit": svc.memswap_limit,
        "shm_size": svc.shm_size,
        "cpus": svc.cpu_limit,
        "pids": svc.pids,
        "cpu_shares": svc.cpu_shares,
        "restart": svc.restart,
        "stop_signal": svc.stop_signal,
        "stop_grace_period": svc.stop_grace_period,
        "labels": want.config.get("labels", {}),  # label_file merged under labels, as Compose merges it
        "ulimits": {k: (u.soft, u.hard) for k, u in svc.ulimits.items()},
        "sysctls": svc.sysctls,
        "dns": svc.dns,
        "dns_search": svc.dns_search,
        "dns_opt": svc.dns_opt,
        "extra_hosts": svc.extra_hosts,
        "secrets": _files([r.model_dump(exclude_none=True) for r in svc.secrets], "secrets"),
        "configs": _files([r.model_dump(exclude_none=True) for r in svc.configs], "configs"),
        "devices": [(d.source, d.target or d.source, d.permissions) for d in svc.devices],
        "logging": svc.logging.model_dump(exclude_none=True) if svc.logging else None,
        "networks": {k: sorted(v.aliases) for k, v in svc.networks.items()}
        or ({} if svc.network_mode else {"default": []}),
        "addresses": {k: v.ipv4_address for k, v in svc.networks.items() if v.ipv4_address},
        "depends_on": {k: (v.condition, v.restart, v.required) for k, v in want.depends_on.items()},
        "profiles": svc.profiles,
        "network_mode": svc.network_mode,
        "blkio": svc.blkio_config.model_dump(exclude_defaults=True) if svc.blkio_config else {},
        "scalars": {k: _text(dumped[k]) for k in SCALARS if k in svc.model_fields_set},
        "lists": {k: [str(x) for x in dumped[k]] for k in LISTS if dumped[k]},
    }


def _text(value: Any) -> str:
    return str(value)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_validator_agrees_with_compose_config(compose_bin, tmp_path, path):
    folder = tmp_path / "project"
    shutil.copytree(CORPUS, folder)
    theirs = resolve(compose_bin, folder, path.name)
    loaded, desired = load_validator(folder, path.name)
    assert sorted(theirs["services"]) == sorted(loaded.spec.services)
    for name, svc in theirs["services"].items():
        expected = theirs_service(svc)
        expected["volumes"] = _mounts(svc.get("volumes") or [], folder)
        actual = ours_service(loaded, desired, name)
        for key in expected:
            assert actual[key] == expected[key], f"{path.name}: services.{name}.{key}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_top_level_resources_agree(compose_bin, tmp_path, path):
    folder = tmp_path / "project"
    shutil.copytree(CORPUS, folder)
    theirs = resolve(compose_bin, folder, path.name)
    loaded, desired = load_validator(folder, path.name)
    for key, net in (theirs.get("networks") or {}).items():
        assert desired.networks[key].name == net["name"], key
        assert desired.networks[key].options == (net.get("driver_opts") or {}), key
        api = {"Subnet": "subnet", "IPRange": "ip_range", "Gateway": "gateway", "AuxiliaryAddresses": "aux_addresses"}
        pools = [{api[k]: v for k, v in pool.items()} for pool in (desired.networks[key].ipam or {}).get("Config", [])]
        assert pools == (net.get("ipam") or {}).get("config", []), key
    for key, vol in (theirs.get("volumes") or {}).items():
        assert desired.volumes[key].name == vol["name"]
        assert desired.volumes[key].options == (vol.get("driver_opts") or {})
    for kind in ("secrets", "configs"):
        for key, entry in (theirs.get(kind) or {}).items():
            ours = getattr(loaded.spec, kind)[key]
            assert str((folder / ours.file).resolve()) == entry["file"], (kind, key)


def test_every_field_compose_keeps_is_one_validator_accepts(compose_bin, tmp_path):
    """No field of the corpus is dropped on the way: each key in Compose's output is a model field."""
    from validator.spec.service import Service

    folder = tmp_path / "project"
    shutil.copytree(CORPUS, folder)
    seen: set[str] = set()
    for path in FILES:
        for svc in resolve(compose_bin, folder, path.name)["services"].values():
            seen |= set(svc)
    assert seen - set(Service.model_fields) == set()
    assert len(seen) > 80  # the corpus covers the service reference, not a sample of it
