"""Judging a container Compose started: the create body against what `docker inspect` reports."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.harness.specs import base_spec, load_dict
from validator.engine.body import create_body
from validator.engine.compose_observe import drift, host_drift, network_drift
from validator.engine.desired import desired_state

IMAGE_ID = "sha256:" + "b" * 64
CONTAINER_ID = "c0ffee" * 10 + "abcd"


def body_and_inspect(tmp_path) -> tuple[dict[str, Any], dict[str, Any]]:
    (tmp_path / "conf").mkdir()
    spec = base_spec(
        web={
            "image": "web:1",
            "command": ["httpd", "-f"],
            "environment": {"PASSWORD": "s3cret-value", "MODE": "test"},
            "ports": ["127.0.0.1:8080:80"],
            "expose": ["3000"],
            "volumes": ["./conf:/etc/conf:ro", "data:/data"],
            "mem_limit": "64m",
            "cap_drop": ["NET_RAW"],
            "restart": "on-failure:3",
            "init": True,
        }
    )
    spec["volumes"] = {"data": None}
    desired = desired_state(load_dict(tmp_path, spec), {})
    body, _ = create_body(
        desired.services["web"],
        project="demo",
        image_id=IMAGE_ID,
        spec_files=("infra.yaml",),
        api_version="1.41",
        version="0.1.0",
    )
    # What the engine reports for the container Compose made from the same block.
    detail = {
        "Image": IMAGE_ID,
        "Config": {
            "Cmd": ["httpd", "-f"],
            "Env": ["MODE=test", "PASSWORD=s3cret-value", "PATH=/bin"],
            "Labels": {"com.docker.compose.project": "demo", "com.docker.compose.service": "web"},
            "ExposedPorts": {"3000": {}, "80/tcp": {}},
        },
        "HostConfig": {
            "Memory": 64 * 2**20,
            "CapDrop": ["CAP_NET_RAW"],
            "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
            "Init": True,
            "PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]},
            "NetworkMode": "demo_default",
            "Binds": None,
        },
        "Mounts": [
            {"Type": "bind", "Source": str(tmp_path / "conf"), "Destination": "/etc/conf", "RW": False},
            {"Type": "volume", "Name": "demo_data", "Destination": "/data", "RW": True},
        ],
        # the endpoint as the engine reports it: Compose's aliases, and the container's short ID (API < 1.45)
        "Id": CONTAINER_ID,
        "NetworkSettings": {
            "Networks": {
                "demo_default": {"Aliases": ["web", "demo-web-1", CONTAINER_ID[:12]], "IPAMConfig": {}, "Links": None}
            }
        },
    }
    return body, detail


def test_a_container_as_the_spec_asks_has_no_drift(tmp_path):
    body, detail = body_and_inspect(tmp_path)
    assert drift(body, detail, IMAGE_ID) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["Config"].update(Env=["MODE=test", "PASSWORD=changed-pw"]), "environment: PASSWORD differs"),
        (lambda d: d["Config"].update(Env=["PASSWORD=s3cret-value"]), "environment: MODE is missing"),
        (
            lambda d: d["HostConfig"].update(Memory=128 * 2**20),
            f"Memory: {64 * 2**20} wanted, the container has {128 * 2**20}",
        ),
        (lambda d: d["HostConfig"].update(Init=False), "init differs"),
        (lambda d: d["Mounts"][0].update(RW=True), "volumes: /etc/conf differs"),
        (lambda d: d["Mounts"].pop(1), "volumes: /data is missing"),
        (lambda d: d["HostConfig"]["PortBindings"]["80/tcp"][0].update(HostPort="9090"), "ports differ"),
        (lambda d: d["Config"].update(ExposedPorts={"80/tcp": {}}), "expose: 3000/tcp is not exposed"),
        (lambda d: d["Config"].update(Cmd=["sleep"]), "command differs"),
        (lambda d: d.update(Image="sha256:" + "c" * 64), "image: web:1 is not the image the container runs"),
        (lambda d: d["HostConfig"].update(RestartPolicy={"Name": "always"}), "restart: on-failure:3 wanted"),
        (lambda d: d["NetworkSettings"].update(Networks={"other": {}}), "networks: not attached to demo_default"),
        (
            lambda d: d["NetworkSettings"]["Networks"].update(other={}),
            "networks: attached to other, which the spec does not give it",
        ),
    ],
)
def test_each_difference_is_named(tmp_path, change, reason):
    body, detail = body_and_inspect(tmp_path)
    changed = copy.deepcopy(detail)
    change(changed)
    reasons = drift(body, changed, IMAGE_ID)
    assert any(r.startswith(reason) for r in reasons), reasons
    assert "s3cret" not in str(reasons) and "changed-pw" not in str(reasons)  # names, never values


def test_order_that_carries_no_meaning_is_not_a_difference(tmp_path):
    body, detail = body_and_inspect(tmp_path)
    body["HostConfig"]["CapAdd"] = ["CAP_NET_ADMIN", "CAP_SYS_TIME"]
    detail["HostConfig"]["CapAdd"] = ["CAP_SYS_TIME", "CAP_NET_ADMIN"]
    assert drift(body, detail, IMAGE_ID) == []
    detail["HostConfig"]["CapAdd"] = ["CAP_SYS_TIME"]
    assert drift(body, detail, IMAGE_ID) == ["CapAdd differs"]


def test_a_bare_pass_through_name_is_judged_as_compose_writes_it(tmp_path):
    """`environment: [NOWHERE]` with NOWHERE set nowhere: both tools send a bare NOWHERE (the engine
    removes the variable) and the engine reports it bare; a value there is a difference."""
    spec = base_spec(web={"image": "web:1", "environment": ["NOWHERE", "MODE=test"]})
    desired = desired_state(load_dict(tmp_path, spec), {})
    body, _ = create_body(
        desired.services["web"],
        project="demo",
        image_id=IMAGE_ID,
        spec_files=("infra.yaml",),
        api_version="1.41",
        version="0.1.0",
    )
    assert body["Env"] == ["MODE=test", "NOWHERE"]
    detail = {"Image": IMAGE_ID, "Config": {"Env": ["MODE=test", "NOWHERE", "PATH=/bin"]}, "HostConfig": {}}
    assert [r for r in drift(body, detail, IMAGE_ID) if r.startswith("environment")] == []
    detail["Config"]["Env"] = ["MODE=test", "NOWHERE=from-image"]
    assert "environment: NOWHERE differs" in drift(body, detail, IMAGE_ID)


@pytest.mark.parametrize(
    ("body", "extra", "attached", "reasons"),
    [
        # the networks of the spec: the one in the create body and the ones connected before the start
        ({"NetworkingConfig": {"EndpointsConfig": {"p_back": {}}}}, [("p_front", [])], {"p_back", "p_front"}, []),
        (
            {"NetworkingConfig": {"EndpointsConfig": {"p_back": {}}}},
            [("p_front", [])],
            {"p_front", "elsewhere"},
            ["networks: not attached to p_back", "networks: attached to elsewhere, which the spec does not give it"],
        ),
        # network_mode: the engine lists the mode's own network ("default" is bridge)
        ({"HostConfig": {"NetworkMode": "bridge"}}, [], {"bridge"}, []),
        ({"HostConfig": {}}, [], {"bridge", "p_x"}, ["networks: attached to p_x, which the spec does not give it"]),
        ({"HostConfig": {"NetworkMode": "host"}}, [], {"host"}, []),
        # another container's network stack: nothing of its own to compare
        ({"HostConfig": {"NetworkMode": "container:abc"}}, [], set(), []),
    ],
)
def test_a_container_is_on_exactly_the_networks_of_the_spec(body, extra, attached, reasons):
    detail = {"NetworkSettings": {"Networks": {name: {} for name in attached}}}
    assert network_drift(body, extra, detail) == reasons


def _endpoint(aliases=(), ipv4="", links=None):
    return {"Aliases": list(aliases), "IPAMConfig": {"IPv4Address": ipv4} if ipv4 else None, "Links": links}


_DB = "d" * 64


@pytest.mark.parametrize(
    ("back", "front", "reasons"),
    [
        # as made: the spec's aliases (and the engine's own short ID), the fixed address, the links
        (
            _endpoint(["p-db-1", "db", "database", _DB[:12]], "10.0.0.10", ["p-x-1:x"]),
            _endpoint(["p-db-1", "db"], "", ["p-x-1:x"]),
            [],
        ),
        # disconnected and connected again by hand (graph6 case 03): aliases, address and links gone
        (
            _endpoint([_DB[:12]]),
            _endpoint(["p-db-1", "db"], "", ["p-x-1:x"]),
            [
                "networks: p_back: aliases missing: database, db, p-db-1",
                "networks: p_back: links differ",
                "networks: p_back: ipv4_address 10.0.0.10 wanted, the endpoint has another",
            ],
        ),
        # an alias the spec does not give (it answers for another name) and a fixed address it does not ask
        (
            _endpoint(["p-db-1", "db", "database", "web"], "10.0.0.10", ["p-x-1:x"]),
            _endpoint(["p-db-1", "db"], "10.1.0.9", ["p-x-1:x"]),
            [
                "networks: p_back: 1 alias(es) the spec does not give it",
                "networks: p_front: a fixed ipv4_address the spec does not give it",
            ],
        ),
    ],
)
def test_each_endpoint_is_the_one_the_spec_asks_for(back, front, reasons):
    body = {
        "NetworkingConfig": {
            "EndpointsConfig": {
                "p_back": {
                    "Aliases": ["p-db-1", "db", "database"],
                    "Links": ["p-x-1:x"],
                    "IPAMConfig": {"IPv4Address": "10.0.0.10"},
                }
            }
        }
    }
    detail = {"Id": _DB, "NetworkSettings": {"Networks": {"p_back": back, "p_front": front}}}
    assert network_drift(body, [("p_front", ["p-db-1", "db"])], detail, {"p_back": {"ipv4": "10.0.0.10"}}) == reasons


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        # graph6 case 02: limits the spec leaves unset, written later in place by `docker update`
        (
            {"Memory": 6 * 2**20, "MemorySwap": 6 * 2**20},
            "Memory: the spec sets none, the container has 6291456",
        ),
        ({"NanoCpus": 10**7}, "NanoCpus: the spec sets none, the container has 10000000"),
        ({"PidsLimit": 3}, "PidsLimit: the spec sets none, the container has 3"),
        ({"CpuShares": 2}, "CpuShares: the spec sets none"),
        ({"CpusetCpus": "0"}, "CpusetCpus differs"),
        ({"Privileged": True}, "Privileged: the spec sets none"),
    ],
)
def test_a_host_setting_the_spec_leaves_unset_must_be_the_engines_default(update, reason):
    # what engine 20.10 reports for a container created by validator's body with no limit set
    fresh = {
        "Memory": 0, "MemorySwap": 0, "NanoCpus": 0, "PidsLimit": None, "CpuShares": 0, "CpusetCpus": "",
        "Privileged": False, "OomKillDisable": False, "MemorySwappiness": None, "Ulimits": None,
        "LogConfig": {"Type": "json-file", "Config": {}}, "IpcMode": "private", "CgroupnsMode": "host",
        "ShmSize": 67108864, "Runtime": "runc", "ConsoleSize": [0, 0], "MaskedPaths": ["/proc/kcore"],
        "NetworkMode": "p_default", "RestartPolicy": {"Name": "", "MaximumRetryCount": 0},
    }  # fmt: skip
    assert host_drift({"NetworkMode": "p_default"}, fresh) == []
    assert any(r.startswith(reason) for r in host_drift({"NetworkMode": "p_default"}, {**fresh, **update}))
    # -1 is no pids limit, as null is; swap twice a memory limit is the engine's own rule
    assert host_drift({}, {**fresh, "PidsLimit": -1}) == []
    assert host_drift({"Memory": 2**20}, {**fresh, "Memory": 2**20, "MemorySwap": 2**21}) == []
    assert host_drift({"Memory": 2**20}, {**fresh, "Memory": 2**20, "MemorySwap": -1}) == []
    assert host_drift({"Memory": 2**20}, {**fresh, "Memory": 2**20, "MemorySwap": 2**20}) != []


def test_what_runs_is_the_images_where_the_spec_sets_none(tmp_path):
    """graph6 case 01: no ``command`` in the spec is the image's CMD, not anything at all."""
    body, detail = body_and_inspect(tmp_path)
    del body["Cmd"]
    image = {"Cmd": ["httpd", "-f"], "Entrypoint": None, "WorkingDir": "/www", "User": "",
             "Healthcheck": {"Test": ["CMD", "true"]}, "Env": ["PATH=/bin"]}  # fmt: skip
    detail["Config"].update(Cmd=["httpd", "-f"], WorkingDir="/www", Healthcheck={"Test": ["CMD", "true"]})
    assert drift(body, detail, IMAGE_ID, image_config=image) == []
    for key, value, reason in (
        ("Cmd", ["sleep", "600"], "command differs"),
        ("Entrypoint", ["sh"], "entrypoint differs"),
        ("WorkingDir", "/", "working_dir differs"),
        ("User", "nobody", "user differs"),
        ("Healthcheck", None, "healthcheck differs"),
    ):
        changed = copy.deepcopy(detail)
        changed["Config"][key] = value
        assert any(r.startswith(reason) for r in drift(body, changed, IMAGE_ID, image_config=image)), key
    # an entrypoint the spec sets: the engine drops the image's CMD
    body["Entrypoint"] = ["sh", "-c"]
    detail["Config"].update(Entrypoint=["sh", "-c"], Cmd=None)
    assert drift(body, detail, IMAGE_ID, image_config=image) == []


