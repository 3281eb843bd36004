"""The pytest plugin from outside: --infra-up reconciles before the session; a fixture whose service
does not answer fails with the service's name and what was tried."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import free_port

pytestmark = pytest.mark.docker


def pytest_in(folder, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_infra_up_then_endpoints(project):
    port = free_port()
    spec = project.spec({"web": project.http_service(port, image=project.image)})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    (project.folder / "test_web.py").write_text(
        "import urllib.request\n"
        "def test_web(infra):\n"
        f"    assert infra.host_port('web', 8080) == {port}\n"
        "    assert urllib.request.urlopen(infra.url('web', 8080, '/')).status == 200\n"
    )
    result = pytest_in(project.folder, "--infra-up")
    assert result.returncode == 0, result.stdout[-3000:]
    assert set(project.containers()) == {"web"}


def test_unreachable_service_fails_with_its_name(tmp_path):
    port = free_port()
    spec = {
        "version": 1,
        "project": "unreachable",
        "services": {"alertmanager": {"image": "prom/alertmanager:v0.26.0", "ports": [f"127.0.0.1:{port}:9093"]}},
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "test_am.py").write_text("def test_am(alertmanager_client):\n    alertmanager_client.get_alerts()\n")
    result = pytest_in(tmp_path)
    assert result.returncode == 1
    assert (
        f"service 'alertmanager' is not reachable: GET http://127.0.0.1:{port}/api/v2/status failed" in result.stdout
    ), result.stdout[-2000:]
    assert "start it with `validator up` or run pytest with --infra-up" in result.stdout
