"""From spec to the exact Docker API body: limits, ports, mounts, health check, labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.specs import base_spec, load_dict
from validator.engine import labels as L
from validator.engine.body import create_body
from validator.engine.desired import desired_state

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
    body, extra = create_body(
        desired.services["web"],
        project="demo",
        image_id="sha256:img",
        spec_files=("infra.yaml",),
        api_version="1.41",
        version="0.1.0",
    )
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
    assert extra == [("demo_front", ["demo-web-1", "web", "www"])]
    assert body["NetworkingConfig"]["EndpointsConfig"]["demo_back"]["Aliases"] == ["demo-web-1", "web"]
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
    body, _ = create_body(
        load(tmp_path).services["web"],
        project="demo",
        image_id="sha256:img",
        spec_files=(),
        api_version="1.44",
        version="0.1.0",
    )
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


def test_env_file_is_read_as_compose_reads_it(tmp_path):
    """Compose's env_file grammar: the file's values stand over the environment, ${VAR} comes from
    earlier lines or the environment, `export` and quotes as in .env, a key alone takes the host's."""
    (tmp_path / "web.env").write_text(
        "export BASE=1\nDERIVED=${BASE}-x\nFROM_ENV=${HOST_ONLY}\nQUOTED='a b # c'\nFROM_HOST\nBASE_WINS=file\n"
    )
    environ = {"HOST_ONLY": "h1", "FROM_HOST": "h2", "BASE_WINS": "host"}
    svc = load(tmp_path, environ=environ, env_file="web.env").services["web"]
    env = svc.config["environment"]
    assert env["BASE"] == "1" and env["DERIVED"] == "1-x" and env["FROM_ENV"] == "h1"
    assert env["QUOTED"] == "a b # c" and env["FROM_HOST"] == "h2" and env["BASE_WINS"] == "file"


def test_pass_through_reads_dotenv_and_a_name_set_nowhere_stays_bare(tmp_path):
    """As `docker compose up` does (tests/integration/test_compose_environment.py shows both on the
    engine): `.env` feeds pass-through names and `${VAR}` in env files; a name set nowhere is sent bare."""
    (tmp_path / ".env").write_text("FROM_DOTENV=dotenv\nPASSWORD=pw-from-dotenv\n")
    (tmp_path / "web.env").write_text("DSN=postgres://u:${PASSWORD}@db/app\n")
    svc = load(tmp_path, environ={}, environment=["FROM_DOTENV", "NOWHERE"], env_file="web.env").services["web"]
    assert svc.config["environment"] == {
        "DSN": "postgres://u:pw-from-dotenv@db/app",
        "FROM_DOTENV": "dotenv",
        "NOWHERE": None,
    }
    body, _ = create_body(
        svc, project="demo", image_id="sha256:img", spec_files=("infra.yaml",), api_version="1.41", version="0.1.0"
    )
    assert body["Env"] == ["DSN=postgres://u:pw-from-dotenv@db/app", "FROM_DOTENV=dotenv", "NOWHERE"]


def test_a_bad_env_file_line_is_an_error_naming_the_file_line_and_column_never_the_line(tmp_path):
    from validator.errors import SpecError

    (tmp_path / "web.env").write_text("GOOD=1\nBAD KEY=2\n")
    with pytest.raises(SpecError, match=r"web\.env:2:1: a variable name cannot contain a space") as info:
        load(tmp_path, env_file="web.env")
    assert "BAD KEY" not in str(info.value)


# --- Compose fields beyond the core set (validator/engine/compose_fields.py) ------------------------


def compose_body(tmp_path, services, **top):
    spec = {**base_spec(**services), **top}
    desired = desired_state(load_dict(tmp_path, spec), {})
    bodies = {
        name: create_body(
            svc,
            project="demo",
            image_id="sha256:img",
            spec_files=desired.spec_files,
            api_version="1.41",
            version="0.1.0",
            replica=1,
            working_dir=desired.working_dir,
        )
        for name, svc in desired.services.items()
    }
    return desired, bodies