def test_the_environment_is_the_specs_over_the_images_and_nothing_else(tmp_path):
    """graph6 01's rule, for the environment: a variable neither the spec nor the image sets (an older
    file's, ``docker run -e``) is drift, named, its value never shown."""
    body, detail = body_and_inspect(tmp_path)
    image = {"Env": ["PATH=/bin"]}
    assert drift(body, detail, IMAGE_ID, image_config=image) == []
    detail["Config"]["Env"] = [*detail["Config"]["Env"], "OLD_TOKEN=leftover-secret"]
    reasons = drift(body, detail, IMAGE_ID, image_config=image)
    assert reasons == ["environment: OLD_TOKEN is set, the spec does not set it"]
    detail["Config"]["Env"] = ["MODE=test", "PASSWORD=s3cret-value", "PATH=/elsewhere"]
    assert drift(body, detail, IMAGE_ID, image_config=image) == [
        "environment: PATH differs from the image's, the spec does not set it"
    ]


_FILLED = {
    "LogConfig": {"Type": "json-file", "Config": {}}, "IpcMode": "private", "CgroupnsMode": "host",
    "ShmSize": 67108864, "Runtime": "runc", "ConsoleSize": [0, 0], "MaskedPaths": ["/proc/kcore"],
    "Ulimits": None, "SecurityOpt": None,
}  # fmt: skip


