"""The command line as a real process: help, exit codes, no tracebacks, light imports for lint."""

import sys

import pytest

from validator.commands import COMMANDS


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help(run_cli, command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "usage: validator" in result.stdout


def test_top_level_help_lists_exit_codes(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0
    assert "exit codes: 0 ok, 1 checks failed" in result.stdout


def test_bad_command_line_exits_2(run_cli):
    assert run_cli("nonsense").returncode == 2
    assert run_cli("lint", "--no-such-flag").returncode == 2


def test_console_script_is_installed(tmp_path):
    import shutil
    import subprocess

    exe = shutil.which("validator", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe, "the validator console script is not installed"
    assert subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.startswith("validator ")


def test_lint_imports_no_docker_requests_or_spark(tmp_path):
    import subprocess

    code = (
        "import sys, runpy\n"
        "sys.argv = ['validator', 'lint', 'infra.yaml']\n"
        "from validator.main import main\n"
        "rc = main(sys.argv[1:])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in\n"
        "    ('docker', 'requests', 'pyspark', 'delta', 'deltalake', 'mysql', 'rich', 'psutil'))\n"
        "print(rc, heavy)\n"
    )
    from pathlib import Path

    out = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True
    )
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr


def test_spec_errors_exit_2_for_other_commands(run_cli, tmp_path):
    spec = tmp_path / "infra.yaml"
    spec.write_text("version: 1\nproject: demo\nservices:\n  web:\n    imagee: x\n")
    for command in ("plan", "up", "down", "check"):
        # down reads only the project's name before its first stop and checks the rest meanwhile: with
        # no engine to reach it says the findings all the same (with one it takes the project down
        # first: tests/integration/test_down.py)
        unreachable = ("--host", "unix:///nonexistent-validator.sock") if command == "down" else ()
        result = run_cli(command, "-f", str(spec), *unreachable)
        assert result.returncode == 2, (command, result.stderr)
        assert f"{spec}:5:5: services.web.imagee: unknown key 'imagee'" in result.stderr
        assert "Traceback" not in result.stderr


def test_plan_and_up_connect_while_the_spec_is_read_and_say_its_errors_first(run_cli, tmp_path):
    """``plan`` and ``up`` begin connecting before they read the spec (engine/docker_api.Connecting):
    a bad spec is still exit 2 with its findings, whatever the engine; a good one with no engine, 3."""
    unreachable = ("--host", "unix:///nonexistent-validator.sock")
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text("version: 1\nproject: demo\nservices:\n  web:\n    imagee: x\n")
    good.write_text("version: 1\nproject: demo\nservices:\n  web:\n    image: x\n")
    for command in ("plan", "up"):
        result = run_cli(command, "-f", str(bad), *unreachable)
        assert result.returncode == 2, (command, result.stderr)
        assert f"{bad}:5:5: services.web.imagee: unknown key 'imagee'" in result.stderr
        result = run_cli(command, "-f", str(good), *unreachable)
        assert result.returncode == 3, (command, result.stderr)
        assert "cannot reach the Docker engine at unix:///nonexistent-validator.sock" in result.stderr
        assert "Traceback" not in result.stderr


def test_no_spec_file_is_a_clear_error(run_cli, tmp_path):
    result = run_cli("plan", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "infra.yaml: no such file"


def test_an_interrupt_a_finalizer_swallowed_is_delivered_again(capsys):
    """A signal landing while a finalizer runs must not be lost (nor print a traceback): the
    unraisable hook raises it again, so the run still ends as interrupted."""
    import signal
    import sys
    import time

    from validator import main as entry
    from validator.errors import Interrupted

    class Finalized:
        def __del__(self) -> None:
            raise Interrupted(signal.SIGTERM)  # as if SIGTERM's handler ran inside this finalizer

    previous = signal.signal(signal.SIGTERM, entry._on_signal)
    hook, sys.unraisablehook = sys.unraisablehook, entry._on_unraisable
    try:
        with pytest.raises(Interrupted) as caught:
            Finalized()  # dropped at once: its __del__ raises, and Python swallows that
            time.sleep(2)  # the signal comes again within 10 ms and interrupts this sleep
        assert caught.value.signum == signal.SIGTERM
    finally:
        sys.unraisablehook = hook
        signal.signal(signal.SIGTERM, previous)
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("hosts", [[""], ["unix:///var/run/docker.sock", ""], ["  "]])
def test_an_empty_target_address_is_refused(tmp_path, capsys, hosts):
    """``--host "$B"`` with B unset would mean the default engine (issue 21, second review, case 08)."""
    from tests.harness.specs import write_spec
    from validator.main import main

    spec = write_spec(tmp_path, {"version": 1, "project": "vb-empty-host"})
    args = [arg for host in hosts for arg in ("--host", host)]
    assert main(["check", "-f", str(spec), "--no-progress", "--no-history", *args]) == 2
    assert "--host: an empty address names no engine (an unset variable?)" in capsys.readouterr().err


def test_down_v_removes_volumes_as_composes_does():
    """``docker compose down -v`` removes volumes: the same letter must not mean --verbose (keeping them)
    here. ``--verbose`` stays, and ``-v`` keeps meaning --verbose for up and check."""
    import argparse

    from validator.commands import down, up

    parser = argparse.ArgumentParser()
    down.add_arguments(parser)
    args = parser.parse_args(["-v"])
    assert args.volumes is True and args.verbose == 0
    assert parser.parse_args(["--verbose"]).verbose == 1
    parser = argparse.ArgumentParser()
    up.add_arguments(parser)
    assert parser.parse_args(["-v"]).verbose == 1
