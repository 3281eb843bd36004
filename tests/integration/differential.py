"""The differential ``up``: one compose file, ``docker compose up -d`` and ``validator up`` on one engine
(each under its own project name, from the same folder), every object each tool made read back with
``docker inspect`` and normalised (the project's name taken out, engine-chosen values such as IDs and
addresses left out), then compared field by field.

Images are replaced by one local stand-in (an override file, the same for both tools): no registry
is reachable here. What still differs by design is listed in ``BY_DESIGN`` (and in docs/spec.md);
every other difference is a finding.

Run over the whole corpus by hand: ``python -m tests.integration.differential [NAME...]`` prints each
fixture's outcome (equal, differences, or who refused it and why).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STANDIN = "validator-test/standin:2"
# serves HTTP on port 80 (fixtures' health checks ask nginx's port), stops at once on SIGTERM (busybox
# sleep as PID 1 would wait out the grace), runs until then
STANDIN_CMD = '["sh", "-c", "httpd -p 80 -h /www; trap \'exit 0\' TERM INT; while :; do sleep 1; done"]'
COMPOSE_LABEL = "com.docker.compose."
VALIDATOR_LABEL = "dev.validator."

# Differences by design (docs/spec.md, "validator and docker compose up, field by field"):
BY_DESIGN = (
    # Compose's hash of its Go model cannot be reproduced: validator writes its own keyed hash
    "label com.docker.compose.config-hash",
    # who wrote the container
    "label com.docker.compose.version",
)


def ensure_standin() -> str:
    """The stand-in image every service of a differential run uses (built once from the test busybox)."""
    from tests.harness.images import ensure_busybox_image

    if subprocess.run(["docker", "image", "inspect", STANDIN], capture_output=True).returncode == 0:
        return STANDIN
    base = ensure_busybox_image()
    done = subprocess.run(
        ["docker", "build", "-q", "-t", STANDIN, "-"],
        # every busybox applet (top, ping, nc...): fixtures run them as their commands
        input=f'FROM {base}\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD {STANDIN_CMD}\n',
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cannot build the stand-in image: {done.stderr.strip()}")
    return STANDIN


@dataclass(kw_only=True)
class Outcome:
    name: str
    compose: str = ""  # "" when Compose brought it up, else why not
    validator: str = ""  # "" when validator brought it up, else why not (its exit and last lines)
    differences: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.compose:
            return f"{self.name}: compose refused: {self.compose}"
        if self.validator:
            return f"{self.name}: validator refused: {self.validator}"
        if self.differences:
            return f"{self.name}: {len(self.differences)} differences:\n  " + "\n  ".join(self.differences)
        return f"{self.name}: equal"


def standin_override(compose_file: Path, env: dict[str, str], binary: Path, folder: Path) -> dict[str, Any]:
    """An override file setting every service's image to the stand-in (services read from Compose's own
    ``config``, so includes and extends are seen)."""
    done = subprocess.run(
        [str(binary), "-f", str(compose_file), "--profile", "*", "config", "--format", "json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    services = json.loads(done.stdout)["services"] if done.returncode == 0 else {}
    return {"services": {name: {"image": STANDIN} for name in services}}


def run(
    *,
    name: str,
    folder: Path,
    files: list[str],
    project: str,
    binary: Path,
    env: dict[str, str] | None = None,
    python: str = sys.executable,
) -> Outcome:
    """Both tools up from ``folder`` (``files`` relative to it), compared, both taken down again."""
    outcome = Outcome(name=name)
    base_env = {k: v for k, v in (env or os.environ).items() if not k.startswith("COMPOSE_")}
    override = folder / "standin.override.yaml"
    override.write_text(yaml.safe_dump(standin_override(folder / files[0], base_env, binary, folder)))
    all_files = [*files, override.name]
    theirs, ours = f"{project}c", f"{project}v"
    compose_cmd = [str(binary), "-p", theirs, *(a for f in all_files for a in ("-f", f))]
    ours_cmd = [python, "-m", "validator"]
    ours_files = [a for f in all_files for a in ("-f", f)]
    ours_env = {**base_env, "COMPOSE_PROJECT_NAME": ours}
    # one tool after the other: a fixed host port or subnet can be held by one project at a time
    declared = "\n".join((folder / f).read_text(errors="replace") for f in files)
    try:
        up = subprocess.run(
            [*compose_cmd, "up", "-d"], cwd=folder, env=base_env, capture_output=True, text=True, timeout=300
        )
        if up.returncode != 0:
            outcome.compose = _last(up.stderr)
            return outcome
        compose_made = snapshot(theirs, declared)
    finally:
        subprocess.run(
            [*compose_cmd, "down", "-v", "-t", "0"], cwd=folder, env=base_env, capture_output=True, timeout=300
        )
        # a failing pre_stop hook stops Compose's down there: by name alone, no hook runs
        subprocess.run(
            [str(binary), "-p", theirs, "down", "-v", "-t", "0"],
            cwd=folder,
            env=base_env,
            capture_output=True,
            timeout=300,
        )
    try:
        done = subprocess.run(
            [*ours_cmd, "up", "-q", *ours_files], cwd=folder, env=ours_env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            outcome.validator = f"exit {done.returncode}: {_last(done.stderr or done.stdout)}"
            return outcome
        outcome.differences = compare(compose_made, snapshot(ours, declared))
    finally:
        subprocess.run(
            [*ours_cmd, "down", "-q", "--volumes", "-p", ours],
            cwd=folder,
            env=ours_env,
            capture_output=True,
            timeout=300,
        )
    return outcome


def _last(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def _docker(*args: str) -> Any:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout) if done.returncode == 0 and done.stdout.strip() else []


def snapshot(project: str, declared: str = "") -> dict[str, Any]:
    """Every container, network and volume of ``project`` (by Compose's project label, which both tools
    write), normalised; ``declared``: the files' text (a subnet it names is compared, one the engine
    chose is not)."""
    label = f"label={COMPOSE_LABEL}project={project}"
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", label], capture_output=True, text=True).stdout.split()
    nets = subprocess.run(["docker", "network", "ls", "-q", "--filter", label], capture_output=True, text=True)
    vols = subprocess.run(["docker", "volume", "ls", "-q", "--filter", label], capture_output=True, text=True)
    containers = _docker("inspect", *ids) if ids else []
    names = {c["Id"]: c["Name"].lstrip("/") for c in containers}
    out: dict[str, Any] = {"containers": {}, "networks": {}, "volumes": {}}
    for detail in containers:
        key = _strip(detail["Name"].lstrip("/"), project)
        out["containers"][key] = _strip(container(detail, names), project)
    for detail in _docker("network", "inspect", *nets.stdout.split()) if nets.stdout.split() else []:
        out["networks"][_strip(detail["Name"], project)] = _strip(network(detail, declared), project)
    for detail in _docker("volume", "inspect", *vols.stdout.split()) if vols.stdout.split() else []:
        out["volumes"][_strip(detail["Name"], project)] = _strip(volume(detail), project)
    return out


def _strip(value: Any, project: str) -> Any:
    """The project's name replaced by PROJECT everywhere (names, labels, aliases, sources)."""
    text = json.dumps(value, sort_keys=True)
    return json.loads(re.sub(re.escape(project) + r"(?![a-z0-9])", "PROJECT", text))


