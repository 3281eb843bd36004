"""Development tools checked like the package (ruff, mypy, tests) but not shipped in the wheel."""
