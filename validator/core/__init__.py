"""The run's core, below every layer: the result record, metrics with their producers, the run record and
the check pipeline that fills it."""