def test_container_level_compose_fields_reach_the_body(tmp_path):
    _, bodies = compose_body(
        tmp_path,
        {
            "web": {
                "image": "web:1",
                "expose": ["3000", 4000, "5000-5001/udp"],
                "ulimits": {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 100},
                "logging": {"driver": "json-file", "options": {"max-size": "10m", "max-file": 3}},
                "devices": ["/dev/null:/dev/xnull:rw", "/dev/zero"],
                "security_opt": ["no-new-privileges:true"],
                "sysctls": ["net.core.somaxconn=1024"],
                "dns": "9.9.9.9",
                "dns_search": ["example.internal"],
                "dns_opt": ["ndots:2"],
                "pid": "host",
                "ipc": "shareable",
                "stop_signal": "SIGINT",
                "stop_grace_period": "1m30s",
                "domainname": "example.internal",
                "group_add": ["audio", 1000],
                "oom_score_adj": 100,
                "memswap_limit": -1,
                "shm_size": "64mb",
            }
        },
    )
    body, _ = bodies["web"]
    host = body["HostConfig"]
    assert body["ExposedPorts"] == {"3000/tcp": {}, "4000/tcp": {}, "5000/udp": {}, "5001/udp": {}}
    assert host["Ulimits"] == [
        {"Name": "nofile", "Soft": 1024, "Hard": 2048},
        {"Name": "nproc", "Soft": 100, "Hard": 100},
    ]
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-file": "3", "max-size": "10m"}}
    assert host["Devices"] == [
        {"PathOnHost": "/dev/null", "PathInContainer": "/dev/xnull", "CgroupPermissions": "rw"},
        {"PathOnHost": "/dev/zero", "PathInContainer": "/dev/zero", "CgroupPermissions": "rwm"},
    ]
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["Sysctls"] == {"net.core.somaxconn": "1024"}
    assert (host["Dns"], host["DnsSearch"], host["DnsOptions"]) == (["9.9.9.9"], ["example.internal"], ["ndots:2"])
    assert (host["PidMode"], host["IpcMode"]) == ("host", "shareable")
    assert (body["StopSignal"], body["StopTimeout"]) == ("SIGINT", 90)
    assert body["Domainname"] == "example.internal" and host["GroupAdd"] == ["audio", "1000"]
    assert host["OomScoreAdj"] == 100 and host["MemorySwap"] == -1 and host["ShmSize"] == 64 * 2**20


def test_network_mode_of_a_service_points_at_its_container_and_orders_it_first(tmp_path):
    desired, bodies = compose_body(
        tmp_path,
        {"db": {"image": "db:1"}, "sidecar": {"image": "s:1", "network_mode": "service:db", "ipc": "service:db"}},
    )
    body, extra = bodies["sidecar"]
    assert body["HostConfig"]["NetworkMode"] == "container:demo-db-1"
    assert body["HostConfig"]["IpcMode"] == "container:demo-db-1"
    assert "NetworkingConfig" not in body and extra == []
    assert "db" in desired.services["sidecar"].depends_on


def test_file_secrets_and_configs_are_read_only_binds_at_composes_places(tmp_path):
    (tmp_path / "pw.txt").write_text("s3cret")
    (tmp_path / "app.conf").write_text("a=1")
    desired, bodies = compose_body(
        tmp_path,
        {"web": {"image": "web:1", "secrets": ["pw", {"source": "pw", "target": "other"}], "configs": ["app"]}},
        secrets={"pw": {"file": "./pw.txt"}},
        configs={"app": {"file": "./app.conf"}},
    )
    binds = bodies["web"][0]["HostConfig"]["Binds"]
    assert binds == [
        f"{tmp_path / 'pw.txt'}:/run/secrets/pw:ro",
        f"{tmp_path / 'pw.txt'}:/run/secrets/other:ro",
        f"{tmp_path / 'app.conf'}:/app:ro",
    ]
    before = desired.services["web"].config_hash
    (tmp_path / "app.conf").write_text("a=2")
    again, _ = compose_body(
        tmp_path,
        {"web": {"image": "web:1", "secrets": ["pw", {"source": "pw", "target": "other"}], "configs": ["app"]}},
        secrets={"pw": {"file": "./pw.txt"}},
        configs={"app": {"file": "./app.conf"}},
    )
    assert "app.conf" in again.services["web"].mounted and again.services["web"].config_hash != before


