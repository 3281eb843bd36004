"""The fields every probe kind shares, declared once: a kind adds its own fields and a
``kind: Literal[...]``, and changes a shared one only through a class variable (``default_timeout``),
never by declaring the field again (five kinds once re-declared ``timeout`` as a bare number and
refused the ``30s`` that ``http`` accepted)."""

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo

from validator.spec.types import Duration, Model


class ProbeSpec(Model):
    """Fields every probe has; each kind adds its own and a ``kind: Literal[...]``."""

    # the kind's default for ``timeout`` (a Spark session takes minutes, a TCP connect a moment)
    default_timeout: ClassVar[float] = 10.0

    description: str | None = None
    service: str | None = Field(
        None, description="The service it needs: when that service is not running, the probe is skipped."
    )
    timeout: Duration = Field(10.0, description="The whole probe, retries included, is cut here.")
    retries: int = Field(0, ge=0, description="Further attempts after a failure.")
    retry_interval: Duration = Field(1.0, description="Pause before the first retry; doubles each time.")
    expect: Literal["pass", "fail"] = Field(
        "pass", description="'fail': a known failure (shown as xfail); passing is then an error."
    )
    reason: str | None = Field(None, description="Why a probe is expected to fail (required with expect: fail).")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """A kind's ``default_timeout`` becomes its ``timeout`` field's default (the type, the
        description and the schema stay the ones declared here)."""
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields["timeout"]
        if field.default != cls.default_timeout:
            cls.model_fields["timeout"] = FieldInfo.merge_field_infos(field, default=cls.default_timeout)
            # models build on first use (``defer_build``: lint's start stays light); one already
            # built is rebuilt with the new default
            if cls.__pydantic_complete__:
                cls.model_rebuild(force=True)

    @model_validator(mode="after")
    def _reason(self) -> "ProbeSpec":
        if self.expect == "fail" and not self.reason:
            raise ValueError("expect: fail needs a 'reason' saying why the failure is expected")
        return self
