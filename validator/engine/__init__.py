"""The reconcile engine: desired state from the spec, observed state from Docker, a pure plan, and
its application with event-driven readiness waits. Only ``docker_api`` imports the Docker SDK."""
