"""The run: the orchestration of one ``check`` over every layer below it (checks, engine, suites,
probes, criteria), filling the records of ``validator.core``."""
