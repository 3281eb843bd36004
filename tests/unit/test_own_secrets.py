"""validator's own secrets (redact.OWN_SECRETS: the label key) never reach a child and are always masked.

The label key seals every value of the desired-state labels: a suite that sees it (round-3 case 13 put
it in pytest's assertion line, so in the console, the JSON and JUnit reports and the history) hands
anyone who can read a container's labels an offline test of their guesses of its environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

from validator import children, redact
from validator.engine import labels
from validator.main import main
from validator.redact import MASK

KEY = "LabelKeyOwn5566zzQQ"
SHOW = [sys.executable, "-c", "import os; print(os.environ.get('VALIDATOR_LABEL_KEY'))"]


def test_a_child_never_receives_the_label_key_from_the_process_environment(monkeypatch):
    monkeypatch.setenv("VALIDATOR_LABEL_KEY", KEY)
    out = children.run(SHOW, timeout=30, text=True)
    assert out.stdout.strip() == "None"


def test_a_child_never_receives_the_label_key_from_an_environment_built_for_it(monkeypatch):
    # the suite runner builds its child's environment from os.environ and the suite's own variables
    out = children.run(SHOW, timeout=30, text=True, env={"PATH": "/usr/bin:/bin", "VALIDATOR_LABEL_KEY": KEY})
    assert out.stdout.strip() == "None"


def test_every_command_registers_the_label_key_it_was_given(monkeypatch, tmp_path: Path, capsys):
    monkeypatch.setenv("VALIDATOR_LABEL_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "infra.yaml").write_text("project: own-secrets\n")
    main(["lint", "infra.yaml"])  # a command that never reads the key: registered all the same
    capsys.readouterr()
    assert redact.text(f"key={KEY}.") == f"key={MASK}."


def test_the_key_kept_in_the_state_folder_is_registered_when_it_is_read(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("VALIDATOR_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("VALIDATOR_LABEL_KEY", raising=False)
    monkeypatch.setattr(labels, "_KEY", None)
    key = labels.state_key().decode()
    assert len(key) >= 32 and redact.text(key) == MASK
    redact.reset()  # the next command in this process: the cached key is registered again
    labels.state_key()
    assert redact.text(key) == MASK
