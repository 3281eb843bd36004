"""Test suites: run a command, collect per-test outcomes, aggregate per suite and group."""
