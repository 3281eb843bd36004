"""Functional probes: one module per kind, registered in ``registry.PROBES``."""
