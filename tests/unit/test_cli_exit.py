"""The command's quick exit (``validator.main.cli``): exit codes, output, atexit handlers and working
threads all survive skipping the interpreter's teardown."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # buffered as a user's shell has it (this machine sets PYTHONUNBUFFERED, which would hide a lost flush)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env
    )


def test_exit_code_of_main_is_the_process_exit_code(tmp_path):
    (tmp_path / "infra.yaml").write_text("version: 1\nproject: demo\nservices:\n  web:\n    imagee: x\n")
    for command, code in (("lint", 1), ("plan", 2), ("--version", 0)):
        args = [command] if command.startswith("-") else [command, "-f", "infra.yaml"]
        result = subprocess.run(
            [sys.executable, "-m", "validator", *args], cwd=tmp_path, capture_output=True, text=True
        )
        assert result.returncode == code, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


def test_large_output_to_a_pipe_is_flushed_whole(tmp_path):
    result = subprocess.run([sys.executable, "-m", "validator", "schema"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["properties"]["services"]  # cut output would not parse


def test_atexit_handlers_still_run(tmp_path):
    marker = tmp_path / "ran"
    result = _run(
        f"""
        import atexit, sys
        atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))
        atexit.register(lambda: print("printed at exit"))  # after main's streams are restored
        sys.argv = ["validator", "schema", "-o", "schema.json"]
        from validator.main import cli
        cli()
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "printed at exit"
    assert marker.read_text() == "ran"


def test_a_working_thread_is_waited_for(tmp_path):
    marker = tmp_path / "done"
    result = _run(
        f"""
        import sys, threading, time
        def work():
            time.sleep(0.3)
            open({str(marker)!r}, "w").write("done")
        threading.Thread(target=work).start()
        sys.argv = ["validator", "schema", "-o", "schema.json"]
        from validator.main import cli
        cli()
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "done"


def test_a_closed_pipe_is_a_quiet_failure(tmp_path):
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    result = subprocess.run(
        [sys.executable, "-m", "validator", "schema"], cwd=ROOT, stdout=reader.stdin, stderr=subprocess.PIPE, text=True
    )
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait(timeout=10)
    assert "Traceback" not in result.stderr


def test_an_interrupt_a_library_wrapped_in_its_own_error_still_exits_as_interrupted(monkeypatch, capsys):
    """A SIGINT raised inside pydantic's schema building comes out as SchemaError (seen in CI): the run
    was interrupted, so it exits 130, never 4 (internal error)."""
    import signal
    import types

    from validator import main as entry

    def run(args: object) -> int:
        try:
            entry._on_signal(signal.SIGINT, None)  # what the handler does when the signal lands
        except Exception as exc:  # noqa: BLE001 - what a library does with it
            raise RuntimeError(f"Error building serializer: {exc}") from None
        return 0

    from dataclasses import replace

    from validator.commands import COMMANDS

    lint = COMMANDS["lint"]
    fake = types.SimpleNamespace(add_arguments=lint.load().add_arguments, run=run)
    monkeypatch.setitem(COMMANDS, "lint", replace(lint, load=lambda: fake))
    assert entry.main(["lint"]) == 130
    assert "internal error" not in capsys.readouterr().err