def test_volume_modes_travel_to_the_bind(tmp_path):
    (tmp_path / "x").mkdir()
    _, bodies = compose_body(
        tmp_path,
        {"web": {"image": "web:1", "volumes": ["./x:/x:ro,rslave", "./x:/y:z", "data:/d:nocopy"]}},
        volumes={"data": None},
    )
    assert bodies["web"][0]["HostConfig"]["Binds"] == [
        f"{tmp_path / 'x'}:/x:ro,rslave",
        f"{tmp_path / 'x'}:/y:rw,z",
        "demo_data:/d:rw,nocopy",
    ]


def test_ipam_and_static_address(tmp_path):
    desired, bodies = compose_body(
        tmp_path,
        {"web": {"image": "web:1", "networks": {"n": {"ipv4_address": "172.28.0.5"}}}},
        networks={"n": {"ipam": {"config": [{"subnet": "172.28.0.0/16", "gateway": "172.28.0.1"}]}, "x-note": 1}},
    )
    assert desired.networks["n"].ipam == {
        "Driver": "default",
        "Config": [{"Subnet": "172.28.0.0/16", "Gateway": "172.28.0.1"}],
        "Options": None,
    }
    endpoint = bodies["web"][0]["NetworkingConfig"]["EndpointsConfig"]["demo_n"]
    assert endpoint["IPAMConfig"] == {"IPv4Address": "172.28.0.5"}


def test_profiles_pick_the_active_services(tmp_path):
    spec = base_spec(web={"image": "web:1"}, debug={"image": "d:1", "profiles": ["debug"]})
    loaded = load_dict(tmp_path, spec)
    assert set(desired_state(loaded, {}).services) == {"web"}
    assert set(desired_state(loaded, {"COMPOSE_PROFILES": "debug"}).services) == {"web", "debug"}
    assert set(desired_state(loaded, {"COMPOSE_PROFILES": "*"}).services) == {"web", "debug"}


def test_a_dependency_left_out_by_profiles_is_a_located_error(tmp_path):
    import pytest

    from validator.errors import SpecError

    spec = base_spec(web={"image": "web:1", "depends_on": ["db"]}, db={"image": "d:1", "profiles": ["db"]})
    with pytest.raises(SpecError) as info:
        desired_state(load_dict(tmp_path, spec), {})
    (finding,) = info.value.findings
    assert finding.path == ("services", "web", "depends_on", "db") and "no enabled profile" in finding.message
    assert finding.location.line > 0


def test_fields_without_engine_work_are_refused_where_they_are_written(tmp_path):
    import pytest

    from validator.errors import SpecError

    spec = base_spec(
        web={
            "image": "web:1",
            "build": {"context": ".", "ssh": ["default"]},
            "pull_policy": "refresh",
        },
        db={"image": "d:1"},
    )
    loaded = load_dict(tmp_path, spec)
    with pytest.raises(SpecError) as info:
        desired_state(loaded, {})
    messages = sorted(f"{'.'.join(map(str, f.path))}: {f.message}" for f in info.value.findings)
    assert messages == [
        "services.web.build.ssh: not supported yet: build.ssh",
        "services.web.pull_policy: not supported yet: pull_policy refresh",
    ]
    assert all(f.location.line > 0 for f in info.value.findings)
    # down needs none of them: it removes what runs
    assert set(desired_state(loaded, {}, refuse_unsupported=False).services) == {"web", "db"}


def test_profile_option_is_composes_compose_profiles(monkeypatch):
    from validator.main import build_parser

    monkeypatch.setenv("COMPOSE_PROFILES", "from-env")
    build_parser().parse_args(["plan", "--profile", "debug", "--profile", "db"])
    import os

    assert os.environ["COMPOSE_PROFILES"] == "debug,db"


