"""The webhook receiver's fixed port, shared by the AlertManager probe and the suite's fixture: the
second waits for the first to let go (bounded), then hears its own notifications."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request

import pytest

from validator.stack.alertmanager import WebhookReceiver


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _notify(port: int, alertname: str) -> None:
    body = json.dumps({"status": "firing", "alerts": [{"labels": {"alertname": alertname}}]}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhook", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200


def test_the_second_receiver_waits_for_the_port_then_hears_its_notifications():
    port = free_port()
    first = WebhookReceiver("127.0.0.1", port, port_wait=0)
    first.__enter__()
    threading.Timer(0.6, first.__exit__, args=(None, None, None)).start()
    began = time.monotonic()
    with WebhookReceiver("127.0.0.1", port, port_wait=10) as second:
        assert time.monotonic() - began >= 0.5
        _notify(port, "Mine")
        assert second.wait_for("Mine", timeout=5)


def test_a_holder_that_keeps_the_port_is_an_error_after_the_wait():
    port = free_port()
    with WebhookReceiver("127.0.0.1", port, port_wait=0):
        began = time.monotonic()
        with pytest.raises(OSError):
            WebhookReceiver("127.0.0.1", port, port_wait=0.5)
        assert time.monotonic() - began >= 0.5
