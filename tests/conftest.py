"""Shared fixtures: paths into the repository and a runner for the CLI as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "examples"

# VALIDATOR_TEST_TIMELINE=PATH: one line per test (worker, start, end), see tests/harness/timeline.py;
# under xdist's loadfile, the files longest first and the stack modules as one: tests/harness/schedule.py
pytest_plugins = ["tests.harness.timeline", "tests.harness.schedule"]


@pytest.fixture(autouse=True)
def _fresh_redactor():
    """The redactor's registry is process-wide: a value one test registers must not mask another's."""
    from validator import redact

    redact.reset()
    yield
    redact.reset()


@pytest.fixture(scope="module", autouse=True)
def _one_stack_at_a_time(request):
    """Under pytest-xdist (scripts/test runs two workers), the modules that bring up the shipped stack
    take turns: it binds fixed host ports, so two copies cannot run at once. Without xdist there is
    one process and nothing to wait for (and no lock a caller's own ``flock /tmp/stack.lock`` around
    the whole run could deadlock with: this lock file is another)."""
    import fcntl

    marks = getattr(request.module, "pytestmark", [])
    stack = any(mark.name == "stack" for mark in (marks if isinstance(marks, list) else [marks]))
    if not stack or "PYTEST_XDIST_WORKER" not in os.environ:
        yield
        return
    with open(os.environ.get("VALIDATOR_STACK_TEST_LOCK", "/tmp/validator-stack-tests.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # bounded by the other worker's stack module (pytest-timeout)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def run_cli():
    """Run ``python -m validator ARGS`` as a subprocess; return the completed process."""

    def _run(
        *args: str,
        cwd: Path | str = ROOT,
        env: dict[str, str] | None = None,
        timeout: float = 120,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        full_env.pop("VALIDATOR_DEBUG", None)
        return subprocess.run(
            [sys.executable, "-m", "validator", *args],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )

    return _run


class MavenRepository:
    """A Maven repository on 127.0.0.1 that answers every request with ``status`` (403: it refuses)."""

    def __init__(self) -> None:
        import http.server
        import threading

        repo = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                repo.requests.append(self.path)
                self.send_response(repo.status)
                self.end_headers()

            do_GET = do_HEAD

            def log_message(self, *args: object) -> None:
                pass

        self.status = 403
        self.requests: list[str] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/maven2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def maven_repository():
    repo = MavenRepository()
    yield repo
    repo.close()
