"""Semantic lint rules over a validated spec; registered in ``registry.RULES``."""
