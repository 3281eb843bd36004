"""Issue 21's outside review: each way it found to make ``check`` (or ``report``) pass on broken
infrastructure, reproduced through the seam the broken path goes through (the cases needing a real
engine are in ``tests/integration/test_adversarial_verdicts.py``). Each test names its case
(``/work/adv/verdicts-cases/NN-*``) and fails on the code the reviewer attacked."""

from __future__ import annotations

from tests.unit.test_history import make_run
from tests.unit.test_metric_declarations import findings
from validator import history


def test_case16_report_last_check_is_the_last_recorded_not_the_latest_clock(tmp_path):
    """16: run 1 was stamped while the clock was an hour fast; after NTP stepped it back, run 2
    (FAILED) is the last check, whatever their wall-clock stamps say."""
    db = tmp_path / "h.db"
    fast = make_run(1, 1.0)
    fast.started_at, fast.finished_at = fast.started_at + 3600, fast.finished_at + 3600
    history.record(db, fast)
    history.record(db, make_run(2, 1.0, verdict="fail"))
    assert [r.spec_hash for r in history.last_invocation(db, "demo")] == ["hash2"]
    assert [r.spec_hash for r in history.last_runs(db, "demo", 2)] == ["hash2", "hash1"]


def test_case04_a_condition_over_count_alone_reads_no_evidence(tmp_path):
    """04: ``count(probe.*.passed) >= 1`` is the number of declared probes, true with every probe
    failing: lint refuses it as it refuses ``true``; over the values it is a condition."""
    assert any("reads no measured value" in m for m in findings(tmp_path, "count(probe.*.passed) >= 1"))
    assert any("reads no measured value" in m for m in findings(tmp_path, "not count(service.*.startup) < 1"))
    assert findings(tmp_path, "sum(probe.*.passed) >= 1") == []
    assert findings(tmp_path, "count(probe.*.passed) == sum(probe.*.passed)") == []
