"""AlertManager delivery (T130-T146): the v2 API, the test route, the webhook receiver, silences."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.alerting


def name() -> str:
    return f"TestAlert{uuid.uuid4().hex[:10]}"


class TestAlertDelivery:
    def test_status_reports_a_ready_cluster(self, alertmanager_client):
        assert alertmanager_client.wait_until_ready(30)["cluster"]["status"] == "ready"

    def test_status_carries_the_running_configuration(self, alertmanager_client):
        config = alertmanager_client.status()["config"]["original"]
        assert "test-receiver" in config and "resolve_timeout: 5m" in config

    def test_posted_alert_is_listed(self, alertmanager_client):
        alert = name()
        alertmanager_client.post_alert({"alertname": alert, "severity": "warning"})
        assert alertmanager_client.wait_for_alert(10, alertname=alert)

    def test_labels_are_kept(self, alertmanager_client):
        alert = name()
        alertmanager_client.post_alert({"alertname": alert, "severity": "critical", "team": "data"})
        (found,) = alertmanager_client.wait_for_alert(10, alertname=alert)
        assert found["labels"] == {"alertname": alert, "severity": "critical", "team": "data"}

    def test_annotations_are_kept(self, alertmanager_client):
        alert = name()
        alertmanager_client.post_alert({"alertname": alert, "severity": "info"}, {"summary": "disk almost full"})
        (found,) = alertmanager_client.wait_for_alert(10, alertname=alert)
        assert found["annotations"]["summary"] == "disk almost full"

    def test_test_environment_routes_to_the_test_receiver(self, alertmanager_client):
        alert = name()
        alertmanager_client.post_alert({"alertname": alert, "severity": "info", "environment": "test"})
        (found,) = alertmanager_client.wait_for_alert(10, alertname=alert)
        assert [r["name"] for r in found["receivers"]] == ["test-receiver"]

    def test_alert_is_delivered_to_the_webhook(self, alertmanager_client, alert_webhook):
        alert = name()
        alertmanager_client.post_alert({"alertname": alert, "severity": "info", "environment": "test"})
        (notification, *_) = alert_webhook.wait_for(alert, timeout=30)
        assert notification["receiver"] == "test-receiver" and notification["status"] == "firing"

    def test_alerts_are_grouped_by_alertname_and_severity(self, alertmanager_client, alert_webhook):
        alert = name()
        for instance in ("a", "b"):
            alertmanager_client.post_alert(
                {"alertname": alert, "severity": "info", "environment": "test", "instance": instance}
            )
        notifications = alert_webhook.wait_for(alert, timeout=30)
        grouped = notifications[-1]
        assert grouped["groupLabels"] == {"alertname": alert, "severity": "info"}
        assert len(alert_webhook.wait_for(alert, timeout=5)[-1]["alerts"]) in (1, 2)
        assert {a["labels"]["instance"] for n in notifications for a in n["alerts"]} <= {"a", "b"}

    def test_silence_is_created_active(self, alertmanager_client):
        silence = alertmanager_client.post_silence({"alertname": name()})
        assert alertmanager_client.get_silence(silence)["status"]["state"] == "active"

    def test_silenced_alert_is_suppressed(self, alertmanager_client):
        alert = name()
        silence = alertmanager_client.post_silence({"alertname": alert})
        alertmanager_client.post_alert({"alertname": alert, "severity": "info"})
        (found,) = alertmanager_client.wait_for_alert(10, alertname=alert)
        assert found["status"]["state"] == "suppressed" and silence in found["status"]["silencedBy"]

    def test_deleted_silence_expires(self, alertmanager_client):
        silence = alertmanager_client.post_silence({"alertname": name()})
        alertmanager_client.delete_silence(silence)
        assert alertmanager_client.get_silence(silence)["status"]["state"] == "expired"

    def test_resolved_alert_is_notified(self, alertmanager_client, alert_webhook):
        alert = name()
        labels = {"alertname": alert, "severity": "info", "environment": "test"}
        alertmanager_client.post_alert(labels)
        assert alert_webhook.wait_for(alert, timeout=30, status="firing")
        alertmanager_client.resolve(labels)
        resolved = alert_webhook.wait_for(alert, timeout=60, status="resolved")
        assert resolved, "no resolved notification within 60 s (send_resolved: true in the receiver)"
        assert resolved[0]["alerts"][0]["status"] == "resolved"