def test_pull_policy_drives_the_image_actions(tmp_path):
    from validator.engine.observed import ObservedState
    from validator.engine.planner import plan

    spec = base_spec(
        a={"image": "a:1", "pull_policy": "always"},
        b={"image": "b:1", "pull_policy": "never"},
        c={"image": "c:1", "build": ".", "pull_policy": "build"},
    )
    desired = desired_state(load_dict(tmp_path, spec), {})
    result = plan(desired, ObservedState(image_ids={"a:1": "sha256:a", "c:1": "sha256:c"}))
    images = {(a.kind, a.target, a.reasons) for a in result.actions if a.kind in ("pull", "build")}
    assert images == {("pull", "a:1", ("pull_policy: always",)), ("build", "c:1", ("pull_policy: build",))}
    assert result.conflicts == ("b: image b:1 is not present and its pull_policy is never",)


def test_plan_up_and_check_refuse_before_contacting_docker(tmp_path, capsys):
    """A field without engine work is exit 2 with its place, even with no engine to talk to."""
    from tests.harness.specs import write_spec
    from validator.main import main

    path = write_spec(tmp_path, base_spec(web={"image": "web:1", "use_api_socket": True}, db={"image": "d:1"}))
    for command in (["plan"], ["up"], ["check", "--no-suites"]):
        code = main([*command, "-f", str(path), "--host", "unix:///nonexistent-validator.sock"])
        err = capsys.readouterr().err
        assert code == 2, (command, err)
        assert err == f"{path}:6:5: services.web.use_api_socket: not supported yet: use_api_socket\n", command


def test_a_secret_files_fingerprint_is_not_a_plain_hash_of_it(tmp_path):
    import hashlib

    (tmp_path / "pw.txt").write_text("hunter2")
    desired, _ = compose_body(
        tmp_path, {"web": {"image": "web:1", "secrets": ["pw"]}}, secrets={"pw": {"file": "./pw.txt"}}
    )
    (fingerprint,) = desired.services["web"].mounted.values()
    assert fingerprint.startswith("pbkdf2:")
    assert hashlib.sha256(b"hunter2").hexdigest()[:16] not in fingerprint
    (tmp_path / "pw.txt").write_text("hunter3")
    again, _ = compose_body(
        tmp_path, {"web": {"image": "web:1", "secrets": ["pw"]}}, secrets={"pw": {"file": "./pw.txt"}}
    )
    assert again.services["web"].mounted != desired.services["web"].mounted


def test_links_and_volumes_from_name_the_containers_and_order_them_first(tmp_path):
    desired, bodies = compose_body(
        tmp_path,
        {
            "db": {"image": "d:1", "volumes": ["/data"]},
            "app": {"image": "a:1", "links": ["db:database"], "volumes_from": ["db:ro", "container:other"]},
        },
    )
    body, _ = bodies["app"]
    assert body["HostConfig"]["VolumesFrom"] == ["demo-db-1:ro", "other"]
    assert body["NetworkingConfig"]["EndpointsConfig"]["demo_default"]["Links"] == [
        "demo-db-1:database",
        "demo-db-1:db-1",  # Compose's <service>-<n>, n the linking container's number
        "demo-db-1:demo-db-1",
    ]
    assert set(desired.services["app"].depends_on) == {"db"}


def test_label_files_external_links_and_realtime_cpu(tmp_path):
    (tmp_path / "labels.env").write_text("team=data\ntier=db\n")
    _, bodies = compose_body(
        tmp_path,
        {
            "web": {
                "image": "web:1",
                "label_file": "labels.env",
                "labels": {"tier": "web"},
                "external_links": ["legacy-db:db", "cache"],
                "cpu_rt_period": 1000,
                "cpu_rt_runtime": "500us",
            }
        },
    )
    body, _ = bodies["web"]
    assert (body["Labels"]["team"], body["Labels"]["tier"]) == ("data", "web")
    assert body["NetworkingConfig"]["EndpointsConfig"]["demo_default"]["Links"] == ["cache:cache", "legacy-db:db"]
    assert (body["HostConfig"]["CpuRealtimePeriod"], body["HostConfig"]["CpuRealtimeRuntime"]) == (1000, 500)


