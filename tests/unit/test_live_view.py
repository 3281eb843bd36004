"""The live view on a real terminal (a pseudo-terminal): markup in a result is shown, not obeyed,
and a secret never reaches the screen."""

from __future__ import annotations

import os
import pty
import sys
import time

import yaml

from validator.redact import MASK


def test_the_live_view_shows_markup_as_text_and_masks_secrets(tmp_path):
    token = "live-view-secret-7c1e9a"
    (tmp_path / "app.env").write_text("MODE=test\n")
    spec = {
        "version": 1,
        "project": "live",
        "config_keys": {
            "app": {"path": "app.env", "keys": {"MODE": {"equals": "x", "message": "[/x] [link=https://x]y ${TOKEN}"}}}
        },
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "VALIDATOR_DEBUG")}
    env.update(TOKEN=token, TERM="xterm", PYTHONPATH=os.pathsep.join(sys.path))
    pid, fd = pty.fork()
    if pid == 0:  # the child: validator check on a terminal, so the live view (rich) is used
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "validator", "check", "--no-history"], env)
    screen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    _, status = os.waitpid(pid, 0)
    text = screen.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 1, text[-2000:]  # the assertion fails; no crash (4)
    assert "[/x] [link=https://x]y" in text and MASK in text
    assert token not in text and "\x1b]8;" not in text  # no secret, no terminal hyperlink
