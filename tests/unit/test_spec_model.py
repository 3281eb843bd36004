"""The Compose-compatible model: short and long syntaxes normalise to the same thing."""

import pytest
from pydantic import ValidationError

from validator.spec.model import Spec
from validator.spec.ports import PortBinding


def service(**fields):
    return Spec.model_validate({"version": 1, "project": "p", "services": {"s": {"image": "i", **fields}}}).services[
        "s"
    ]


def test_ports_short_and_long():
    svc = service(
        ports=[
            "127.0.0.1:8080:80",
            9090,
            "[::1]:53:53/udp",
            "8000-8001:9000-9001",
            {"target": 83, "published": 8083, "host_ip": "127.0.0.1"},
        ]
    )
    bindings = [b for p in svc.ports for b in p.bindings()]
    assert bindings == [
        PortBinding(host_ip="127.0.0.1", host_port="8080", container_port=80, protocol="tcp"),
        PortBinding(host_ip=None, host_port=None, container_port=9090, protocol="tcp"),
        PortBinding(host_ip="::1", host_port="53", container_port=53, protocol="udp"),
        PortBinding(host_ip=None, host_port="8000", container_port=9000, protocol="tcp"),
        PortBinding(host_ip=None, host_port="8001", container_port=9001, protocol="tcp"),
        PortBinding(host_ip="127.0.0.1", host_port="8083", container_port=83, protocol="tcp"),
    ]


def test_host_range_to_single_port_stays_a_range():
    (binding,) = service(ports=["8000-8010:80"]).ports[0].bindings()
    assert binding.host_port == "8000-8010" and binding.fixed_host_port is None


def test_volumes_short_and_long():
    svc = service(
        volumes=[
            "./conf:/etc/conf:ro",
            "data:/data",
            "/anon",
            {"type": "bind", "source": "./x", "target": "/x", "bind": {"create_host_path": False}},
        ]
    )
    kinds = [(v.type, v.source, v.target, v.read_only) for v in svc.volumes]
    assert kinds == [
        ("bind", "./conf", "/etc/conf", True),
        ("volume", "data", "/data", False),
        ("volume", None, "/anon", False),
        ("bind", "./x", "/x", False),
    ]
    assert svc.volumes[3].create_host_path is False and svc.volumes[0].create_host_path is True


def test_environment_and_labels_forms():
    assert service(environment=["A=1", "B=", "C"]).environment == {"A": "1", "B": "", "C": None}
    assert service(environment={"A": 1, "B": True, "C": None}).environment == {"A": "1", "B": "true", "C": None}
    assert service(labels=["a=b", "c"]).labels == {"a": "b", "c": ""}


def test_healthcheck_forms():
    assert service(healthcheck={"test": "curl -f x"}).healthcheck.test == ["CMD-SHELL", "curl -f x"]
    assert service(healthcheck={"test": ["NONE"]}).healthcheck.disabled
    assert service(healthcheck={"disable": True}).healthcheck.disabled
    hc = service(healthcheck={"test": ["CMD", "true"], "interval": "1m30s", "start_interval": "500ms"}).healthcheck
    assert (hc.interval, hc.start_interval) == (90.0, 0.5)


def test_depends_on_forms():
    svc = service(depends_on=["a", "b"])
    assert {k: v.condition for k, v in svc.depends_on.items()} == {"a": "service_started", "b": "service_started"}
    svc = service(depends_on={"a": {"condition": "service_healthy"}, "b": None})
    assert svc.depends_on["a"].condition == "service_healthy" and svc.depends_on["b"].condition == "service_started"


def test_limits_deploy_wins():
    svc = service(
        mem_limit="1g", cpus=2, deploy={"resources": {"limits": {"memory": "512m", "cpus": "0.5", "pids": 10}}}
    )
    assert (svc.memory_limit, svc.cpu_limit, svc.pids) == (512 * 2**20, 0.5, 10)
    assert service(mem_limit="256m", cpus=0.5).memory_limit == 256 * 2**20


def test_command_string_is_split_like_compose():
    assert service(command='sh -c "echo hi"').command == ["sh", "-c", "echo hi"]