def test_down_reads_a_spec_whose_secrets_plan_would_refuse(tmp_path):
    import pytest

    from validator.errors import SpecError

    spec = {**base_spec(web={"image": "web:1", "secrets": ["token"]}), "secrets": {"token": {"external": True}}}
    loaded = load_dict(tmp_path, spec)
    with pytest.raises(SpecError, match=r"not supported yet: secrets\.external"):
        desired_state(loaded, {})
    assert "volumes" not in desired_state(loaded, {}, refuse_unsupported=False).services["web"].config


def test_environment_and_content_secrets_are_copied_in_never_labelled(tmp_path):
    spec = {
        **base_spec(
            web={"image": "web:1", "secrets": ["token"], "configs": ["app", {"source": "motd", "target": "m"}]}
        ),
        "secrets": {"token": {"environment": "TOKEN"}},
        "configs": {"app": {"content": "a=1\n"}, "motd": {"environment": "MOTD"}},
    }
    desired = desired_state(load_dict(tmp_path, spec), {"TOKEN": "planted-token-77", "MOTD": "hello"})
    web = desired.services["web"]
    assert [(f.path, f.content, f.uid, f.gid, f.mode) for f in web.files] == [
        ("/run/secrets/token", b"planted-token-77", 0, 0, 0o444),
        ("/app", b"a=1\n", 0, 0, 0o444),
        ("/m", b"hello", 0, 0, 0o444),
    ]
    assert web.config["injected"] == ["/app", "/m", "/run/secrets/token"]
    body, _ = create_body(
        web, project="demo", image_id="sha256:img", spec_files=("infra.yaml",), api_version="1.41", version="0.1.0"
    )
    assert "planted-token-77" not in json.dumps(body)
    assert web.mounted["copied into /run/secrets/token"].startswith("pbkdf2:")


def test_an_unset_secret_variable_is_a_located_error(tmp_path):
    import pytest

    from validator.errors import SpecError

    spec = {**base_spec(web={"image": "web:1", "secrets": ["token"]}), "secrets": {"token": {"environment": "TOKEN"}}}
    with pytest.raises(SpecError) as info:
        desired_state(load_dict(tmp_path, spec), {})
    (finding,) = info.value.findings
    assert finding.path == ("secrets", "token", "environment") and "TOKEN is not set" in finding.message


def test_build_options_reach_the_builder(tmp_path):
    desired, _ = compose_body(
        tmp_path,
        {
            "web": {
                "build": {
                    "context": ".",
                    "cache_from": ["web:cache"],
                    "labels": {"built-by": "validator"},
                    "network": "host",
                    "no_cache": True,
                    "extra_hosts": ["mirror.local:10.0.0.9"],
                    "shm_size": "64mb",
                    "platforms": ["linux/amd64"],
                    "tags": ["web:extra"],
                }
            }
        },
    )
    build = desired.services["web"].build
    assert build is not None and build["options"] == {
        "cache_from": ["web:cache"],
        "labels": {"built-by": "validator"},
        "network_mode": "host",
        "nocache": True,
        "extra_hosts": {"mirror.local": "10.0.0.9"},
        "shmsize": 64 * 2**20,
        "platform": "linux/amd64",
        "tags": ["web:extra"],
    }


def test_gpus_and_device_reservations_are_device_requests(tmp_path):
    _, bodies = compose_body(
        tmp_path,
        {
            "all": {"image": "a:1", "gpus": "all"},
            "some": {
                "image": "s:1",
                "deploy": {
                    "resources": {
                        "reservations": {
                            "devices": [
                                {"driver": "nvidia", "device_ids": ["0", "1"], "capabilities": ["gpu", "utility"]},
                                {"capabilities": ["tpu"], "count": 2, "options": {"mode": 1}},
                            ]
                        }
                    }
                },
            },
        },
    )
    assert bodies["all"][0]["HostConfig"]["DeviceRequests"] == [
        {"Driver": "", "Count": -1, "DeviceIDs": [], "Capabilities": [["gpu"]], "Options": {}}
    ]
    assert bodies["some"][0]["HostConfig"]["DeviceRequests"] == [
        {"Driver": "nvidia", "Count": 0, "DeviceIDs": ["0", "1"], "Capabilities": [["gpu", "utility"]], "Options": {}},
        {"Driver": "", "Count": 2, "DeviceIDs": [], "Capabilities": [["tpu"]], "Options": {"mode": "1"}},
    ]


