"""HTTP sessions that reach their URL's host themselves, never through a proxy from the environment.

Every HTTP request validator judges an answer by (the probes, the suites' AlertManager client, the
Spark job's read of the master UI) asks a service of the project, or a URL the spec names: its
answer is evidence only if it comes from that host. requests reads ``HTTP_PROXY``/``HTTPS_PROXY``/
``ALL_PROXY`` from the environment and, with no ``NO_PROXY``, sends even ``http://127.0.0.1:...``
through the proxy, whose 200 (its cache, its own port, its error page) would pass a dead service.
So these sessions ignore the environment's proxies (and ``.netrc``: credentials the spec does not
name). The environment's CA bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) is still used: it
says which certificates to trust, not where to go. A spec cannot ask for a proxy.
"""

from __future__ import annotations

import os
from typing import Any


def session() -> Any:
    """A ``requests.Session`` that reads no proxy (nor ``.netrc``) from the environment."""
    import requests  # here: requests (and urllib3, ssl) load only when an HTTP request is made

    made = requests.Session()
    made.trust_env = False
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        made.verify = bundle
    return made


def verify(asked: bool) -> bool | str:
    """What to verify a TLS peer against: the environment's CA bundle when verification is asked
    (as requests' ``trust_env`` would take it), else nothing."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return bundle if asked and bundle else asked