@pytest.mark.parametrize(
    ("older", "reason"),
    [
        # graph7 case 02: a Compose container made from an older file; the spec sets none of these
        ({"Ulimits": [{"Name": "nofile", "Hard": 64, "Soft": 64}]}, "Ulimits differs from what the engine makes"),
        ({"SecurityOpt": ["seccomp=unconfined"]}, "SecurityOpt differs from what the engine makes"),
        ({"IpcMode": "host"}, "IpcMode differs from what the engine makes"),
        ({"ShmSize": 4096}, "ShmSize differs from what the engine makes of a spec that sets none (67108864 wanted"),
        ({"LogConfig": {"Type": "none", "Config": {}}}, "LogConfig differs from what the engine makes"),
        ({"MaskedPaths": []}, "MaskedPaths differs from what the engine makes"),
    ],
)
def test_a_compose_containers_engine_filled_keys_are_what_the_engine_fills(older, reason):
    host = {"NetworkMode": "p_default", **_FILLED}
    assert host_drift({"NetworkMode": "p_default"}, host, _FILLED) == []
    changed = {**host, **older, "ConsoleSize": [40, 120]}  # the client's terminal size is no setting
    assert [r for r in host_drift({"NetworkMode": "p_default"}, changed, _FILLED) if r.startswith(reason)]
    # validator's own container (no fill given: its label hash covers the body) is not compared on them
    assert host_drift({"NetworkMode": "p_default"}, changed) == []
    # a key the spec sets is compared with the spec's value, not the engine's fill
    key = next(iter(older))
    assert host_drift({"NetworkMode": "p_default", key: older[key]}, changed, _FILLED) == []


