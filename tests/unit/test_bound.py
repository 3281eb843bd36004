"""Output stays bounded: alias-multiplied findings are capped with a count, messages are masked then
clipped, and deep ``${A:-${A:-...}}`` nesting is a located error rather than a RecursionError."""

from __future__ import annotations

import pytest

from validator.spec.bound import MESSAGE_CHARS, PER_MESSAGE, bound
from validator.spec.interpolate import MAX_NESTING, InterpolationError, interpolate
from validator.spec.location import Finding, Location


def test_an_alias_bomb_of_findings_prints_a_few_kilobytes(tmp_path, run_cli):
    items = ",".join(["xxxxxxxxxx"] * 60)
    lines = ["version: 1", "project: p", f"x-a: &a [{items}]", "x-b: &b [" + ",".join(["*a"] * 60) + "]", "services:"]
    lines += [f"  s{i}: {{image: i, mem_limit: *b, command: *b, ports: *b}}" for i in range(40)]
    (tmp_path / "infra.yaml").write_text("\n".join(lines) + "\n")
    done = run_cli("lint", "infra.yaml", cwd=tmp_path)
    assert done.returncode == 1 and len(done.stdout) < 20_000, len(done.stdout)  # was 428 KB
    assert "... and 2390 more finding(s) like this one (not listed)" in done.stdout


def test_bound_masks_before_it_clips():
    from validator import redact

    secret = "planted-bound-secret-1234567890"
    redact.register([secret])
    long = "x" * (MESSAGE_CHARS - 10) + secret
    (finding,) = bound([Finding(location=Location("f", 1, 1), path=(), message=long)])
    assert "planted-b" not in finding.message and len(finding.message) <= MESSAGE_CHARS


def test_repeats_are_capped_with_a_count():
    findings = [Finding(location=Location("f", i, 1), path=("a", i), message=f"bad item [{i}]") for i in range(50)]
    kept = bound(findings)
    assert len(kept) == PER_MESSAGE + 1 and kept[-1].message.startswith("... and 40 more")


def test_deep_nesting_is_an_error_not_a_recursion_error():
    deep = "${A:-" * 3000 + "x" + "}" * 3000
    with pytest.raises(InterpolationError, match=f"nested too deep .* more than {MAX_NESTING} levels"):
        interpolate(deep, {})
    assert interpolate("${A:-" * MAX_NESTING + "x" + "}" * MAX_NESTING, {}) == "x"
