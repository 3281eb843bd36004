"""An AlertManager v2 API client and a webhook receiver, shared by the probe and the pytest fixture.

The client remembers what it created (alerts, silences) so ``cleanup()`` removes exactly that.
The receiver is a small HTTP server on the host; AlertManager in its container reaches it through
``host.docker.internal`` (the bridge gateway), so it listens on that gateway address.
"""

from __future__ import annotations

import contextlib
import errno
import http.server
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from validator import direct_http


def _now(offset: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset)).isoformat().replace("+00:00", "Z")


class Response(Protocol):
    def json(self) -> Any: ...
    def raise_for_status(self) -> None: ...


class Session(Protocol):
    """What the client needs of HTTP (a ``requests.Session`` is one, and so is the probes' seam,
    ``validator.probes.seams.Http``); errors are ``OSError`` (requests' are)."""

    def request(self, method: str, url: str, *, timeout: float, params: Any = None, json: Any = None) -> Response: ...


class AlertManagerClient:
    def __init__(self, url: str, timeout: float = 10.0, session: Session | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        if session is None:
            session = direct_http.session()  # the project's AlertManager itself, never an environment proxy
        self.session: Session = session
        self.created_alerts: list[dict[str, str]] = []
        self.created_silences: list[str] = []

    def _call(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Response:
        response = self.session.request(
            method, f"{self.url}/api/v2{path}", timeout=self.timeout, params=params, json=json
        )
        response.raise_for_status()
        return response

    def status(self) -> dict[str, Any]:
        return dict(self._call("GET", "/status").json())

    def wait_until_ready(self, timeout: float) -> dict[str, Any]:
        """The status once the cluster has settled (gossip needs a few seconds after start); bounded."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if (status.get("cluster") or {}).get("status") != "settling" or time.monotonic() >= deadline:
                return status
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def post_alert(
        self, labels: dict[str, str], annotations: dict[str, str] | None = None, duration: float = 300.0
    ) -> dict[str, Any]:
        alert = {"labels": labels, "annotations": annotations or {}, "startsAt": _now(), "endsAt": _now(duration)}
        self._call("POST", "/alerts", json=[alert])
        self.created_alerts.append(dict(labels))
        return alert

    def get_alerts(self, **labels: str) -> list[dict[str, Any]]:
        filters = [f'{key}="{value}"' for key, value in labels.items()]
        return list(self._call("GET", "/alerts", params={"filter": filters}).json())

    def wait_for_alert(self, timeout: float, **labels: str) -> list[dict[str, Any]]:
        """Poll (every 0.2 s, bounded by ``timeout``) until an alert with ``labels`` is listed."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.get_alerts(**labels)
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def post_silence(self, matchers: dict[str, str], duration: float = 300.0, comment: str = "validator") -> str:
        body = {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": _now(),
            "endsAt": _now(duration),
            "createdBy": "validator",
            "comment": comment,
        }
        silence_id = str(self._call("POST", "/silences", json=body).json()["silenceID"])
        self.created_silences.append(silence_id)
        return silence_id

    def get_silence(self, silence_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/silence/{silence_id}").json())

    def delete_silence(self, silence_id: str) -> None:
        self._call("DELETE", f"/silence/{silence_id}")
        if silence_id in self.created_silences:
            self.created_silences.remove(silence_id)

    def resolve(self, labels: dict[str, str]) -> None:
        """End an alert now (AlertManager has no delete: an alert whose endsAt passed is resolved)."""
        self._call("POST", "/alerts", json=[{"labels": labels, "startsAt": _now(-1), "endsAt": _now()}])

    def cleanup(self) -> None:
        for silence_id in list(self.created_silences):
            with contextlib.suppress(OSError):  # requests' errors are OSErrors
                self.delete_silence(silence_id)
        for labels in self.created_alerts:
            with contextlib.suppress(OSError):  # requests' errors are OSErrors
                self.resolve(labels)
        self.created_alerts.clear()


class WebhookReceiver:
    """Records every notification AlertManager posts; ``wait_for(alertname)`` blocks on an Event."""

    def __init__(self, host: str, port: int, path: str = "/webhook", port_wait: float = 30.0) -> None:
        receiver = self
        self.path = path
        self.notifications: list[dict[str, Any]] = []
        self.cond = threading.Condition()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 1 << 20))
                status = 200 if self.path == receiver.path else 404
                if status == 200:
                    try:
                        payload = json.loads(body)
                    except ValueError:
                        payload = {"raw": body.decode(errors="replace")}
                    with receiver.cond:
                        receiver.notifications.append(payload)
                        receiver.cond.notify_all()
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _listen(host, port, Handler, port_wait)
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook", daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self, alertname: str, status: str | None = None) -> list[dict[str, Any]]:
        """Notifications carrying ``alertname`` (and, when given, with that status: firing/resolved)."""
        return [
            n
            for n in self.notifications
            if any(a.get("labels", {}).get("alertname") == alertname for a in n.get("alerts", []))
            and (status is None or n.get("status") == status)
        ]

    def wait_for(self, alertname: str, timeout: float, status: str | None = None) -> list[dict[str, Any]]:
        """Block (bounded by ``timeout``) until such a notification has arrived; woken by each delivery."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.received(alertname, status):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(remaining)
            return self.received(alertname, status)


def _listen(host: str, port: int, handler: type[http.server.BaseHTTPRequestHandler], wait: float) -> Any:
    """The receiver's port is fixed by AlertManager's configuration, and under ``check`` the probe
    and the suite's fixture may overlap. Each must hear the notifications of the alerts it posts
    itself (it posts them only once it listens), so whoever comes second waits for the port to be
    let go, bounded by ``wait``; a holder that keeps it is still an error then."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return http.server.ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
