"""Probes against real servers on 127.0.0.1: pass, fail, hang, retry, expected failure, skip."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time

import pytest

from tests.harness.specs import load_dict
from tests.metrics import key
from validator.checks.probes import run_probe
from validator.probes.base import ProbeContext


class Handler(http.server.BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self):
        Handler.calls += 1
        if self.path == "/health-behind-login":
            self.send_response(302)
            self.send_header("Location", "/login.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/json":
            body, kind, status = (
                json.dumps({"status": "ALIVE", "workers": [{"state": "ALIVE"}]}).encode(),
                "application/json",
                200,
            )
        elif self.path == "/flaky" and Handler.calls % 3:
            body, kind, status = b"not yet", "text/plain", 503
        else:
            body, kind, status = b"<h1>Spark Master</h1>", "text/html", 200 if self.path != "/missing" else 404
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def silent_port():
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


def probe(tmp_path, name, spec, running=None):
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "probes": {name: spec}})
    ctx = ProbeContext(
        spec=loaded.spec, base_dir=tmp_path, deadline=time.monotonic() + 60, engine_factory=None, running=running or {}
    )
    return run_probe(loaded, name, ctx)


def test_http_pass_with_body_headers_and_json(tmp_path, server):
    result = probe(
        tmp_path,
        "ui",
        {
            "kind": "http",
            "url": f"{server}/json",
            "json_paths": {"status": "ALIVE", "workers[0].state": "ALIVE"},
            "response_headers": {"Content-Type": "json"},
        },
    )
    assert result.verdict == "pass" and result.metrics[key("probe.ui.passed")] == 1.0
    assert probe(tmp_path, "page", {"kind": "http", "url": server, "body_regex": "Spark Master"}).verdict == "pass"


def test_http_failures_say_what_differs(tmp_path, server):
    missing = probe(tmp_path, "m", {"kind": "http", "url": f"{server}/missing"})
    assert (missing.verdict, missing.expected, missing.actual) == ("fail", "status 200", "status 404")
    wrong = probe(tmp_path, "w", {"kind": "http", "url": f"{server}/json", "json_paths": {"status": "DEAD"}})
    assert wrong.verdict == "fail" and "status: expected equals 'DEAD', got ALIVE" in wrong.actual


def test_a_redirect_is_the_answer_unless_the_probe_follows_it(tmp_path, server):
    """Review 2, case 11: a 302 to a login page answering 200 is not the named endpoint answering 200."""
    url = f"{server}/health-behind-login"
    stopped = probe(tmp_path, "h", {"kind": "http", "url": url})
    assert stopped.verdict == "fail"
    assert "status 302" in stopped.actual and "/login.html" in stopped.actual
    followed = probe(tmp_path, "f", {"kind": "http", "url": url, "follow_redirects": True})
    assert followed.verdict == "pass"
    assert "login.html" in followed.message and "1 redirect" in followed.message


def test_refused_connection_is_a_failure(tmp_path):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    result = probe(tmp_path, "x", {"kind": "http", "url": f"http://127.0.0.1:{port}/", "timeout": "2s"})
    assert result.verdict == "fail" and "cannot connect" in result.message
    assert probe(tmp_path, "t", {"kind": "tcp", "port": port}).verdict == "fail"


def test_a_target_that_never_answers_is_cut_at_the_timeout(tmp_path, silent_port):
    began = time.monotonic()
    result = probe(tmp_path, "hang", {"kind": "http", "url": f"http://127.0.0.1:{silent_port}/", "timeout": "1500ms"})
    assert result.verdict == "fail"
    assert time.monotonic() - began < 4
    assert probe(tmp_path, "open", {"kind": "tcp", "port": silent_port}).verdict == "pass"


def test_retries_with_backoff(tmp_path, server):
    Handler.calls = 0
    result = probe(
        tmp_path, "flaky", {"kind": "http", "url": f"{server}/flaky", "retries": 4, "retry_interval": "100ms"}
    )
    assert result.verdict == "pass" and "after 3 attempts" in result.message


def test_expected_failure_and_unexpected_pass(tmp_path, server):
    xfail = probe(tmp_path, "x", {"kind": "http", "url": f"{server}/missing", "expect": "fail", "reason": "known bug"})
    assert xfail.verdict == "xfail" and xfail.message.startswith("expected failure: known bug")
    surprise = probe(tmp_path, "y", {"kind": "http", "url": server, "expect": "fail", "reason": "known bug"})
    assert surprise.verdict == "error" and "but passed" in surprise.message


def test_probe_of_a_service_that_is_not_running_is_skipped(tmp_path, server):
    loaded = load_dict(
        tmp_path,
        {
            "version": 1,
            "project": "demo",
            "services": {"web": {"image": "x"}},
            "probes": {"p": {"kind": "http", "service": "web", "url": server}},
        },
    )
    ctx = ProbeContext(
        spec=loaded.spec, base_dir=tmp_path, deadline=time.monotonic() + 10, engine_factory=None, running={}
    )
    result = run_probe(loaded, "p", ctx)
    assert (result.verdict, result.message) == ("skip", "service web is not running")
    assert result.unavailable[key("probe.p.passed")] == "probe p did not run: service web is not running"


def test_a_probe_whose_own_code_raises_is_an_error_not_a_fail(tmp_path, server, monkeypatch):
    import dataclasses

    from validator.probes.registry import PROBES

    def broken(spec, ctx):
        return {"status": 200}["body"]  # the probe's own bug, not the target's answer

    monkeypatch.setitem(PROBES, "http", dataclasses.replace(PROBES["http"], run=broken))
    monkeypatch.delenv("VALIDATOR_DEBUG", raising=False)
    result = probe(tmp_path, "ui", {"kind": "http", "url": server + "/"})
    assert result.verdict == "error" and result.actual == "crashed"
    assert result.message == "the probe itself crashed: KeyError: 'body'"
    assert result.metrics == {}
    assert result.unavailable[key("probe.ui.passed")] == "probe ui crashed: KeyError: 'body'"
    monkeypatch.setenv("VALIDATOR_DEBUG", "1")
    debug = probe(tmp_path, "ui", {"kind": "http", "url": server + "/"})
    assert "Traceback (most recent call last)" in debug.message and "in broken" in debug.message


def test_a_refused_connection_stays_a_failure_with_metrics(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = probe(tmp_path, "down", {"kind": "http", "url": f"http://127.0.0.1:{port}/", "timeout": "2s"})
    assert result.verdict == "fail" and result.metrics[key("probe.down.passed")] == 0.0 and not result.unavailable


def test_a_skipped_probe_leaves_every_metric_of_its_kind_unavailable(tmp_path):
    loaded = load_dict(
        tmp_path,
        {
            "version": 1,
            "project": "demo",
            "services": {"web": {"image": "x"}},
            "probes": {"box": {"kind": "container", "service": "web"}},
        },
    )
    result = run_probe(
        loaded,
        "box",
        ProbeContext(
            spec=loaded.spec, base_dir=tmp_path, deadline=time.monotonic() + 10, engine_factory=None, running={}
        ),
    )
    assert result.verdict == "skip"
    assert set(result.unavailable) == {key("probe.box.duration"), key("probe.box.passed"), key("probe.box.restarts")}


def test_what_a_failing_probe_did_not_measure_is_unavailable_with_why(tmp_path):
    from validator.errors import EngineError

    class GoneEngine:
        """The engine's answer when the container vanished between up and the probe."""

        def containers(self, filters=None):
            return []  # nothing labelled: the container the probe was handed is asked

        def inspect(self, container):
            raise EngineError(f"no such container: {container}")

    loaded = load_dict(
        tmp_path,
        {
            "version": 1,
            "project": "demo",
            "services": {"web": {"image": "x"}},
            "probes": {"box": {"kind": "container", "service": "web"}},
        },
    )
    ctx = ProbeContext(
        spec=loaded.spec,
        base_dir=tmp_path,
        deadline=time.monotonic() + 10,
        engine_factory=GoneEngine,
        running={"web": "abc123"},
    )
    result = run_probe(loaded, "box", ctx)
    assert result.verdict == "fail" and result.metrics[key("probe.box.passed")] == 0.0
    assert result.unavailable == {
        key("probe.box.restarts"): "probe box did not measure it: EngineError: no such container: abc123"
    }


