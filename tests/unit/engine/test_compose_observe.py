"""Judging a container Compose started: the create body against what `docker inspect` reports."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.harness.specs import base_spec, load_dict
from validator.engine.body import create_body
from validator.engine.compose_observe import drift, network_drift
from validator.engine.desired import desired_state

IMAGE_ID = "sha256:" + "b" * 64


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
        "NetworkSettings": {"Networks": {"demo_default": {}}},
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
        ({"NetworkingConfig": {"EndpointsConfig": {"p_back": {}}}}, ["p_front"], {"p_back", "p_front"}, []),
        (
            {"NetworkingConfig": {"EndpointsConfig": {"p_back": {}}}},
            ["p_front"],
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
