"""``alertmanager``: the v2 API answers (status, cluster); an alert posted is listed; a silence is
created and deleted; the configured route delivers to a webhook receiver this probe runs itself;
everything it created is removed."""

from typing import Literal

from pydantic import Field

from validator.probes.base import Outcome, ProbeContext, ProbeSpec
from validator.redact import quoted
from validator.spec.types import Duration, Model, PortNumber


class Webhook(Model):
    bind: str = Field(
        "auto",
        description="Host address to listen on ('auto': the Docker bridge gateway, which containers reach "
        "as host.docker.internal).",
    )
    port: PortNumber = 5001
    path: str = "/webhook"


class Spec(ProbeSpec):
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
    timeout: Duration = 90.0


def run(spec: Spec, ctx: ProbeContext) -> Outcome:
    import contextlib
    import uuid

    from validator.stack.alertmanager import AlertManagerClient, WebhookReceiver

    client = AlertManagerClient(spec.url, timeout=min(10.0, max(1.0, ctx.remaining())))
    steps: list[str] = []
    problems: list[str] = []
    status = client.wait_until_ready(min(30.0, ctx.remaining() / 2))
    cluster = (status.get("cluster") or {}).get("status")
    version = (status.get("versionInfo") or {}).get("version", "?")
    steps.append(f"v2 status ok (version {version}, cluster {cluster})")
    if cluster not in ("ready", "disabled"):
        problems.append(f"cluster status {quoted(cluster)}, expected 'ready'")
    alertname = f"ValidatorProbe{uuid.uuid4().hex[:8]}"
    labels = {"alertname": alertname, "severity": "info", **spec.labels}
    receiver = None
    if spec.webhook is not None:
        bind = spec.webhook.bind
        if bind == "auto":
            bind = ctx.host_address()
        # the suite's fixture may hold the port for a while under check: wait, within this probe's time
        receiver = WebhookReceiver(bind, spec.webhook.port, spec.webhook.path, port_wait=min(30.0, ctx.remaining() / 3))
    try:
        with receiver if receiver is not None else contextlib.nullcontext():
            client.post_alert(labels, {"summary": "validator probe"})
            listed = client.wait_for_alert(min(15.0, ctx.remaining()), alertname=alertname)
            if not listed:
                problems.append("the posted alert was never listed")
            else:
                steps.append("alert posted and listed")
                names = [r.get("name") for r in listed[0].get("receivers", [])]
                if spec.receiver and spec.receiver not in names:
                    problems.append(f"routed to {names}, expected receiver {quoted(spec.receiver)}")
                elif spec.receiver:
                    steps.append(f"routed to {spec.receiver}")
            if receiver is not None:
                delivered = receiver.wait_for(alertname, min(spec.delivery_timeout, ctx.remaining()))
                if delivered:
                    steps.append(f"delivered to the webhook ({delivered[0].get('receiver')})")
                else:
                    host, port = receiver.server.server_address[:2]
                    problems.append(
                        f"no webhook delivery within {spec.delivery_timeout:g}s (receiver listening on {host!s}:{port})"
                    )
            silence = client.post_silence({"alertname": alertname})
            state = client.get_silence(silence).get("status", {}).get("state")
            client.delete_silence(silence)
            after = client.get_silence(silence).get("status", {}).get("state")
            if state == "active" and after == "expired":
                steps.append("silence created and deleted")
            else:
                problems.append(f"silence states {state} -> {after}, expected active -> expired")
    finally:
        client.cleanup()
    return Outcome(
        not problems, "status, alert listed and delivered, silence lifecycle", "; ".join(steps), "; ".join(problems)
    )