class PrometheusRules(http.server.BaseHTTPRequestHandler):
    """Prometheus's /-/ready and /api/v1/rules, answering with the rule health the test sets."""

    health = "ok"
    last_error = ""

    def do_GET(self):
        # every target scraped a second ago, every rule evaluated since: judged at once
        now = time.time()
        stamp = lambda at: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + ".123456789Z"  # noqa: E731
        rule = {
            "name": "AlertmanagerDown",
            "health": PrometheusRules.health,
            "lastError": PrometheusRules.last_error,
            "lastEvaluation": stamp(now),
        }
        document = {"status": "success", "data": {"groups": [{"name": "availability", "rules": [rule]}]}}
        if self.path == "/api/v1/targets":
            document = {"status": "success", "data": {"activeTargets": [{"lastScrape": stamp(now - 2)}]}}
        body = b"Ready" if self.path == "/-/ready" else json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def prometheus():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PrometheusRules)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    PrometheusRules.health, PrometheusRules.last_error = "ok", ""


@pytest.mark.parametrize(
    ("health", "error", "verdict"),
    [
        ("ok", "", "pass"),
        ("err", "vector cannot contain metrics with the same labelset", "fail"),
        ("unknown", "", "fail"),  # never evaluated within the probe's time: not shown to work
    ],
)
def test_a_loaded_rule_passes_only_when_it_evaluates(tmp_path, prometheus, health, error, verdict):
    """Review 2, case 10: a rule that loads but fails at every evaluation can never fire."""
    PrometheusRules.health, PrometheusRules.last_error = health, error
    spec = {"kind": "prometheus", "url": prometheus, "rule_groups": ["availability"], "min_rules": 1, "timeout": "3s"}
    result = probe(tmp_path, "prom", spec)
    assert result.verdict == verdict, result
    if verdict == "fail":
        assert f"health '{health}'" in result.message and (error or "not evaluated yet") in result.message


