"""``criteria``: success criteria, each a condition over metrics (see validator/criteria/conditions.py)."""

from pydantic import Field

from validator.spec.types import Model


class Criterion(Model):
    title: str
    condition: str = Field(description="e.g. 'suite.main.failed == 0', 'service.*.startup < 60s'.")
    description: str | None = None
