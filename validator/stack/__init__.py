"""Code shared by the stack probes and the pytest fixtures (Spark, Delta, AlertManager, MySQL)."""
