"""Readiness by exec on the real engine: a service waited on with service_healthy counts ready once
its own health test passes by exec, long before the engine's first probe one interval after start;
its healthy time stays the engine's; ``settings.ready_by_exec: false`` turns it off."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.docker

INTERVAL = 4.0  # engine 20.10 (API < 1.44) runs the first probe one whole interval after start


def services(project):
    slow = project.http_service(
        healthcheck={
            "test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"],
            "interval": f"{INTERVAL:g}s",
            "timeout": "2s",
            "retries": 3,
        }
    )
    return {"slow": slow, "after": project.sleeper(depends_on={"slow": {"condition": "service_healthy"}})}


def test_dependent_starts_when_the_health_test_passes_by_exec_healthy_stays_the_engines(project):
    result = project.up(services(project))
    assert result.ok, project.lines
    slow, after = result.services["slow"].timing, result.services["after"].timing
    assert slow.ready is not None and slow.ready < INTERVAL / 2, slow
    assert slow.healthy is not None and slow.healthy >= INTERVAL - 0.5, slow  # the engine's own probe
    assert slow.ready_at <= after.requested_at < slow.healthy_at, (slow, after)
    assert any("slow: created" in line and "ready by exec" in line for line in project.lines), project.lines


def test_the_setting_turns_it_off(project):
    result = project.up(services(project), extra={"settings": {"ready_by_exec": False}})
    assert result.ok, project.lines
    slow, after = result.services["slow"].timing, result.services["after"].timing
    assert slow.ready is None and slow.healthy >= INTERVAL - 0.5
    assert after.requested_at >= slow.healthy_at