def _labels(labels: dict[str, str] | None) -> dict[str, str]:
    out = {k: v for k, v in (labels or {}).items() if not k.startswith(VALIDATOR_LABEL)}
    key = COMPOSE_LABEL + "depends_on"
    if key in out:  # Compose writes its entries in its map's order, which varies from run to run
        out[key] = ",".join(sorted(out[key].split(",")))
    return out


def container(detail: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    config, host = detail["Config"], detail["HostConfig"]
    short = detail["Id"][:12]
    networks = {}
    for net, endpoint in (detail["NetworkSettings"].get("Networks") or {}).items():
        networks[net] = {
            "aliases": sorted({a for a in endpoint.get("Aliases") or [] if a != short}),  # one name, once
            "links": sorted(endpoint.get("Links") or []),
            "ipam": endpoint.get("IPAMConfig") or None,
        }
    hostname = config.get("Hostname")
    # the engine's default hostname is a container's short ID (its own, or the one whose network it shares)
    owner = next((n for cid, n in names.items() if hostname and cid.startswith(hostname)), None)
    hostname = f"the ID of {owner}" if owner else hostname
    return {
        "image": config.get("Image"),
        "env": sorted(config.get("Env") or []),
        "cmd": config.get("Cmd"),
        "entrypoint": config.get("Entrypoint"),
        "working_dir": config.get("WorkingDir"),
        "user": config.get("User"),
        "hostname": hostname,
        "domainname": config.get("Domainname"),
        "labels": _labels(config.get("Labels")),
        "exposed": sorted(_expose(config.get("ExposedPorts") or {})),
        "healthcheck": config.get("Healthcheck"),
        "stop_signal": config.get("StopSignal"),
        "stop_timeout": config.get("StopTimeout"),
        "tty": config.get("Tty"),
        "stdin_open": config.get("OpenStdin"),
        "mounts": sorted(
            # what the container sees (``Binds`` and the ``Mounts`` API are two spellings of it)
            (m["Type"], m["Destination"], m["RW"], m.get("Name") or m.get("Source", ""), m.get("Propagation", ""))
            for m in detail.get("Mounts") or []
            if not (m["Type"] == "volume" and _anonymous(m.get("Name", "")))
        ),
        "anonymous volumes": sorted(
            m["Destination"]
            for m in detail.get("Mounts") or []
            if m["Type"] == "volume" and _anonymous(m.get("Name", ""))
        ),
        "networks": networks,
        "host": _host(host, names),
    }


def _anonymous(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _expose(ports: dict[str, Any]) -> Iterator[str]:
    from validator.engine.compose_fields import expand_ports

    for key in ports:
        yield from expand_ports(key)


_HOST_KEYS = (
    "Tmpfs", "PortBindings", "RestartPolicy", "Memory", "MemoryReservation", "MemorySwap",
    "MemorySwappiness", "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota", "CpusetCpus", "PidsLimit", "ShmSize",
    "Ulimits", "LogConfig", "CapAdd", "CapDrop", "Sysctls", "Dns", "DnsSearch", "DnsOptions", "ExtraHosts", "Init",
    "Privileged", "ReadonlyRootfs", "SecurityOpt", "NetworkMode", "IpcMode", "PidMode", "UTSMode", "UsernsMode",
    "Devices", "GroupAdd", "OomScoreAdj", "OomKillDisable", "BlkioWeight", "Runtime", "CgroupnsMode", "Isolation",
    "DeviceRequests", "StorageOpt", "CgroupParent",
)  # fmt: skip
_UNORDERED = {"Binds", "Ulimits", "CapAdd", "CapDrop", "ExtraHosts", "Devices", "GroupAdd", "SecurityOpt", "Dns"}


def _host(host: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _HOST_KEYS:
        value = host.get(key)
        if value in (None, [], {}, "", 0, False):
            continue
        if key in _UNORDERED and isinstance(value, list):
            value = sorted(value, key=lambda item: json.dumps(item, sort_keys=True))
        out[key] = value
    for key in ("NetworkMode", "IpcMode", "PidMode"):  # container:<id> names the container instead
        mode = str(out.get(key, ""))
        if mode.startswith("container:"):
            target = mode.partition(":")[2]
            out[key] = "container:" + next((n for cid, n in names.items() if cid.startswith(target)), target)
    if "PortBindings" in out:
        out["PortBindings"] = {
            port: sorted((b.get("HostIp") or "", b.get("HostPort") or "") for b in bindings or [])
            for port, bindings in out["PortBindings"].items()
        }
    restart = out.get("RestartPolicy") or {}
    if restart.get("Name") in ("", "no") and not restart.get("MaximumRetryCount"):
        out.pop("RestartPolicy", None)  # the engine's "no restart", however it is spelt
    return out


def network(detail: dict[str, Any], declared: str = "") -> dict[str, Any]:
    ipam = detail.get("IPAM") or {}
    pools = [p if str(p.get("Subnet", "")) in declared else "chosen by the engine" for p in ipam.get("Config") or []]
    return {
        "driver": detail.get("Driver"),
        "internal": detail.get("Internal"),
        "attachable": detail.get("Attachable"),
        "ipv6": detail.get("EnableIPv6"),
        "ipam": {"driver": ipam.get("Driver"), "config": pools, "options": ipam.get("Options")},
        "options": detail.get("Options") or {},
        "labels": _labels(detail.get("Labels")),
    }


def volume(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "driver": detail.get("Driver"),
        "options": detail.get("Options") or {},
        "labels": _labels(detail.get("Labels")),
    }


def compare(theirs: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """Every difference, as ``KIND NAME: FIELD: compose X, validator Y``, but for those by design."""
    out: list[str] = []
    for kind in ("containers", "networks", "volumes"):
        for name in sorted(set(theirs[kind]) | set(ours[kind])):
            if name not in ours[kind]:
                out.append(f"{kind} {name}: made by compose only")
                continue
            if name not in theirs[kind]:
                out.append(f"{kind} {name}: made by validator only")
                continue
            out += [f"{kind} {name}: {d}" for d in _diff(theirs[kind][name], ours[kind][name])]
    return [line for line in out if not any(f": {why}:" in line for why in BY_DESIGN)]


def _diff(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            label = f"label {key}" if where == "labels" else (f"{where}.{key}" if where else key)
            out += _diff(a.get(key), b.get(key), label)
        return out
    if a != b:
        return [f"{where}: compose {json.dumps(a)[:200]}, validator {json.dumps(b)[:200]}"]
    return []


def fixture_env(folder: Path) -> dict[str, str]:
    """This process's environment plus the variables the fixture's e2e test sets (its ``dx.env``;
    ``{DIR}`` is the folder the fixture runs in)."""
    env = dict(os.environ)
    dx = folder / "dx.env"
    if dx.is_file():
        for line in dx.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                env[key.strip()] = value.strip().replace("{DIR}", str(folder))
    return env


def e2e_cases(root: Path) -> Iterator[tuple[str, Path]]:
    for folder in sorted((root / "compose-e2e").iterdir()):
        if (folder / "compose.yaml").is_file():
            yield folder.name, folder


def main(argv: list[str]) -> int:
    """Every (or each named) Compose e2e fixture through both tools; one line per fixture."""
    import tempfile
    import uuid

    from tests.corpora import corpora

    root = corpora()
    if root is None:
        print("no corpora beside the checkout (VALIDATOR_CORPORA)")
        return 2
    import compose  # type: ignore[import-not-found]

    binary = Path(compose.__file__).parent / "docker-compose"
    ensure_standin()
    start = argv[1] if argv[:1] == ["--from"] else None  # resume a run: this fixture and the ones after
    names = [] if start else argv
    for name, source in e2e_cases(root):
        if (names and name not in names) or (start and name < start):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / name
            shutil.copytree(source, folder)
            env = fixture_env(folder)
            project = f"vd{uuid.uuid4().hex[:6]}"
            try:
                outcome = run(name=name, folder=folder, files=["compose.yaml"], project=project, binary=binary, env=env)
            except subprocess.TimeoutExpired as exc:  # an engine other runs share may stall for minutes
                outcome = Outcome(name=name, compose=f"timed out: {' '.join(map(str, exc.cmd))[:120]}")
            print(outcome.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
