"""Helpers shared by the test suite and benchmarks (importable, not part of the CLI)."""
