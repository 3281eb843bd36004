"""Adversary graph6 case 11 and its class on a real engine: a launch step counted done while its effect
is not in the running container. A config copied into the created container beneath a tmpfs is hidden
at the start (docker compose hides it the same way): the spec is refused before anything is made. A
copy lost at the start in a way no rule foresees (a volume whose driver mounts a fresh tmpfs at each
mount) fails the service on its read-back, with no launch record; what the container does hold passes."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from validator.engine.launches import LaunchRecords

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PAGE = "PAGE-FROM-CONFIG"
HTTPD = ["httpd", "-f", "-p", "8080", "-h", "/www"]  # no health check, as in the case: nothing else tells


def _write(project, services, **extra) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services, **extra)))


def _in(engine, container: str, *argv: str) -> tuple[int, str]:
    return engine.exec(container, list(argv))


def test_case11_a_config_copied_under_a_tmpfs_is_refused_before_anything_is_made(project):
    """11: up said "web ready" and check passed while /www (a tmpfs) hid the copied page (404). Now
    up, plan and check refuse the spec (exit 2) naming the config and the tmpfs, and make nothing."""
    web = project.sleeper(command=HTTPD, tmpfs=["/www"], configs=[{"source": "page", "target": "/www/index.html"}])
    _write(project, {"web": web}, configs={"page": {"content": PAGE}})
    for args in (("up", "--timeout", "60"), ("plan",), ("check", "--no-history", "--no-suites", "--timeout", "60")):
        result = project.cli(*args, timeout=180)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "services.web.configs[0]" in result.stderr and "the tmpfs /www" in result.stderr, result.stderr
    assert project.containers() == {}


def test_docker_compose_hides_a_config_copied_under_a_tmpfs_too(project, compose_bin):
    """The oracle: docker compose copies the config into the created container, mounts the tmpfs at the
    start and says "Started"; the container's /www is empty. (validator refuses the spec instead.)"""
    compose = {
        "name": project.name,
        "services": {
            "web": {
                "image": project.image,
                "command": ["sleep", "3600"],
                "init": True,
                "tmpfs": ["/www"],
                "configs": [{"source": "page", "target": "/www/index.html"}],
            }
        },
        "configs": {"page": {"content": PAGE}},
    }
    (project.folder / "compose.yaml").write_text(yaml.safe_dump(compose))
    run = [str(compose_bin), "-f", str(project.folder / "compose.yaml")]
    try:
        up = subprocess.run([*run, "up", "-d"], capture_output=True, text=True, timeout=120)
        assert up.returncode == 0, up.stderr
        code, out = _in(project.engine, f"{project.name}-web-1", "ls", "-A", "/www")
        assert code == 0 and out.strip() == "", out
    finally:
        subprocess.run([*run, "down", "-t", "1"], capture_output=True, text=True, timeout=120)


def test_a_copy_lost_at_the_start_fails_up_and_leaves_no_launch_record(project, engine):
    """The class beyond the rule: a local volume of driver type tmpfs is mounted for the copy and
    unmounted after it, so the start mounts a fresh, empty tmpfs. up said ready on the copy call's
    success (as docker compose does); the read-back after the start now fails web, naming the config,
    and no launch record vouches for it (the next up recreates it)."""
    web = project.sleeper(
        command=HTTPD, volumes=["pages:/www"], configs=[{"source": "page", "target": "/www/index.html"}]
    )
    result = project.up(
        {"web": web},
        timeout=60,
        extra={
            "configs": {"page": {"content": PAGE}},
            "volumes": {"pages": {"driver_opts": {"type": "tmpfs", "device": "tmpfs"}}},
        },
    )
    outcome = result.services["web"]
    assert outcome.status == "failed", outcome
    assert "/www/index.html" in outcome.message and "not in the started container" in outcome.message
    container = project.containers()["web"]["Id"]
    assert _in(engine, container, "ls", "-A", "/www")[1].strip() == ""  # what the read-back saw
    assert LaunchRecords.of(engine).launched([container]) == frozenset()


def test_copied_files_the_container_holds_pass_and_a_kept_container_is_not_read_again(project, engine, monkeypatch):
    """Copies the started container holds: a config with an owner and a mode in the image layer, one in a
    volume mounted inside a tmpfs (the innermost mount decides) and a secret under /run/secrets. up is
    ready, each file is there as asked, and a second up keeps web."""
    web = project.sleeper(
        tmpfs=["/www"],
        volumes=["data:/www/data"],
        configs=[
            {"source": "page", "target": "/www/data/index.html"},
            {"source": "conf", "target": "/etc/app.conf", "uid": "1000", "gid": "1000", "mode": 0o440},
        ],
        secrets=["token"],
    )
    extra = {
        "configs": {"page": {"content": PAGE}, "conf": {"content": "x=1\n"}},
        "secrets": {"token": {"environment": "COPY6_TOKEN"}},
        "volumes": {"data": {}},
    }
    monkeypatch.setenv("COPY6_TOKEN", "t0ken")
    first = project.up({"web": web}, timeout=60, extra=extra)
    assert first.ok, {n: r.message for n, r in first.services.items()}
    container = project.containers()["web"]["Id"]
    assert _in(engine, container, "cat", "/www/data/index.html") == (0, PAGE)
    listed = _in(engine, container, "ls", "-ln", "/etc/app.conf")[1].split()
    assert (listed[0], listed[2], listed[3]) == ("-r--r-----", "1000", "1000"), listed
    assert _in(engine, container, "cat", "/run/secrets/token") == (0, "t0ken")
    assert LaunchRecords.of(engine).launched([container]) == {container}
    second = project.up({"web": web}, timeout=60, extra=extra)
    assert second.ok and project.containers()["web"]["Id"] == container
    assert second.services["web"].action is None