def test_blkio_config(tmp_path):
    _, bodies = compose_body(
        tmp_path,
        {
            "web": {
                "image": "web:1",
                "blkio_config": {
                    "weight": 300,
                    "weight_device": [{"path": "/dev/sda", "weight": 400}],
                    "device_read_bps": [{"path": "/dev/sda", "rate": "12mb"}],
                    "device_write_iops": [{"path": "/dev/sda", "rate": 30}],
                },
            }
        },
    )
    host = bodies["web"][0]["HostConfig"]
    assert host["BlkioWeight"] == 300
    assert host["BlkioWeightDevice"] == [{"Path": "/dev/sda", "Weight": 400}]
    assert host["BlkioDeviceReadBps"] == [{"Path": "/dev/sda", "Rate": 12 * 2**20}]
    assert host["BlkioDeviceWriteIOps"] == [{"Path": "/dev/sda", "Rate": 30}]


def test_a_field_that_asks_for_nothing_is_not_refused(tmp_path):
    spec = base_spec(
        web={"image": "web:1", "use_api_socket": False, "build": {"context": ".", "privileged": False, "ssh": []}}
    )
    assert set(desired_state(load_dict(tmp_path, spec), {}).services) == {"web"}


def test_networks_are_joined_in_composes_priority_order(tmp_path):
    _, bodies = compose_body(
        tmp_path,
        {"web": {"image": "web:1", "networks": {"a": None, "b": {"priority": 10}, "c": None}}},
        networks={"a": {"name": "zz-external", "external": True}, "b": None, "c": None},
    )
    body, extra = bodies["web"]
    assert list(body["NetworkingConfig"]["EndpointsConfig"]) == ["demo_b"]
    assert [name for name, _ in extra] == ["zz-external", "demo_c"]


def test_periodic_pull_policies_pull_a_stale_image(tmp_path):

    from validator.engine.observed import ObservedState
    from validator.engine.planner import plan

    spec = base_spec(
        day={"image": "d:1", "pull_policy": "daily"},
        fresh={"image": "f:1", "pull_policy": "weekly"},
        half={"image": "h:1", "pull_policy": "every_12h"},
        unknown={"image": "u:1", "pull_policy": "daily"},
    )
    desired = desired_state(load_dict(tmp_path, spec), {})
    now = 1_800_000_000.0  # the planner's clock is the observation's: no wall clock in the plan
    observed = ObservedState(
        image_ids={image: f"sha256:{image[0]}" for image in ("d:1", "f:1", "h:1", "u:1")},
        image_tagged={"d:1": now - 2 * 86400, "f:1": now - 3600, "h:1": now - 13 * 3600, "u:1": None},
        at=now,
    )
    pulls = {a.target: a.reasons[0] for a in plan(desired, observed).actions if a.kind == "pull"}
    assert set(pulls) == {"d:1", "h:1", "u:1"}
    assert pulls["d:1"].startswith("pull_policy: daily (pulled 48h0m")
    assert pulls["u:1"] == "pull_policy: daily (when the image was pulled is unknown)"


def test_engine_timestamps():
    from validator.engine.docker_api import _rfc3339

    assert _rfc3339("2026-11-24T15:00:00.123456789Z") == pytest.approx(1795532400.123456789)
    assert _rfc3339("2026-11-24T16:00:00+01:00") == 1795532400.0
    assert _rfc3339("0001-01-01T00:00:00Z") is None and _rfc3339("junk") is None


