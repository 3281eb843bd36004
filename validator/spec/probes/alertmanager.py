"""The ``alertmanager`` probe's fields: the test alert's labels, the receiver its route picks, the webhook."""

from typing import Literal

from pydantic import Field

from validator.spec.probes.base import ProbeSpec
from validator.spec.types import Duration, Model, PortNumber


class Webhook(Model):
    bind: str = Field(
        "auto",
        description="Host address to listen on ('auto': the Docker bridge gateway, which containers reach "
        "as host.docker.internal).",
    )
    port: PortNumber = 5001
    path: str = "/webhook"


class AlertmanagerSpec(ProbeSpec):
    default_timeout = 90.0

    kind: Literal["alertmanager"]
    url: str = "http://127.0.0.1:9093"
    labels: dict[str, str] = Field(
        default_factory=lambda: {"environment": "test"},
        description="Labels on the test alert (to match the route under test).",
    )
    receiver: str | None = Field(None, description="The receiver the route must pick for those labels.")
    webhook: Webhook | None = Field(
        default_factory=Webhook, description="Check delivery to a webhook (null: skip delivery)."
    )
    delivery_timeout: Duration = Field(60.0, description="How long to wait for the webhook call (group_wait applies).")
