"""The records every layer shares, below all of them: a result, a run, a metric's key and its evidence,
where in the spec something is. Nothing here imports a higher layer."""