def test_containers_carry_the_labels_compose_writes(tmp_path):
    """The ``com.docker.compose.*`` labels Compose 2.40 writes (read from what it creates on this engine),
    so ``docker compose -p demo ps|logs|exec|down`` see the stack; ownership stays with validator's."""
    desired, bodies = compose_body(
        tmp_path,
        {
            "db": {"image": "db:1"},
            "web": {"image": "w:1", "links": ["db"], "depends_on": {"cache": {"condition": "service_healthy"}}},
            "cache": {"image": "c:1"},
        },
    )
    body, _ = bodies["web"]
    compose = {k: v for k, v in body["Labels"].items() if k.startswith("com.docker.compose.")}
    assert compose == {
        "com.docker.compose.project": "demo",
        "com.docker.compose.service": "web",
        "com.docker.compose.container-number": "1",
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.config-hash": desired.services["web"].config_hash,
        "com.docker.compose.image": "sha256:img",
        "com.docker.compose.depends_on": "cache:service_healthy:false,db:service_started:true",
        "com.docker.compose.version": "validator-0.1.0",
        "com.docker.compose.project.working_dir": str(tmp_path.resolve()),
        "com.docker.compose.project.config_files": ",".join(str(Path(f).absolute()) for f in desired.spec_files),
    }
    assert body["Labels"][L.PROJECT] == "demo"


def test_only_the_networks_and_volumes_enabled_services_use_are_created(tmp_path):
    """Compose's rule (checked against its binary): a declaration no enabled service names creates nothing."""
    spec = base_spec(
        a={"image": "a:1", "networks": ["front"], "volumes": ["used:/u"]},
        b={"image": "b:1", "profiles": ["extra"], "networks": ["back"], "volumes": ["other:/o"]},
    )
    spec["networks"] = {"front": None, "back": None, "unused": None}
    spec["volumes"] = {"used": None, "other": None, "unused": None}
    state = desired_state(load_dict(tmp_path, spec), {})
    assert sorted(state.networks) == ["front"]  # no default either: no enabled service joins it
    assert sorted(state.volumes) == ["used"]
    enabled = desired_state(load_dict(tmp_path, spec), {"COMPOSE_PROFILES": "extra"})
    assert sorted(enabled.networks) == ["back", "front"] and sorted(enabled.volumes) == ["other", "used"]


@pytest.mark.parametrize(
    ("service", "policy"),
    [
        ({"restart": "always"}, {"Name": "always", "MaximumRetryCount": 0}),
        ({"deploy": {"restart_policy": {"condition": "on-failure", "max_attempts": 3}}}, ("on-failure", 3)),
        ({"restart": "always", "deploy": {"restart_policy": {"condition": "none"}}}, None),
        ({"deploy": {"restart_policy": {"condition": "any", "delay": "5s"}}}, ("always", 0)),
        # no condition: the engine's empty policy, as Compose 2.40 writes it (restart: always loses)
        ({"restart": "always", "deploy": {"restart_policy": {"max_attempts": 2}}}, None),
    ],
)
def test_deploy_restart_policy_wins_over_restart_as_compose_maps_it(tmp_path, service, policy):
    _, bodies = compose_body(tmp_path, {"job": {"image": "j:1", **service}})
    body, _ = bodies["job"]
    if isinstance(policy, tuple):
        policy = {"Name": policy[0], "MaximumRetryCount": policy[1]}
    assert body["HostConfig"].get("RestartPolicy") == policy


def test_a_job_completes_when_its_restart_policy_leaves_it_exited(tmp_path):
    from validator.engine.desired import desired_state as state_of

    spec = base_spec(
        a={"image": "a:1"},
        b={"image": "b:1", "restart": "on-failure:2"},
        c={"image": "c:1", "restart": "unless-stopped"},
        d={"image": "d:1", "deploy": {"restart_policy": {"condition": "any"}}},
    )
    services = state_of(load_dict(tmp_path, spec), {}).services
    assert {name: svc.completes for name, svc in services.items()} == {"a": True, "b": True, "c": False, "d": False}


