"""The Swarm backend's pure parts: the service spec built from the spec, the field-by-field plan,
and the refusals of fields an orchestrator cannot honour."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.harness.specs import load_dict
from validator.backends.registry import backend
from validator.engine import labels as L
from validator.engine.desired import desired_state
from validator.errors import SpecError
from validator.swarm.desired import STACK_LABEL, service_spec, swarm_state
from validator.swarm.plan import ObservedSwarm, plan

IMAGE = "validator-test/busybox:latest"
PIN = "sha256:" + "b" * 64


def _web(**deploy: Any) -> dict[str, Any]:
    return {
        "image": IMAGE,
        "command": ["httpd", "-f"],
        "environment": {"MODE": "a"},
        "ports": ["8080:80"],
        "healthcheck": {"test": ["CMD", "true"], "interval": "1s", "timeout": "500ms"},
        "mem_limit": "64m",
        "cpus": 0.5,
        "deploy": {
            "replicas": 3,
            "resources": {"reservations": {"memory": "16m", "cpus": 0.1}},
            "placement": {"constraints": ["node.labels.tier == web"], "preferences": [{"spread": "node.id"}]},
            "restart_policy": {"condition": "on-failure", "delay": "2s", "max_attempts": 3},
            "update_config": {"parallelism": 2, "order": "start-first", "delay": "1s"},
            "labels": {"team": "cdc"},
            **deploy,
        },
    }


def _state(tmp_path, services):
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "services": services})
    return loaded, swarm_state(desired_state(loaded, environ={}, refuse_unsupported=False), loaded.spec.services)


def _as_applied(state) -> ObservedSwarm:
    observed = ObservedSwarm(pins={IMAGE: PIN}, networks={"demo_default"})
    for name, svc in state.services.items():
        body = service_spec(
            svc, project=state.project, image=PIN, spec_files=state.spec_files, version="test", key=state.key
        )
        observed.services[name] = {"ID": f"id-{name}", "Version": {"Index": 1}, "Spec": body}
    return observed


def test_service_spec_maps_every_deploy_field(tmp_path):
    _, state = _state(tmp_path, {"web": _web()})
    body = service_spec(
        state.services["web"], project="demo", image=PIN, spec_files=("infra.yaml",), version="test", key=state.key
    )
    task = body["TaskTemplate"]
    assert body["Name"] == "demo_web"
    assert body["Mode"] == {"Replicated": {"Replicas": 3}}
    assert body["Labels"][L.PROJECT] == "demo" and body["Labels"][STACK_LABEL] == "demo"
    assert body["Labels"]["team"] == "cdc"
    assert task["ContainerSpec"]["Image"] == PIN
    assert task["ContainerSpec"]["Args"] == ["httpd", "-f"]
    assert task["ContainerSpec"]["Env"] == ["MODE=a"]
    assert L.PROJECT not in task["ContainerSpec"]["Labels"], "task containers must not look like plain containers"
    assert task["ContainerSpec"]["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 10**9, "Timeout": 5 * 10**8}
    assert task["Resources"] == {
        "Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 64 * 2**20},
        "Reservations": {"NanoCPUs": 100_000_000, "MemoryBytes": 16 * 2**20},
    }
    assert task["Placement"] == {
        "Constraints": ["node.labels.tier == web"],
        "Preferences": [{"Spread": {"SpreadDescriptor": "node.id"}}],
    }
    assert task["RestartPolicy"] == {"Condition": "on-failure", "Delay": 2 * 10**9, "MaxAttempts": 3}
    assert body["UpdateConfig"] == {"Parallelism": 2, "Delay": 10**9, "Order": "start-first"}
    assert task["Networks"] == [{"Target": "demo_default", "Aliases": ["web"]}]
    assert body["EndpointSpec"]["Ports"] == [
        {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}
    ]


def test_global_mode_has_no_replica_count(tmp_path):
    spec = _web()
    spec["deploy"] = {"mode": "global"}
    _, state = _state(tmp_path, {"web": spec})
    assert state.services["web"].replicas is None
    assert service_spec(state.services["web"], project="demo", image=PIN, spec_files=(), version="t", key=state.key)[
        "Mode"
    ] == {"Global": {}}


def test_global_with_replicas_is_a_located_error(tmp_path):
    spec = _web()
    spec["deploy"] = {"mode": "global", "replicas": 2}
    with pytest.raises(SpecError, match=r"infra.yaml:\d+:\d+: services.web.deploy.*mode: global"):
        _state(tmp_path, {"web": spec})


def test_a_fresh_stack_plans_network_and_services(tmp_path):
    _, state = _state(tmp_path, {"web": _web()})
    planned = plan(state, ObservedSwarm(pins={IMAGE: PIN}))
    assert [(a.kind, a.target) for a in planned.actions] == [
        ("create-network", "demo_default"),
        ("create-service", "demo_web"),
    ]


def test_applied_state_plans_nothing(tmp_path):
    _, state = _state(tmp_path, {"web": _web()})
    planned = plan(state, _as_applied(state))
    assert planned.empty and planned.unchanged == ("web",)


def test_changes_are_explained_field_by_field(tmp_path):
    _, before = _state(tmp_path, {"web": _web()})
    observed = _as_applied(before)
    changed = _web(replicas=5)
    changed["deploy"]["placement"]["constraints"] = ["node.role == worker"]
    changed["environment"] = {"MODE": "b"}
    _, after = _state(tmp_path, {"web": changed})
    (action,) = plan(after, observed).actions
    assert action.kind == "update-service"
    assert action.reasons == (
        # the label holds keyed hashes: old strings are not known, old numbers are
        "deploy.placement.constraints: changed -> [node.role == worker]",
        "deploy.replicas: 3 -> 5",
        "environment: MODE changed",
    )


def test_scaling_outside_validator_and_a_moved_image_are_drift(tmp_path):
    _, state = _state(tmp_path, {"web": _web()})
    observed = _as_applied(state)
    scaled = copy.deepcopy(observed)
    scaled.services["web"]["Spec"]["Mode"] = {"Replicated": {"Replicas": 1}}
    (action,) = plan(state, scaled).actions
    assert action.reasons == ("deploy.replicas: 1 -> 3 (changed outside validator)",)
    moved = copy.deepcopy(observed)
    moved.pins[IMAGE] = "sha256:" + "c" * 64
    (action,) = plan(state, moved).actions
    assert action.reasons == (f"image: {IMAGE} moved to a new ID",)


def test_foreign_service_is_a_conflict_and_orphans_need_the_flag(tmp_path):
    _, state = _state(tmp_path, {"web": _web()})
    observed = _as_applied(state)
    observed.foreign_services = ["demo_web"]
    orphan = {"ID": "x", "Spec": {"Name": "demo_old", "Labels": {L.PROJECT: "demo", L.SERVICE: "old"}}}
    observed.orphans = [orphan]
    planned = plan(state, observed)
    assert planned.conflicts == ("service demo_web exists but this project does not own it (no 'demo' label)",)
    assert planned.notes[0].startswith("orphan service demo_old")
    assert [a.kind for a in plan(state, observed, remove_orphans=True).actions] == ["remove-orphan"]


def test_secret_values_never_appear_in_reasons(tmp_path):
    base = _web()
    base["environment"] = {"DB_PASSWORD": "old-secret"}
    _, before = _state(tmp_path, {"web": base})
    base["environment"] = {"DB_PASSWORD": "new-secret"}
    _, after = _state(tmp_path, {"web": base})
    (action,) = plan(after, _as_applied(before)).actions
    assert action.reasons == ("environment: DB_PASSWORD changed",)


@pytest.mark.parametrize(
    ("orchestrator", "service", "where"),
    [
        ("swarm", {"ports": ["127.0.0.1:8080:80"]}, "services.web.ports"),
        ("swarm", {"restart": "always"}, "services.web.restart"),
        ("swarm", {"privileged": True}, "services.web.privileged"),
        ("swarm", {"container_name": "x"}, "services.web.container_name"),
    ],
)
def test_a_field_the_orchestrator_cannot_honour_is_refused_with_its_place(tmp_path, orchestrator, service, where):
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "services": {"web": {"image": IMAGE, **service}}})
    with pytest.raises(SpecError) as caught:
        backend(loaded, orchestrator, warn=print)
    (finding,) = caught.value.findings
    assert str(finding).startswith(f"{tmp_path / 'infra.yaml'}:")
    assert where in str(finding) and f"[{orchestrator}]" in str(finding)


def test_swarm_scheduling_fields_are_ignored_by_plain_containers_as_compose_ignores_them(tmp_path, capsys):
    deploy = {"placement": {"constraints": ["node.role == worker"]}, "endpoint_mode": "vip"}
    service = {"image": IMAGE, "deploy": deploy}
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "services": {"web": service}})
    warnings: list[str] = []
    assert backend(loaded, "containers", warn=warnings.append).name == "containers"
    err = "\n".join(warnings)
    assert "services.web.deploy.placement: warning: placement chooses Swarm nodes: ignored by plain containers" in err
    assert "services.web.deploy.endpoint_mode:" in err and f"{tmp_path / 'infra.yaml'}:" in err


def test_the_same_spec_passes_where_it_is_honoured(tmp_path):
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "services": {"web": _web()}})
    chosen = backend(loaded, "swarm", warn=print)
    assert chosen.name == "swarm" and type(chosen).__module__ == "validator.backends.swarm"
    assert backend(loaded, None, warn=print).name == "containers"  # 3 replicas run as 3 containers there (issue 13c)
    everywhere = _web(mode="global")
    del everywhere["deploy"]["replicas"]
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "services": {"web": everywhere}})
    assert backend(loaded, "swarm", warn=print).name == "swarm"
    # one task per node is one container on one engine, as docker compose runs it
    assert backend(loaded, None, warn=print).name == "containers"
    assert desired_state(loaded, {}, refuse_unsupported=False).services["web"].replicas == 1


def _files_spec(tmp_path, secret: str = "s3cret-1", external: bool = False) -> dict[str, Any]:
    (tmp_path / "app.conf").write_text("setting = 1\n")
    (tmp_path / "db_password.txt").write_text(secret)
    return {
        "version": 1,
        "project": "demo",
        "configs": {"app": {"file": "./app.conf"}, **({"ext": {"external": True}} if external else {})},
        "secrets": {"db_password": {"file": "./db_password.txt"}},
        "services": {
            "web": {
                "image": IMAGE,
                "configs": [{"source": "app", "target": "/etc/app.conf", "mode": 0o440}],
                "secrets": ["db_password"],
            }
        },
    }


def _swarm(loaded):
    declared = {"configs": loaded.spec.configs, "secrets": loaded.spec.secrets}
    desired = desired_state(loaded, environ={}, refuse_unsupported=False)
    return swarm_state(desired, loaded.spec.services, declared, loaded.base_dir)


def test_plain_containers_get_configs_and_secrets_as_read_only_files(tmp_path):
    loaded = load_dict(tmp_path, _files_spec(tmp_path))
    web = desired_state(loaded, environ={}, refuse_unsupported=False).services["web"]
    # the config asks for a mode: copied in with it (a bind mount would keep the file's own)
    assert sorted(web.config["volumes"]) == [f"bind:{tmp_path / 'db_password.txt'}:/run/secrets/db_password:ro"]
    assert [(f.path, f.content, f.mode) for f in web.files] == [("/etc/app.conf", b"setting = 1\n", 0o440)]
    assert set(web.mounted) == {"copied into /etc/app.conf", "db_password.txt"}


def test_swarm_objects_are_content_addressed_and_a_secrets_digest_is_never_printed(tmp_path):
    loaded = load_dict(tmp_path, _files_spec(tmp_path))
    state = _swarm(loaded)
    config = state.objects[("config", "app")]
    secret = state.objects[("secret", "db_password")]
    assert config.name.startswith("demo_app_") and secret.name.startswith("demo_db_password_")
    assert "volumes" not in state.services["web"].config  # no bind mounts on Swarm
    fresh = plan(state, ObservedSwarm(pins={IMAGE: PIN}))
    kinds = [(a.kind, a.target) for a in fresh.actions]
    assert kinds[1:3] == [("create-config", "app"), ("create-secret", "db_password")]
    ids = {config.name: "cfg-id", secret.name: "sec-id"}
    spec = service_spec(
        state.services["web"], project="demo", image=PIN, spec_files=(), version="t", key=state.key, object_ids=ids
    )["TaskTemplate"]["ContainerSpec"]
    assert spec["Configs"] == [
        {
            "File": {"Name": "/etc/app.conf", "UID": "0", "GID": "0", "Mode": 0o440},
            "ConfigID": "cfg-id",
            "ConfigName": config.name,
        }
    ]
    assert spec["Secrets"][0]["SecretName"] == secret.name and spec["Secrets"][0]["SecretID"] == "sec-id"

    observed = _as_applied(state)
    observed.objects = {config.name: "cfg-id", secret.name: "sec-id"}
    assert plan(state, observed).empty
    changed = _swarm(load_dict(tmp_path, _files_spec(tmp_path, secret="s3cret-2")))
    again = plan(changed, observed)
    assert [(a.kind, a.target) for a in again.actions] == [
        ("create-secret", "db_password"),
        ("update-service", "demo_web"),
    ]
    printed = " ".join(r for a in again.actions for r in a.reasons)
    assert "mounted file db_password.txt changed" in printed
    assert changed.objects[("secret", "db_password")].name not in printed and secret.name not in printed


def test_an_external_config_is_refused_for_plain_containers_and_must_exist_on_swarm(tmp_path):
    data = _files_spec(tmp_path, external=True)
    data["services"]["web"]["configs"].append("ext")
    loaded = load_dict(tmp_path, data)
    with pytest.raises(SpecError, match=r"configs\.ext\.external: an external config exists only in a swarm"):
        backend(loaded, "containers", warn=print)
    state = _swarm(loaded)
    assert "external config ext does not exist in the swarm" in plan(state, ObservedSwarm()).conflicts


def test_an_undeclared_config_or_secret_is_a_located_lint_error(tmp_path):
    from tests.harness.specs import write_spec
    from validator.load import lint_files

    data = _files_spec(tmp_path)
    data["services"]["web"]["secrets"] = ["db_pasword"]
    findings = [str(f) for f in lint_files([str(write_spec(tmp_path, data))], environ={})]
    assert any(
        "services.web.secrets[0]: secret 'db_pasword' is not declared under top-level 'secrets'" in f
        and "did you mean 'db_password'" in f
        for f in findings
    ), findings


def test_a_file_mode_string_is_octal_and_a_bad_one_is_located(tmp_path):
    data = _files_spec(tmp_path)
    data["services"]["web"]["configs"][0]["mode"] = "0440"
    assert load_dict(tmp_path, data).spec.services["web"].configs[0].mode == 0o440
    data["services"]["web"]["configs"][0]["mode"] = "rw-r"
    with pytest.raises(SpecError, match=r"services\.web\.configs\[0\]\.mode: .*not an octal number"):
        load_dict(tmp_path, data)


def test_scale_is_the_replica_count_as_compose_means_it(tmp_path):
    """``scale: 3`` (no ``deploy``) is three tasks, as it is three containers on plain containers."""
    spec = _web()
    del spec["deploy"]
    spec["scale"] = 3
    spec.pop("ports")  # a fixed host port is one container's; Swarm's ingress would share it, beside the point here
    _, state = _state(tmp_path, {"web": spec})
    assert state.services["web"].replicas == 3
    assert state.services["web"].config["deploy"] == {"replicas": 3}
    assert service_spec(state.services["web"], project="demo", image=PIN, spec_files=(), version="t", key=state.key)[
        "Mode"
    ] == {"Replicated": {"Replicas": 3}}
