"""How results enter the run: each metric with its producer as evidence, unavailable ones with their
(redacted) reason, never overwritten by a later value; the evidence survives the JSON report."""

from __future__ import annotations

import io

from tests.harness.specs import load_dict
from tests.metrics import key
from validator.core.result import Result
from validator.reporters.json_report import load, render
from validator.reporters.registry import ReportContext
from validator.run.pipeline import CheckOptions, Pipeline
from validator.ui import Display


def test_evidence_is_recorded_sticky_and_redacted(tmp_path, monkeypatch):
    monkeypatch.setenv("DB_TOKEN", "s3cr3t-value")
    loaded = load_dict(
        tmp_path,
        {"version": 1, "project": "ev", "settings": {"secrets": ["DB_TOKEN"]}},
        environ={"DB_TOKEN": "s3cr3t-value"},
    )
    pipeline = Pipeline(loaded, CheckOptions(), Display(quiet=True, stream=io.StringIO()))
    pipeline.add(
        [
            Result(
                kind="suite",
                name="main",
                verdict="error",
                unavailable={key("suite.main.failed"): "suite main was killed by SIGKILL after s3cr3t-value"},
            ),
            Result(kind="suite", name="late", verdict="pass", metrics={key("suite.main.failed"): 0.0, key("x.y"): 1.0}),
        ]
    )
    run = pipeline.run
    assert key("suite.main.failed") not in run.metrics and run.metrics[key("x.y")] == 1.0
    evidence = run.evidence[key("suite.main.failed")]
    assert evidence.producer == "suite main" and not evidence.is_exact and evidence.low is None
    assert "s3cr3t-value" not in evidence.reason and "killed by SIGKILL" in evidence.reason
    assert run.evidence[key("x.y")].producer == "suite late" and run.evidence[key("x.y")].is_exact
    again = load(render(run, ReportContext(history=[])))
    assert again.evidence == run.evidence
