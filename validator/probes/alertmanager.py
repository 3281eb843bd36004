"""``alertmanager``: the v2 API answers (status, cluster); an alert posted is listed; a silence is
created and deleted; the configured route delivers to a webhook receiver this probe runs itself;
everything it created is removed."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING

from validator.probes.base import Findings, Outcome, ProbeContext
from validator.redact import quoted
from validator.spec.probes.alertmanager import AlertmanagerSpec

if TYPE_CHECKING:
    from validator.stack.alertmanager import AlertManagerClient, WebhookReceiver


def run(spec: AlertmanagerSpec, ctx: ProbeContext) -> Outcome:
    # here: the client and receiver bring http.server (and email), which lint never needs
    from validator.stack.alertmanager import AlertManagerClient

    client = AlertManagerClient(spec.url, timeout=min(10.0, max(1.0, ctx.remaining())), session=ctx.http)
    found = Findings()
    _status(client, ctx, found)
    alertname = f"ValidatorProbe{uuid.uuid4().hex[:8]}"
    labels = {"alertname": alertname, "severity": "info", **spec.labels}
    receiver = _receiver(spec, ctx)
    try:
        with receiver if receiver is not None else contextlib.nullcontext():
            client.post_alert(labels, {"summary": "validator probe"})
            _listed(spec, ctx, client, alertname, found)
            if receiver is not None:
                _delivered(spec, ctx, receiver, alertname, found)
            _silence(client, alertname, found)
    finally:
        client.cleanup()
    return found.outcome("status, alert listed and delivered, silence lifecycle")


def _status(client: AlertManagerClient, ctx: ProbeContext, found: Findings) -> None:
    status = client.wait_until_ready(min(30.0, ctx.remaining() / 2))
    cluster = (status.get("cluster") or {}).get("status")
    version = (status.get("versionInfo") or {}).get("version", "?")
    found.steps.append(f"v2 status ok (version {version}, cluster {cluster})")
    if cluster not in ("ready", "disabled"):
        found.problems.append(f"cluster status {quoted(cluster)}, expected 'ready'")


def _receiver(spec: AlertmanagerSpec, ctx: ProbeContext) -> WebhookReceiver | None:
    from validator.stack.alertmanager import WebhookReceiver  # here: as in run

    if spec.webhook is None:
        return None
    bind = spec.webhook.bind
    if bind == "auto":
        bind = ctx.host_address()
    # the suite's fixture may hold the port for a while under check: wait, within this probe's time
    return WebhookReceiver(bind, spec.webhook.port, spec.webhook.path, port_wait=min(30.0, ctx.remaining() / 3))


def _listed(
    spec: AlertmanagerSpec, ctx: ProbeContext, client: AlertManagerClient, alertname: str, found: Findings
) -> None:
    listed = client.wait_for_alert(min(15.0, ctx.remaining()), alertname=alertname)
    if not listed:
        found.problems.append("the posted alert was never listed")
        return
    found.steps.append("alert posted and listed")
    names = [r.get("name") for r in listed[0].get("receivers", [])]
    if spec.receiver and spec.receiver not in names:
        found.problems.append(f"routed to {names}, expected receiver {quoted(spec.receiver)}")
    elif spec.receiver:
        found.steps.append(f"routed to {spec.receiver}")


def _delivered(
    spec: AlertmanagerSpec, ctx: ProbeContext, receiver: WebhookReceiver, alertname: str, found: Findings
) -> None:
    delivered = receiver.wait_for(alertname, min(spec.delivery_timeout, ctx.remaining()))
    if delivered:
        found.steps.append(f"delivered to the webhook ({delivered[0].get('receiver')})")
    else:
        host, port = receiver.server.server_address[:2]
        found.problems.append(
            f"no webhook delivery within {spec.delivery_timeout:g}s (receiver listening on {host!s}:{port})"
        )


def _silence(client: AlertManagerClient, alertname: str, found: Findings) -> None:
    silence = client.post_silence({"alertname": alertname})
    state = client.get_silence(silence).get("status", {}).get("state")
    client.delete_silence(silence)
    after = client.get_silence(silence).get("status", {}).get("state")
    if state == "active" and after == "expired":
        found.steps.append("silence created and deleted")
    else:
        found.problems.append(f"silence states {state} -> {after}, expected active -> expired")
