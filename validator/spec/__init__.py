"""The spec: loading YAML with positions, interpolation, merging overlays, the pydantic model."""