class _ProbeEngine:
    """The two calls a probe makes, recorded; ``fail`` makes the inspect fail."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.created: list[dict[str, Any]] = []
        self.removed: list[str] = []

    def create_container(self, name: str, body: dict[str, Any]) -> str:
        self.created.append(body)
        return f"id-{len(self.created)}"

    def inspect(self, container: str) -> dict[str, Any]:
        if self.fail:
            raise RuntimeError("gone")
        return {"HostConfig": {**_FILLED, "Privileged": bool(self.created[-1]["HostConfig"].get("Privileged"))}}

    def remove_container(self, container: str) -> None:
        self.removed.append(container)


def test_the_engines_fill_is_probed_once_per_input_and_the_probe_removed():
    from validator.engine.engine_filled import PROBE, EngineFilled

    engine = _ProbeEngine()
    filled = EngineFilled(engine=engine)  # type: ignore[arg-type]
    assert filled.host(IMAGE_ID, {"Memory": 1})["ShmSize"] == 67108864
    assert filled.host(IMAGE_ID, {"Memory": 2}) is filled.host(IMAGE_ID, {})  # the same inputs: one probe
    assert filled.host(IMAGE_ID, {"Privileged": True})["Privileged"] is True
    assert [b["HostConfig"] for b in engine.created] == [
        {"NetworkMode": "none"},
        {"NetworkMode": "none", "Privileged": True},
    ]
    assert all(b["Labels"] == {PROBE: "engine-defaults"} and b["Image"] == IMAGE_ID for b in engine.created)
    assert engine.removed == ["id-1", "id-2"]
    failing = _ProbeEngine(fail=True)
    with pytest.raises(RuntimeError):
        EngineFilled(engine=failing).host(IMAGE_ID, {})  # type: ignore[arg-type]
    assert failing.removed == ["id-1"]


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        # graph7 case 02, the Config half: an older file's keys the spec dropped
        ({"Labels": {"traefik.enable": "true"}}, "label traefik.enable is set, the spec does not set it"),
        ({"Labels": {"maintainer": "someone"}}, "label maintainer differs from the image's"),
        ({"Tty": True}, "tty is set, the spec sets none"),
        ({"OpenStdin": True}, "stdin_open is set, the spec sets none"),
        ({"Domainname": "example.org"}, "domainname is set, the spec sets none"),
        ({"StopTimeout": 1}, "stop_grace_period is set, the spec sets none"),
        ({"StopSignal": "SIGUSR1"}, "stop_signal differs (the spec sets none: the image's is wanted)"),
        ({"Hostname": "old-web"}, "hostname is set, the spec sets none"),
        ({"ExposedPorts": {"3000": {}, "80/tcp": {}, "4000/tcp": {}}}, "expose: 4000/tcp is exposed"),
    ],
)
def test_a_compose_container_holds_the_engines_empty_on_each_config_key_the_spec_leaves_unset(tmp_path, config, reason):
    body, detail = body_and_inspect(tmp_path)
    image = {"Cmd": ["httpd", "-f"], "Env": ["PATH=/bin"], "Labels": {"maintainer": "busybox"},
             "StopSignal": "SIGTERM", "ExposedPorts": {"9000/tcp": {}}}  # fmt: skip
    # what the engine makes of it: the image's labels, stop signal and exposed ports, its own short ID
    made = {"Hostname": CONTAINER_ID[:12], "StopSignal": "SIGTERM", "Tty": False, "OpenStdin": False,
            "Domainname": "", "StopTimeout": None}  # fmt: skip
    labels = {**detail["Config"]["Labels"], "maintainer": "busybox"}
    detail["Config"].update(made, Labels=labels, ExposedPorts={"3000": {}, "80/tcp": {}, "9000/tcp": {}})
    assert drift(body, detail, IMAGE_ID, image_config=image) == []
    changed = copy.deepcopy(detail)
    changed["Config"].update({**config, "Labels": {**labels, **config.get("Labels", {})}})
    assert [r for r in drift(body, changed, IMAGE_ID, image_config=image) if r.startswith(reason)]
    assert drift(body, changed, IMAGE_ID) == []  # the image unknown: only what the body sets
    # with a shared network stack the host and domain names are another's
    changed["HostConfig"]["NetworkMode"] = "container:" + "d" * 64
    assert not [r for r in drift(body, changed, IMAGE_ID, image_config=image) if r.startswith(("hostname", "domain"))]
