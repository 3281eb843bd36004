"""What a recorded verdict was judged against (run/fingerprint.py, adversary graph6 case 06): the spec
and the content of the files it points at, so ``report`` never shows a run as the verdict on a spec
whose configs file, read-only bind or Dockerfile changed since."""

from __future__ import annotations

from tests.harness.specs import load_dict
from tests.unit.test_history import _target_run, fake_images
from validator import history
from validator.main import main
from validator.run.fingerprint import UNKNOWN, recorded, verdict_inputs


def _spec(**web):
    return {
        "version": 1,
        "project": "fingerprint",
        "services": {"web": {"image": "x", **web}},
        "configs": {"page": {"file": "./page.html"}},
    }


def test_a_changed_configs_file_read_only_bind_or_dockerfile_changes_the_fingerprint(tmp_path):
    (tmp_path / "page.html").write_text("GOOD\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "a.yml").write_text("a: 1\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM busybox\n")
    (tmp_path / "data").mkdir()
    web = {
        "configs": [{"source": "page", "target": "/www/index.html"}],
        "volumes": ["./conf:/etc/conf:ro", "./data:/data"],
        "build": {"context": "./app"},
    }
    first = verdict_inputs(load_dict(tmp_path, _spec(**web)))
    assert first is not None and first == verdict_inputs(load_dict(tmp_path, _spec(**web)))  # stable
    (tmp_path / "data" / "db.bin").write_text("written by the service")  # data, not configuration
    assert verdict_inputs(load_dict(tmp_path, _spec(**web))) == first
    seen = {first}
    for path, text in (("page.html", "BROKEN\n"), ("conf/a.yml", "a: 2\n"), ("app/Dockerfile", "FROM alpine\n")):
        (tmp_path / path).write_text(text)
        now = verdict_inputs(load_dict(tmp_path, _spec(**web)))
        assert now is not None and now not in seen, f"{path} changed, the fingerprint did not"
        seen.add(now)


def test_report_of_a_run_before_a_configs_file_changed_is_no_verdict(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("validator.commands.report._image_lookup", lambda address: fake_images)
    (tmp_path / "page.html").write_text("GOOD\n")
    spec = _spec(configs=[{"source": "page", "target": "/www/index.html"}])
    loaded = load_dict(tmp_path, spec)
    history.record(tmp_path / ".validator" / "history.db", _target_run(loaded, "local", "one", "pass", 1000.0))
    report = ["report", "-f", str(tmp_path / "infra.yaml")]
    assert main(report) == 0
    (tmp_path / "page.html").write_text("BROKEN\n")
    capsys.readouterr()
    assert main(report) == 1
    assert "the spec, a file it points at, or an image a service names has changed since this run" in (
        capsys.readouterr().err
    )
    (tmp_path / "page.html").write_text("GOOD\n")
    assert main(report) == 0


def test_a_spec_whose_files_cannot_be_fingerprinted_is_recorded_as_unknown(tmp_path, monkeypatch):
    loaded = load_dict(tmp_path, _spec())

    def unreadable(*args, **kwargs):
        raise OSError("permission denied")

    monkeypatch.setattr("validator.run.fingerprint.desired_state", unreadable)
    assert verdict_inputs(loaded) is None
    got = recorded(loaded)
    # keyed like the fingerprint (adversary s9 case 18): the spec's own hash, secrets in it, is never shown
    assert got.startswith(UNKNOWN) and loaded.text_hash not in got and got == recorded(loaded)


def test_report_when_the_spec_cannot_be_fingerprinted_now_is_no_verdict(tmp_path, capsys, monkeypatch):
    loaded = load_dict(tmp_path, _spec())
    history.record(tmp_path / ".validator" / "history.db", _target_run(loaded, "local", "one", "pass", 1000.0))
    monkeypatch.setattr("validator.commands.report.inputs", lambda loaded, **kwargs: None)
    capsys.readouterr()
    assert main(["report", "-f", str(tmp_path / "infra.yaml")]) == 1
    assert "a file the spec points at cannot be read now" in capsys.readouterr().err


def test_report_of_a_run_before_an_image_tag_moved_is_no_verdict(tmp_path, capsys, monkeypatch):
    """Adversary graph7 case 01: the tag a service names was moved to another image after the check
    (a pull, a build, ``docker tag``): ``plan`` would recreate it, so the run is no verdict on it now;
    an engine that cannot be asked leaves no verdict either."""
    (tmp_path / "page.html").write_text("GOOD\n")
    loaded = load_dict(tmp_path, _spec())
    history.record(tmp_path / ".validator" / "history.db", _target_run(loaded, "local", "one", "pass", 1000.0))
    report = ["report", "-f", str(tmp_path / "infra.yaml")]
    monkeypatch.setattr("validator.commands.report._image_lookup", lambda address: fake_images)
    assert main(report) == 0
    monkeypatch.setattr("validator.commands.report._image_lookup", lambda address: lambda ref: "sha256:moved")
    capsys.readouterr()
    assert main(report) == 1
    assert "or an image a service names has changed since this run" in capsys.readouterr().err
    monkeypatch.setattr("validator.commands.report._image_lookup", lambda address: None)
    assert main(report) == 1
    assert "the engine 'local' this run checked cannot be asked" in capsys.readouterr().err


def test_the_fingerprint_holds_the_image_each_reference_names():
    import tempfile
    from pathlib import Path

    from tests.harness.specs import load_dict as load

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "page.html").write_text("GOOD\n")
        loaded = load(Path(folder), _spec())
        assert verdict_inputs(loaded, fake_images) != verdict_inputs(loaded, lambda ref: "sha256:other")
        assert verdict_inputs(loaded, fake_images) == verdict_inputs(loaded, fake_images)

        def refuses(ref: str) -> str | None:
            raise OSError("the engine is gone")

        assert verdict_inputs(loaded, refuses) is None