def test_an_owner_or_a_mode_copies_a_file_in_with_them(tmp_path):
    """Compose 2.40 bind-mounts a file-based secret and ignores uid, gid and mode (with a warning);
    validator copies that one in with them, as Compose does for one from a variable."""
    (tmp_path / "token.txt").write_text("t0ken-value")
    (tmp_path / "app.conf").write_text("a=1")
    spec = {
        **base_spec(
            web={
                "image": "web:1",
                "secrets": [
                    {"source": "token", "uid": "1000", "gid": "2000", "mode": "0400"},
                    {"source": "token", "target": "plain"},
                ],
                "configs": [{"source": "app", "mode": 0o640}],
            }
        ),
        "secrets": {"token": {"file": "./token.txt"}},
        "configs": {"app": {"file": "./app.conf"}},
    }
    web = desired_state(load_dict(tmp_path, spec), {}).services["web"]
    assert [(f.path, f.content, f.uid, f.gid, f.mode, f.secret) for f in web.files] == [
        ("/run/secrets/token", b"t0ken-value", 1000, 2000, 0o400, True),
        ("/app", b"a=1", 0, 0, 0o640, False),
    ]
    body, _ = create_body(
        web, project="demo", image_id="sha256:img", spec_files=(), api_version="1.41", version="0.1.0"
    )
    assert body["HostConfig"]["Binds"] == [f"{tmp_path / 'token.txt'}:/run/secrets/plain:ro"]  # the plain one
    assert "t0ken-value" not in json.dumps(body)


def test_implicit_dependencies_restart_as_composes_do(tmp_path):
    """compose-go adds links and service: namespaces with restart, volumes_from without (its label)."""
    _, bodies = compose_body(
        tmp_path,
        {
            "db": {"image": "d:1", "volumes": ["/data"]},
            "cache": {"image": "c:1"},
            "app": {"image": "a:1", "volumes_from": ["db", "cache"], "links": ["cache"]},
        },
    )
    label = bodies["app"][0]["Labels"]["com.docker.compose.depends_on"]
    assert label == "cache:service_started:true,db:service_started:false"


def test_a_read_write_bind_is_recorded_by_which_file_or_folder_it_is(tmp_path):
    """graph6 07 / graph7 03: a read-write bind's file or folder by device and inode, not content."""
    (tmp_path / "site").mkdir()
    (tmp_path / "page.html").write_text("OLD")
    spec = base_spec(web={"image": "web:1", "volumes": ["./site:/www", "./page.html:/p.html"]})

    def mounted() -> dict[str, str]:
        return desired_state(load_dict(tmp_path, spec), {}).services["web"].mounted

    before = mounted()
    assert set(before) == {"site (the folder bound read-write)", "page.html (the file bound read-write)"}
    (tmp_path / "site" / "index.html").write_text("written by the container")  # the same folder
    assert mounted() == before
    (tmp_path / "site").rename(tmp_path / "site.old")
    (tmp_path / "site").mkdir()
    after = mounted()
    assert after["site (the folder bound read-write)"] != before["site (the folder bound read-write)"]
    assert after["page.html (the file bound read-write)"] == before["page.html (the file bound read-write)"]


def test_a_bound_folder_made_before_the_create_is_recorded_as_made(tmp_path):
    """A bind's folder not there yet (read-write or read-only) is recorded once made: the label then
    holds what the next look computes, hash and sealed record alike."""
    from validator.engine.desired import record_made

    spec = base_spec(web={"image": "web:1", "volumes": ["./rw:/rw", "./ro:/ro:ro"]})
    key = b"k" * 32
    first = desired_state(load_dict(tmp_path, spec), {}, key=key).services["web"]
    assert [(d.read_only, Path(d.path).name) for d in first.host_dirs] == [(False, "rw"), (True, "ro")]
    for made in first.host_dirs:
        Path(made.path).mkdir()
    recorded = record_made(first, tmp_path, key)
    looked = desired_state(load_dict(tmp_path, spec), {}, key=key).services["web"]
    assert recorded.config_hash == looked.config_hash != first.config_hash
    assert recorded.mounted == looked.mounted and recorded.sealed == looked.sealed
    assert record_made(looked, tmp_path, key) is looked  # nothing missing at the look: unchanged
