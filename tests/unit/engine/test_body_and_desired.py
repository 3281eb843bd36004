"""From spec to the exact Docker API body: limits, ports, mounts, health check, labels."""

from __future__ import annotations

import json

from validator.engine import labels as L
from validator.engine.body import create_body
from validator.engine.desired import desired_state
from validator.testing.specs import base_spec, load_dict

SVC = {
    "image": "web:1",
    "command": "httpd -f -p 8080",
    "environment": ["A=1", "FROM_HOST"],
    "ports": ["127.0.0.1:8080:80", "[::1]:53:53/udp", 9000],
    "volumes": ["./conf:/etc/conf:ro", "data:/data", "/anon"],
    "tmpfs": ["/run:size=1m"],
    "mem_limit": "2g",
    "cpus": "1.5",
    "pids_limit": 100,
    "restart": "on-failure:3",
    "healthcheck": {
        "test": "wget -q http://localhost",
        "interval": "2s",
        "timeout": "1s",
        "retries": 3,
        "start_period": "10s",
        "start_interval": "500ms",
    },
    "extra_hosts": ["host.docker.internal:host-gateway"],
    "init": True,
    "stop_grace_period": "5s",
    "networks": {"front": {"aliases": ["www"]}, "back": None},
    "labels": {"team": "data"},
}


def load(tmp_path, environ=None, **extra):
    spec = base_spec(web={**SVC, **extra})
    spec["volumes"] = {"data": None}
    spec["networks"] = {"front": None, "back": None}
    (tmp_path / "conf").mkdir(exist_ok=True)
    return desired_state(load_dict(tmp_path, spec), environ or {"FROM_HOST": "h"})


def test_body(tmp_path):
    desired = load(tmp_path)
    body, extra = create_body(desired.services["web"], "demo", "sha256:img", ("infra.yaml",), "1.41", "0.1.0")
    host = body["HostConfig"]
    assert body["Cmd"] == ["httpd", "-f", "-p", "8080"]
    assert sorted(body["Env"]) == ["A=1", "FROM_HOST=h"]
    assert host["Memory"] == 2 * 2**30 and host["NanoCpus"] == 1_500_000_000 and host["PidsLimit"] == 100
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host["PortBindings"] == {
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
        "53/udp": [{"HostIp": "::1", "HostPort": "53"}],
        "9000/tcp": [{"HostIp": "", "HostPort": ""}],
    }
    assert host["Binds"] == [f"{tmp_path / 'conf'}:/etc/conf:ro", "demo_data:/data:rw"]
    assert host["Mounts"] == [{"Type": "volume", "Target": "/anon", "ReadOnly": False}]
    assert host["Tmpfs"] == {"/run": "size=1m"}
    assert host["ExtraHosts"] == ["host.docker.internal:host-gateway"] and host["Init"] is True
    assert body["Healthcheck"] == {
        "Test": ["CMD-SHELL", "wget -q http://localhost"],
        "Interval": 2_000_000_000,
        "Timeout": 1_000_000_000,
        "StartPeriod": 10_000_000_000,
        "Retries": 3,
    }
    assert body["StopTimeout"] == 5
    assert host["NetworkMode"] == "demo_back"
    assert extra == [("demo_front", ["web", "www"])]
    labels = body["Labels"]
    assert labels["team"] == "data" and labels[L.PROJECT] == "demo" and labels[L.SERVICE] == "web"
    assert labels[L.CONFIG_HASH] == desired.services["web"].config_hash and labels[L.IMAGE_ID] == "sha256:img"
    assert json.loads(labels[L.CONFIG]) == desired.services["web"].sealed
    # the label holds keyed hashes, never a value of the config
    values = [v for v in _strings(desired.services["web"].config) if len(v) >= 4]
    assert values and not [v for v in values if v in labels[L.CONFIG]]


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def test_start_interval_is_sent_to_engines_that_know_it(tmp_path):
    body, _ = create_body(load(tmp_path).services["web"], "demo", "sha256:img", (), "1.44", "0.1.0")
    assert body["Healthcheck"]["StartInterval"] == 500_000_000


def test_hash_is_stable_and_covers_ro_mount_content(tmp_path):
    first = load(tmp_path).services["web"].config_hash
    assert load(tmp_path).services["web"].config_hash == first
    (tmp_path / "conf" / "app.yml").write_text("a: 1\n")
    second = load(tmp_path).services["web"]
    assert second.config_hash != first and second.mounted == {"conf/app.yml": second.mounted["conf/app.yml"]}


def test_env_file_and_host_passthrough(tmp_path):
    (tmp_path / "web.env").write_text("FROM_FILE=1\nA=overridden-by-environment\n")
    svc = load(tmp_path, env_file="web.env").services["web"]
    assert svc.config["environment"] == {"A": "1", "FROM_FILE": "1", "FROM_HOST": "h"}
