"""Benchmark scripts/build-images: a first build from nothing, then cached rebuilds.

    python bench/images.py             # 3 cached rebuilds (median reported)
    python bench/images.py --runs 5

1. removes every cdc-local/* image and the build scratch folder (refuses when a container still
   uses a cdc-local image: stop it first);
2. times `scripts/build-images` from nothing (debootstrap, apt downloads, docker builds);
3. times RUNS cached runs of `scripts/build-images` and takes the median;
4. lists the image sizes;
and writes the figures to bench/images-results.md (the machine's apt lists are kept: they are
the machine's, not the build's).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, load_average

IMAGES = ("debian-base", "alertmanager", "prometheus", "spark", "mysql")
OUT = ROOT / "bench" / "images-results.md"


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True, timeout=600).stdout


def local_refs() -> list[str]:
    return docker("image", "ls", "--filter", "reference=cdc-local/*", "--format", "{{.Repository}}:{{.Tag}}").split()


def remove_local_images() -> None:
    """Every cdc-local image removed; refused (exit 1) while a container still uses one."""
    refs = local_refs()
    if not refs:
        return
    for image_id in sorted(set(docker("image", "ls", "--filter", "reference=cdc-local/*", "-q").split())):
        users = docker("ps", "-a", "--filter", f"ancestor={image_id}", "--format", "{{.Names}}").split()
        if users:
            sys.exit(f"bench/images.py: containers still use cdc-local images: {' '.join(users)} (remove them first)")
    print(f"removing {len(refs)} cdc-local image tag(s)")
    docker("rmi", *refs)


def build(log: bool) -> tuple[float, str]:
    """Wall seconds of one `scripts/build-images`, and its output (echoed when ``log``)."""
    began = time.perf_counter()
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-images")], cwd=ROOT, capture_output=True, text=True, timeout=7200
    )
    elapsed = time.perf_counter() - began
    if log:
        print(result.stdout + result.stderr, end="")
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        sys.exit(f"scripts/build-images failed ({result.returncode}):\n{output}")
    return elapsed, result.stdout + result.stderr


def step_time(log: str, name: str) -> str:
    """The seconds the build's ``[name] built ... in N s`` line gives (its last one), else ``?``."""
    found = re.findall(rf"^\[{re.escape(name)}\] built .* in ([0-9.]+) s$", log, flags=re.MULTILINE)
    return found[-1] if found else "?"


def pyspark_version(log: str) -> str:
    found = re.search(r"^pyspark (\S+)", log, flags=re.MULTILINE)
    return found.group(1) if found else "?"


def size_mb(ref: str) -> int:
    return round(int(docker("image", "inspect", "--format", "{{.Size}}", ref).strip()) / 1_000_000)


def report(first: float, cached: list[float], log: str, sizes: dict[str, int], machine: str) -> str:
    """bench/images-results.md's text."""
    base = sizes["debian-base"]
    rows = [f"| `cdc-local/{name}:local` | {step_time(log, name)} s | {sizes[name]} MB |" for name in IMAGES]
    return "\n".join(
        [
            "# Local images: build timings and sizes",
            "",
            f"Measured by `bench/images.py` on {machine}, pyspark {pyspark_version(log)}).",
            "The first build starts with no cdc-local image and no build scratch space (the machine's apt",
            "lists are kept); the cached rebuild is `scripts/build-images` with nothing changed.",
            "",
            "| measure | value |",
            "| --- | ---: |",
            f"| first build from nothing (all 5 images) | {first:.1f} s |",
            f"| cached rebuild, median of {len(cached)} | {statistics.median(cached):.1f} s |",
            f"| cached rebuild runs | {', '.join(f'{c:.1f} s' for c in cached)} |",
            "",
            "| image | build step in the first build | size |",
            "| --- | ---: | ---: |",
            *rows,
            "",
            "Images build in parallel where they can (alertmanager and prometheus beside debian-base;",
            "spark and mysql after it), so the steps add up to more than the total. Sizes are those",
            "`docker image inspect` reports; spark and mysql share the debian-base layer",
            f"({base} MB), so on disk they take {sizes['spark'] - base} MB and {sizes['mysql'] - base} MB more.",
            "",
        ]
    )


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30
    engine = docker("version", "--format", "{{.Server.Version}}").strip()
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    return f"{today} ({os.cpu_count()} cores, {memory} GiB RAM, load {load_average()}, Docker engine {engine}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "3")), help="cached rebuilds")
    args = parser.parse_args()
    subprocess.run([str(ROOT / "scripts" / "ensure-docker")], check=True)
    remove_local_images()
    shutil.rmtree(os.environ.get("CDC_LOCAL_BUILD_DIR", "/var/tmp/cdc-local-build"), ignore_errors=True)
    print("== first build from nothing")
    first, log = build(log=True)
    print(f"first build: {first:.1f} s")
    cached = [build(log=False)[0] for _ in range(args.runs)]
    print(f"cached rebuilds: {' '.join(f'{c:.1f}' for c in cached)} s (median {statistics.median(cached):.1f} s)")
    text = report(first, cached, log, {name: size_mb(f"cdc-local/{name}:local") for name in IMAGES}, machine())
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    print(text, end="")


if __name__ == "__main__":
    main()
