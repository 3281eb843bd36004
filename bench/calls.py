#!/usr/bin/env python3
"""Engine API calls per ``up`` path: cold, no-op, no-op again, drift of one service, at N services.

Counts each request the engine transport sends (method and path, container IDs folded), with the
seconds spent in it summed over threads, ``up`` called in-process on N busybox HTTP services each
publishing its own host port (bench/up.py's services). A count does not depend on the machine's
load; the seconds do (the load is printed beside each path).

The no-op right after the cold ``up`` re-inspects the containers whose last events (turning healthy)
fall within the witness's 2 s look back; the one 3 s later shows the steady state.

Usage: .venv/bin/python bench/calls.py [N]   (default 50)
"""

from __future__ import annotations

import collections
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port_block, load_average  # noqa: E402
from bench.up import down_ours, write  # noqa: E402
from tests.harness.images import ensure_busybox_image  # noqa: E402
from validator.engine import transport  # noqa: E402
from validator.engine.docker_api import Engine  # noqa: E402
from validator.engine.reconcile import up  # noqa: E402
from validator.load import load_spec  # noqa: E402

calls: collections.Counter[str] = collections.Counter()
seconds: collections.Counter[str] = collections.Counter()
lock = threading.Lock()
real = transport.UnixTransport.request


def counted(self, method, path, *args, **kwargs):  # type: ignore[no-untyped-def]
    key = f"{method} {re.sub(r'/containers/[^/?]+', '/containers/X', path.split('?')[0])}"
    began = time.perf_counter()
    try:
        return real(self, method, path, *args, **kwargs)
    finally:
        with lock:
            calls[key] += 1
            seconds[key] += time.perf_counter() - began


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    transport.UnixTransport.request = counted  # type: ignore[method-assign]
    image = ensure_busybox_image()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / f"calls{n}-{os.getpid()}"
        folder.mkdir()
        base = free_port_block(n)
        engine = Engine.connect()
        try:
            paths = (("cold", "a"), ("no-op", None), ("no-op, 3 s later", None), ("drift", "b"))
            for label, env in paths:
                if env is not None:
                    write(folder, n, image, env, base)
                if label.endswith("later"):  # past the witness's look back (engine/witness.py): the
                    time.sleep(3)  # cold up's last events no longer count as changes
                calls.clear()
                seconds.clear()
                began = time.perf_counter()
                result = up(load_spec([str(folder / "infra.yaml")]), engine, progress=lambda who, message: None)
                print(f"{label}, N = {n}: {time.perf_counter() - began:.2f} s, ok {result.ok}, load {load_average()}")
                for key, count in calls.most_common():
                    print(f"  {count:4d}  {seconds[key]:7.2f} s  {key}")
        finally:
            down_ours(folder)


if __name__ == "__main__":
    main()