def test_mysql_grants_are_parsed_each_privilege_by_its_whole_name():
    """Review 2, case 14: REPLICATION SLAVE ADMIN is not REPLICATION SLAVE."""
    from validator.probes.mysql import missing_replication_privileges

    careless = [
        "GRANT SELECT, BINLOG MONITOR, REPLICATION SLAVE ADMIN ON *.* TO `cdc`@`%` IDENTIFIED BY PASSWORD '*F6'"
    ]
    assert missing_replication_privileges(careless) == ["REPLICATION SLAVE"]
    on_one_schema = ["GRANT REPLICATION SLAVE, REPLICATION CLIENT ON `cdc`.* TO `cdc`@`%`"]
    assert missing_replication_privileges(on_one_schema) == ["REPLICATION SLAVE", "REPLICATION CLIENT"]
    good = ["GRANT REPLICATION SLAVE,REPLICATION CLIENT, SELECT ON *.* TO 'cdc'@'%'"]
    assert missing_replication_privileges(good) == []
    assert missing_replication_privileges(["GRANT ALL PRIVILEGES ON *.* TO `root`@`%` WITH GRANT OPTION"]) == []


@pytest.mark.parametrize(
    ("db", "environ", "why"),
    [
        ({"image": "x", "profiles": ["full"]}, {}, "runs only under profile(s) full (enabled: none)"),
        ({"image": "x", "profiles": ["full"]}, {"COMPOSE_PROFILES": "dev"}, "(enabled: dev)"),
    ],
)
def test_a_probe_of_a_service_left_out_by_design_is_an_error_not_a_skip(tmp_path, server, db, environ, why):
    """Review 2, case 17: a declared probe that cannot run because its service's profile is not enabled
    is a check the run owes, not a skip a run passes with (scale 0: a lint error, so check never starts;
    tests/examples/invalid/probe-of-scale-zero-service.yaml)."""
    spec = {
        "version": 1,
        "project": "demo",
        "services": {"db": db},
        "probes": {"db-works": {"kind": "http", "service": "db", "url": server}},
    }
    loaded = load_dict(tmp_path, spec, environ=environ)
    ctx = ProbeContext(
        spec=loaded.spec, base_dir=tmp_path, deadline=time.monotonic() + 60, engine_factory=None, running={}
    )
    result = run_probe(loaded, "db-works", ctx)
    assert result.verdict == "error" and why in result.message, result
    assert result.unavailable[key("probe.db-works.passed")].startswith("probe db-works needs service db")
    enabled = load_dict(tmp_path, spec, environ={"COMPOSE_PROFILES": "full"}) if "profiles" in db else None
    if enabled is not None:  # enabled but not running: the service's own check says why; the probe skips
        assert (
            run_probe(
                enabled,
                "db-works",
                ProbeContext(
                    spec=enabled.spec,
                    base_dir=tmp_path,
                    deadline=time.monotonic() + 60,
                    engine_factory=None,
                    running={},
                ),
            ).verdict
            == "skip"
        )


def test_probes_never_go_through_a_proxy_from_the_environment(tmp_path, server, monkeypatch):
    """Adversary v9 05: with ``HTTP_PROXY`` set (a CI runner behind a proxy) and no ``NO_PROXY``,
    requests sent even ``http://127.0.0.1:PORT`` to the proxy, whose 200 passed a service that serves
    nothing. Here the proxy (``server``, which answers 200 to anything) stands on 127.0.0.1 and
    nothing listens on the probed port: the probes, and the AlertManager client the pytest plugin
    builds, dial the port itself and fail."""
    import requests

    from validator.stack.alertmanager import AlertManagerClient

    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, server)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    target = f"http://127.0.0.1:{port}"
    health = probe(tmp_path, "h", {"kind": "http", "url": f"{target}/health", "body_regex": "Spark", "timeout": "3s"})
    assert health.verdict == "fail" and "cannot connect" in health.message, health
    prometheus = probe(tmp_path, "p", {"kind": "prometheus", "url": target, "timeout": "3s"})
    assert prometheus.verdict == "fail" and "cannot connect" in prometheus.message, prometheus
    with pytest.raises(requests.exceptions.ConnectionError):  # refused: not the proxy's page, unreadable as JSON
        AlertManagerClient(target, timeout=3).status()
    # the stand-in does answer whatever is sent through it: the failures above are not its silence
    assert requests.get(f"{target}/health", timeout=3).status_code == 200


def test_the_environment_s_ca_bundle_is_still_what_tls_is_verified_against(monkeypatch):
    """Ignoring the environment's proxies keeps its trust settings: which CAs to trust is not where to go."""
    from validator import direct_http

    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp-ca.pem")
    assert direct_http.verify(True) == "/etc/corp-ca.pem" and direct_http.verify(False) is False
    assert direct_http.session().verify == "/etc/corp-ca.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert direct_http.verify(True) is True
