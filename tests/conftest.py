"""Shared fixtures: paths into the repository and a runner for the CLI as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "examples"


@pytest.fixture(autouse=True)
def _fresh_redactor():
    """The redactor's registry is process-wide: a value one test registers must not mask another's."""
    from validator import redact

    redact.reset()
    yield
    redact.reset()


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