def test_extension_keys_are_dropped():
    spec = Spec.model_validate(
        {"version": 1, "project": "p", "x-anything": {"a": 1}, "services": {"s": {"image": "i", "x-note": "n"}}}
    )
    assert spec.services["s"].image == "i"


@pytest.mark.parametrize(
    "fields",
    [
        {"ports": ["99999:80"]},
        {"ports": ["a:b"]},
        {"volumes": ["./x:relative"]},
        {"restart": "maybe"},
        {"healthcheck": {"test": ["BAD"]}},
        {"cpus": 0},
        {"mem_limit": "2pb"},
        {"memswap_limit": -2},
        {"volumes": ["./x:/x:ro,bogus"]},
        {"devices": ["/dev/a:/dev/b:rwx"]},
        {"pull_policy": "sometimes"},
        {"expose": ["80/http"]},
        {"sysctls": ["net.core.somaxconn"]},
        {"unknown": 1},
    ],
)
def test_invalid_fields(fields):
    with pytest.raises(ValidationError):
        service(**fields)


# Checks across fields are lint rules (lint/compose_rules.py), so that one never hides the rest of the
# service: the model takes them, tests/examples/invalid/compose-*.yaml pins what lint says.
@pytest.mark.parametrize(
    "fields", [{"network_mode": "host", "networks": ["n"]}, {"scale": 2, "deploy": {"replicas": 3}}]
)
def test_cross_field_checks_are_left_to_lint(fields):
    assert service(**fields).image


def test_version_accepts_the_string_form():
    assert Spec.model_validate({"version": "1", "project": "p"}).version == 1


def test_secret_contents_are_redacted(tmp_path):
    from tests.harness.specs import base_spec, load_dict

    (tmp_path / "pw.txt").write_text("planted-file-secret-9\n")
    spec = {
        **base_spec(web={"image": "busybox", "secrets": ["pw", "token"]}),
        "secrets": {"pw": {"file": "./pw.txt"}, "token": {"environment": "TOKEN"}},
    }
    found = load_dict(tmp_path, spec, environ={"TOKEN": "planted-env-secret-8"}).secrets()
    assert {"planted-file-secret-9", "planted-env-secret-8"} <= found


def test_compose_resource_shapes():
    spec = Spec.model_validate(
        {
            "version": 1,
            "project": "p",
            "networks": {"n": {"external": {"name": "shared"}, "x-note": 1, "driver_opts": {"mtu": 1400}}},
            "volumes": {"v": {"driver_opts": {"size": 10}, "x-owner": "me"}},
            "secrets": {"s": {"environment": "TOKEN"}},
            "configs": {"c": {"content": "a=1"}},
        }
    )
    assert (spec.networks["n"].external, spec.networks["n"].name) == (True, "shared")
    assert spec.networks["n"].driver_opts == {"mtu": "1400"} and spec.volumes["v"].driver_opts == {"size": "10"}
    with pytest.raises(ValidationError, match="give one of"):
        Spec.model_validate({"version": 1, "project": "p", "secrets": {"s": {"file": "a", "environment": "B"}}})


@pytest.mark.parametrize(
    "fields",
    [
        {"volumes": ["./x:/x:ro,rslave", "./y:/y:z", "v:/v:nocopy", "./c:/c:cached", "./s:/s:shared,Z"]},
        {"healthcheck": {"disable": False}},
        {"memswap_limit": -1, "shm_size": "256mb", "mem_limit": "1gb", "mem_reservation": "512kb"},
        {"ulimits": {"nofile": {"soft": 1, "hard": 2}, "nproc": 3}},
        {"network_mode": "service:db", "ipc": "service:db", "pid": "host"},
        {"expose": [3000, "4000-4001/udp"], "scale": 1, "deploy": {"replicas": 1}},
        {"build": {"context": ".", "ssh": ["default"], "secrets": ["s"], "x-note": 1}},
        {"networks": {"n": {"aliases": ["a"], "ipv4_address": "10.0.0.2", "x-note": 1}}},
    ],
)
def test_valid_compose_fields(fields):
    service(**fields)
