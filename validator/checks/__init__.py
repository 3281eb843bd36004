"""Checks: each kind turns part of the spec into ``Result`` records (see ``registry.CHECKS``)."""
