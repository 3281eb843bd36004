"""Reporters: one module per format, registered in ``registry.REPORTERS``; each reads only a RunResult."""
