"""Build the local stand-ins of infra.yaml's images from Debian packages and the host's pyspark.

    scripts/build-images                    # all images, in dependency order
    scripts/build-images spark mysql        # only these (and what they are built FROM)
    scripts/build-images --force prometheus # rebuild even when the content hash is unchanged
    scripts/build-images --list             # print the tags the current recipes would have

Images (recipes in images/<name>/, see images/README.md):
    cdc-local/debian-base   debootstrap --variant=minbase bookworm + Java 17, Python 3, MariaDB, ...
    cdc-local/alertmanager  Debian's prometheus-alertmanager + libc + busybox  (prom/alertmanager)
    cdc-local/prometheus    Debian's prometheus + libc + busybox               (prom/prometheus)
    cdc-local/spark         debian-base + the Spark distribution of the host's pyspark + Delta's JARs (apache/spark)
    cdc-local/mysql         debian-base + MariaDB behind the mysql image's entrypoint (mysql)

Each image is tagged cdc-local/<name>:<hash> and cdc-local/<name>:local. The hash covers the
recipe files, the candidate versions of the Debian packages it uses (from the machine's apt
lists), the hash of the image it is built FROM and, for spark, the pyspark/py4j versions, the
list of Spark jars and the name and SHA-1 of each Delta Lake JAR it adds to /opt/spark/jars; when
an image with that tag exists the build is skipped.

The Delta JARs (delta-spark_2.12 and delta-storage at the version of the installed delta-spark
Python package) come from the Maven local repository (~/.m2/repository): `python -m
validator.stack.maven jars` verifies them and fetches them with mvn first when they are missing.

Environment: PYTHON (the interpreter whose pyspark is used; default .venv/bin/python if present,
else python3), CDC_LOCAL_BUILD_DIR (scratch space, default /var/tmp/cdc-local-build),
DEBIAN_MIRROR (override the mirror read from /etc/apt/sources.list[.d]).
Standard library only; runs as root on Debian 12 (apt-get, debootstrap, dpkg-deb, docker).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES_DIR = ROOT / "images"
COMMON_DIR = IMAGES_DIR / "common"
REPO = "cdc-local"
SUITE = "bookworm"
# Bump when this script changes what it produces from the same recipes (forces rebuilds).
BUILDER_FORMAT = "1"


@dataclass(kw_only=True)
class Image:
    name: str
    kind: str  # "rootfs" (debootstrap + docker import) or "dockerfile" (docker build of a staged context)
    upstream: str
    deps: tuple[str, ...] = ()
    uses_common: bool = False
    uses_pyspark: bool = False
    # filled in while planning
    hash: str = ""
    packages: dict[str, str] = field(default_factory=dict)

    @property
    def recipe(self) -> Path:
        return IMAGES_DIR / self.name

    @property
    def tag(self) -> str:
        return f"{REPO}/{self.name}:{self.hash}"

    @property
    def local_tag(self) -> str:
        return f"{REPO}/{self.name}:local"


# Dependency order.
IMAGES: dict[str, Image] = {
    image.name: image
    for image in (
        Image(name="debian-base", kind="rootfs", upstream=f"debian:{SUITE} (debootstrap --variant=minbase)"),
        Image(name="alertmanager", kind="dockerfile", upstream="prom/alertmanager:v0.26.0", uses_common=True),
        Image(name="prometheus", kind="dockerfile", upstream="prom/prometheus:v2.48.0", uses_common=True),
        Image(
            name="spark",
            kind="dockerfile",
            upstream="apache/spark:3.5.0",
            deps=("debian-base",),
            uses_pyspark=True,
        ),
        Image(name="mysql", kind="dockerfile", upstream="mysql:8.0", deps=("debian-base",)),
    )
}


class BuildError(Exception):
    """A step failed; the message names the package, file or command."""


_print_lock = threading.Lock()


def say(message: str) -> None:
    with _print_lock:
        print(message, flush=True)


def run(
    cmd: list[str],
    *,
    what: str,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    input_bytes: bytes | None = None,
    capture: bool = False,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run a command; with ``log`` its output goes there. A failure raises BuildError naming ``what``."""
    full_env = {**os.environ, **(env or {})}
    try:
        if log is not None:
            with open(log, "ab") as out:
                out.write(f"\n$ {' '.join(cmd)}\n".encode())
                out.flush()
                result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env, input=input_bytes)
        else:
            result = subprocess.run(cmd, capture_output=capture, env=full_env, input=input_bytes)
    except FileNotFoundError as exc:
        raise BuildError(f"{what}: command not found: {cmd[0]}") from exc
    if check and result.returncode != 0:
        detail = ""
        if log is not None:
            detail = "\n" + tail(log, 25)
        elif capture:
            detail = "\n" + (result.stderr or b"").decode(errors="replace").strip()
        raise BuildError(f"{what} failed (exit {result.returncode}){detail}")
    return result


def tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    | " + line for line in text[-lines:])


# ---------------------------------------------------------------------------------------------
# Machine facts: docker, apt sources, tools, pyspark


def ensure_docker() -> None:
    result = subprocess.run([str(ROOT / "scripts" / "ensure-docker")])
    if result.returncode != 0:
        raise BuildError("scripts/ensure-docker: the Docker engine is not available")


def apt_sources() -> list[tuple[str, str, list[str]]]:
    """(uri, suite, components) of every enabled 'deb' entry of the machine's apt sources."""
    entries: list[tuple[str, str, list[str]]] = []
    one_line = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*.list"))]
    for path in one_line:
        if not path.is_file():
            continue
        for raw in path.read_text(errors="replace").splitlines():
            line = raw.split("#", 1)[0].strip()
            line = re.sub(r"\[[^\]]*\]", " ", line)
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb":
                entries.append((parts[1], parts[2], parts[3:] or ["main"]))
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        for block in re.split(r"\n\s*\n", path.read_text(errors="replace")):
            fields: dict[str, str] = {}
            key = None
            for raw in block.splitlines():
                if raw.startswith("#") or not raw.strip():
                    continue
                if raw[0] in " \t" and key:
                    fields[key] += " " + raw.strip()
                    continue
                if ":" in raw:
                    key, value = raw.split(":", 1)
                    key = key.strip().lower()
                    fields[key] = value.strip()
            if "deb" not in fields.get("types", "").split():
                continue
            if fields.get("enabled", "yes").lower() == "no":
                continue
            for uri in fields.get("uris", "").split():
                for suite in fields.get("suites", "").split():
                    entries.append((uri, suite, fields.get("components", "main").split()))
    return entries


def debian_mirror() -> tuple[str, str]:
    """The mirror for debootstrap and the image's apt sources (one-line format), from the machine."""
    entries = [
        e for e in apt_sources() if e[1] == SUITE or e[1].startswith(SUITE + "-") or e[1].startswith(SUITE + "/")
    ]
    mirror = os.environ.get("DEBIAN_MIRROR")
    if not mirror:
        main = [uri for uri, suite, _ in entries if suite == SUITE]
        if not main:
            raise BuildError(
                f"no '{SUITE}' entry in /etc/apt/sources.list or /etc/apt/sources.list.d/*: "
                "set DEBIAN_MIRROR to a Debian mirror URI"
            )
        mirror = main[0]
    if not entries:
        entries = [(mirror, SUITE, ["main"])]
    lines = []
    for uri, suite, components in entries:
        line = f"deb {uri} {suite} {' '.join(components)}"
        if line not in lines:
            lines.append(line)
    return mirror, "\n".join(lines)


_apt_lock = threading.Lock()


def ensure_tool(binary: str, package: str) -> None:
    if shutil.which(binary) or Path("/usr/sbin", binary).exists():
        return
    with _apt_lock:
        if shutil.which(binary) or Path("/usr/sbin", binary).exists():
            return
        say(f"installing {package} (apt-get) for {binary}")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        result = subprocess.run(
            ["apt-get", "install", "-y", "-q", package], capture_output=True, env={**os.environ, **env}
        )
        if result.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
            run(["apt-get", "install", "-y", "-q", package], what=f"apt-get install {package}", capture=True, env=env)


def candidate_versions(packages: list[str]) -> dict[str, str]:
    """Candidate version of each package in the machine's apt lists (apt-get update when unknown)."""

    def query() -> dict[str, str]:
        out = subprocess.run(
            ["apt-cache", "policy", *packages], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"}
        ).stdout
        found: dict[str, str] = {}
        current = None
        for line in out.splitlines():
            if line and not line.startswith(" ") and line.endswith(":"):
                current = line[:-1]
            elif current and line.strip().startswith("Candidate:"):
                version = line.split(":", 1)[1].strip()
                if version and version != "(none)":
                    found[current] = version
        return found

    found = query()
    missing = [p for p in packages if p not in found]
    if missing:
        say(f"apt lists do not know {', '.join(missing)}: running apt-get update")
        run(["apt-get", "update", "-q"], what="apt-get update", capture=True)
        found = query()
        missing = [p for p in packages if p not in found]
        if missing:
            raise BuildError(f"Debian package(s) not found in the machine's apt sources: {', '.join(missing)}")
    return found


def python_interpreter() -> str:
    if os.environ.get("PYTHON"):
        return os.environ["PYTHON"]
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else "python3"


def pyspark_facts(python: str) -> dict[str, str]:
    code = (
        "import os, pyspark, py4j\n"
        "print(pyspark.__version__)\n"
        "print(os.path.dirname(pyspark.__file__))\n"
        "print(os.path.dirname(py4j.__file__))\n"
    )
    try:
        result = subprocess.run([python, "-c", code], capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BuildError(
            f"PYTHON={python}: no such interpreter (set PYTHON to a Python with pyspark installed)"
        ) from exc
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        raise BuildError(
            f"pyspark is not importable by {python} ({last}): install it "
            f"(e.g. '{python} -m pip install pyspark==3.5.*') or set PYTHON to an interpreter that has it"
        )
    version, pyspark_dir, py4j_dir = result.stdout.strip().splitlines()[-3:]
    facts = {"SPARK_VERSION": version, "PYSPARK_DIR": pyspark_dir, "PY4J_DIR": py4j_dir}
    return {**facts, **delta_jars(python)}


def delta_jars(python: str) -> dict[str, str]:
    """Delta Lake's JARs for /opt/spark/jars, at the installed delta-spark's version, from the Maven
    local repository (verified against their .sha1; fetched with mvn when missing)."""
    code = "from validator.stack.maven import installed_delta_version as v; print(v())"
    version = subprocess.run([python, "-c", code], capture_output=True, text=True)
    result = subprocess.run([python, "-m", "validator.stack.maven", "jars"], capture_output=True, text=True)
    if version.returncode != 0 or result.returncode != 0:
        last = ((version.stderr + result.stderr).strip().splitlines() or ["?"])[-1]
        raise BuildError(
            f"the Delta Lake JARs are not available ({last}): run scripts/bootstrap where Maven "
            "Central (or a mirror in ~/.m2/settings.xml) is reachable"
        )
    jars = result.stdout.split()
    return {"DELTA_VERSION": version.stdout.strip(), "DELTA_JARS": os.pathsep.join(jars)}


# ---------------------------------------------------------------------------------------------
# Content hashes


def recipe_files(image: Image) -> list[Path]:
    folders = [image.recipe] + ([COMMON_DIR] if image.uses_common else [])
    files: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise BuildError(f"recipe folder {folder.relative_to(ROOT)} is missing")
        files += sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def package_list(image: Image) -> list[str]:
    path = image.recipe / "packages"
    if not path.is_file():
        return []
    names = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def compute_hash(image: Image, versions: dict[str, str], arch: str, spark: dict[str, str] | None) -> str:
    h = hashlib.sha256()
    h.update(f"cdc-local build-images format {BUILDER_FORMAT}\n{image.name}\n{arch}\n".encode())
    for path in recipe_files(image):
        rel = path.relative_to(IMAGES_DIR).as_posix()
        mode = "x" if os.access(path, os.X_OK) else "-"
        data = path.read_bytes()
        h.update(f"file {rel} {mode} {len(data)}\n".encode())
        h.update(data)
    for name in package_list(image):
        h.update(f"package {name}={versions[name]}\n".encode())
        image.packages[name] = versions[name]
    for dep in image.deps:
        h.update(f"from {IMAGES[dep].tag}\n".encode())
    if image.uses_pyspark:
        assert spark is not None
        h.update(f"pyspark {spark['SPARK_VERSION']}\n".encode())
        h.update(f"py4j {py4j_version(spark['PY4J_DIR'])}\n".encode())
        for sub in ("jars", "bin", "sbin"):
            folder = Path(spark["PYSPARK_DIR"]) / sub
            for p in sorted(folder.iterdir()) if folder.is_dir() else []:
                h.update(f"{sub}/{p.name} {p.stat().st_size}\n".encode())
        for jar in spark["DELTA_JARS"].split(os.pathsep):
            h.update(f"delta {Path(jar).name} {hashlib.sha1(Path(jar).read_bytes()).hexdigest()}\n".encode())
    return h.hexdigest()[:12]


def py4j_version(py4j_dir: str) -> str:
    for dist in Path(py4j_dir).parent.glob("py4j-*.dist-info"):
        return dist.name[len("py4j-") : -len(".dist-info")]
    return "unknown"


# ---------------------------------------------------------------------------------------------
# Docker


def image_ids(*refs: str) -> dict[str, str]:
    ids = {}
    for ref in refs:
        result = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Id}}", ref], capture_output=True, text=True
        )
        if result.returncode == 0:
            ids[ref] = result.stdout.strip()
    return ids


def tag_local(image: Image) -> None:
    ids = image_ids(image.tag, image.local_tag)
    if ids.get(image.tag) and ids.get(image.tag) != ids.get(image.local_tag):
        run(["docker", "tag", image.tag, image.local_tag], what=f"docker tag {image.local_tag}", capture=True)


def prune_stale_tags(image: Image) -> None:
    """Untag cdc-local/<name>:<other hash> left by earlier recipes (images still used stay)."""
    result = subprocess.run(
        ["docker", "image", "ls", f"{REPO}/{image.name}", "--format", "{{.Tag}}"], capture_output=True, text=True
    )
    for tag in result.stdout.split():
        if tag in (image.hash, "local") or not re.fullmatch(r"[0-9a-f]{12}", tag):
            continue
        if subprocess.run(["docker", "rmi", f"{REPO}/{image.name}:{tag}"], capture_output=True).returncode == 0:
            say(f"[{image.name}] removed stale tag {REPO}/{image.name}:{tag}")


def common_labels(image: Image) -> dict[str, str]:
    labels = {
        "cdc-local.image": image.name,
        "cdc-local.content-hash": image.hash,
        "cdc-local.upstream": image.upstream,
        "cdc-local.recipe": f"images/{image.name}",
    }
    if image.packages:
        labels["cdc-local.debian-packages"] = " ".join(f"{k}={v}" for k, v in sorted(image.packages.items()))
    return labels


def read_labels(path: Path) -> dict[str, str]:
    labels = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                labels[key.strip()] = value.strip()
    return labels


def build_rootfs_image(image: Image, work: Path, log: Path, mirror: str, sources: str) -> None:
    ensure_tool("debootstrap", "debootstrap")
    rootfs = work / "rootfs"
    versions_out = work / "versions.txt"
    env = {
        "MIRROR": mirror,
        "APT_SOURCES": sources,
        "SUITE": SUITE,
        "VERSIONS_OUT": str(versions_out),
        "PACKAGES_FILE": str(image.recipe / "packages"),
        "LOG_DIR": str(log.parent),
    }
    run([str(image.recipe / "build-rootfs"), str(rootfs)], what=f"images/{image.name}/build-rootfs", log=log, env=env)
    labels = common_labels(image)
    if versions_out.is_file():
        labels["cdc-local.debian-packages"] = " ".join(versions_out.read_text().split())
    changes: list[str] = []
    for raw in (image.recipe / "import-changes").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            changes += ["--change", line]
    for key, value in labels.items():
        changes += ["--change", f'LABEL {key}="{value}"']
    with open(log, "ab") as out:
        out.write(b"\n$ tar -C rootfs -c . | docker import ...\n")
        tar = subprocess.Popen(
            [
                "tar",
                "-C",
                str(rootfs),
                "--numeric-owner",
                "--exclude=./dev/*",
                "--exclude=./proc/*",
                "--exclude=./sys/*",
                "-cf",
                "-",
                ".",
            ],
            stdout=subprocess.PIPE,
            stderr=out,
        )
        imp = subprocess.run(["docker", "import", *changes, "-", image.tag], stdin=tar.stdout, stdout=out, stderr=out)
        assert tar.stdout is not None
        tar.stdout.close()
        tar_rc = tar.wait()
    if tar_rc != 0:
        raise BuildError(f"tar of {rootfs} failed\n{tail(log, 10)}")
    if imp.returncode != 0:
        raise BuildError(f"docker import {image.tag} failed\n{tail(log, 10)}")


def build_dockerfile_image(image: Image, work: Path, log: Path, spark: dict[str, str] | None) -> None:
    stage = work / "context"
    stage.mkdir(parents=True)
    for path in image.recipe.iterdir():
        if path.is_file():
            shutil.copy2(path, stage / path.name)
    prepare = image.recipe / "prepare"
    if prepare.is_file():
        env = {"IMAGE_DIR": str(image.recipe), "COMMON_DIR": str(COMMON_DIR), **(spark or {})}
        run([str(prepare), str(stage)], what=f"images/{image.name}/prepare", log=log, env=env)
    labels = {**read_labels(stage / "labels"), **common_labels(image)}
    cmd = ["docker", "build", "--rm", "--force-rm", "-t", image.tag, "-t", image.local_tag]
    for key, value in labels.items():
        cmd += ["--label", f"{key}={value}"]
    for dep in image.deps:
        cmd += ["--build-arg", f"BASE_IMAGE={IMAGES[dep].tag}"]
    cmd.append(str(stage))
    run(cmd, what=f"docker build of images/{image.name}/Dockerfile", log=log, env={"DOCKER_BUILDKIT": "0"})


# ---------------------------------------------------------------------------------------------
# Scheduling


def plan(selected: list[str]) -> list[Image]:
    wanted: set[str] = set()

    def add(name: str) -> None:
        if name not in IMAGES:
            raise BuildError(f"unknown image {name!r}: choose from {', '.join(IMAGES)}")
        wanted.add(name)
        for dep in IMAGES[name].deps:
            add(dep)

    for name in selected or list(IMAGES):
        add(name)
    return [image for name, image in IMAGES.items() if name in wanted]


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    started = time.monotonic()
    try:
        images, spark = _hashed(args.images, check_docker=not args.list)
        if args.list:
            for image in images:
                print(f"{image.tag}  (and {image.local_tag})  <- {image.upstream}")
            return 0
        need_mirror = any(image.kind == "rootfs" for image in images)
        mirror, sources = debian_mirror() if need_mirror else ("", "")
    except BuildError as exc:
        say(f"build-images: ERROR: {exc}")
        return 1
    build_root = Path(os.environ.get("CDC_LOCAL_BUILD_DIR", "/var/tmp/cdc-local-build"))
    (build_root / "logs").mkdir(parents=True, exist_ok=True)
    builds = _Builds(
        build_root=build_root,
        forced=set(args.images or IMAGES) if args.force else set(),
        slots=threading.Semaphore(max(1, args.jobs)),
        mirror=mirror,
        sources=sources,
        spark=spark,
        done={image.name: threading.Event() for image in images},
    )
    threads = [threading.Thread(target=builds.build, args=(image,), name=image.name) for image in images]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return builds.summary(time.monotonic() - started)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("images", nargs="*", help=f"images to build (default: all): {', '.join(IMAGES)}")
    parser.add_argument("--force", action="store_true", help="rebuild the named (or all) images even if up to date")
    parser.add_argument("--list", action="store_true", help="print the tags of the current recipes and exit")
    parser.add_argument("--jobs", type=int, default=3, help="images built at the same time (default 3)")
    return parser


def _hashed(selected: list[str], *, check_docker: bool) -> tuple[list[Image], dict[str, str] | None]:
    """The images to build (``plan``), each with its content hash; the host's pyspark facts when one
    of them uses them."""
    images = plan(selected)
    if check_docker:
        ensure_docker()
    spark = None
    if any(image.uses_pyspark for image in images):
        python = python_interpreter()
        spark = pyspark_facts(python)
        say(f"pyspark {spark['SPARK_VERSION']} from {python}")
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip() or "unknown"
    all_packages = sorted({p for image in images for p in package_list(image)})
    versions = candidate_versions(all_packages) if all_packages else {}
    for image in images:
        image.hash = compute_hash(image, versions, arch, spark)
    return images, spark


@dataclass(kw_only=True)
class _Builds:
    """The images' builds in threads: each waits for the images it is built FROM, then is skipped (one
    failed), found up to date, or built in one of ``slots``."""

    build_root: Path
    forced: set[str]
    slots: threading.Semaphore
    mirror: str
    sources: str
    spark: dict[str, str] | None
    done: dict[str, threading.Event]
    failed: dict[str, str] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)

    def build(self, image: Image) -> None:
        try:
            for dep in image.deps:
                self.done[dep].wait()
                if dep in self.failed:
                    self.failed[image.name] = f"not built: {REPO}/{dep} failed"
                    say(f"[{image.name}] SKIPPED: {REPO}/{dep} failed")
                    return
            t0 = time.monotonic()
            if image.name not in self.forced and image_ids(image.tag):
                tag_local(image)
                prune_stale_tags(image)
                self.results[image.name] = "cached"
                say(f"[{image.name}] up to date: {image.tag} (checked in {time.monotonic() - t0:.2f} s)")
                return
            with self.slots:
                self._build(image)
        except BuildError as exc:
            self.failed[image.name] = str(exc)
            say(f"[{image.name}] FAILED: {exc}")
        except Exception as exc:  # noqa: BLE001 - a bug here must still release the dependants
            self.failed[image.name] = repr(exc)
            say(f"[{image.name}] FAILED: {exc!r}")
        finally:
            self.done[image.name].set()

    def _build(self, image: Image) -> None:
        t0 = time.monotonic()
        work = self.build_root / f"{image.name}-{image.hash}"
        log = self.build_root / "logs" / f"{image.name}.log"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        log.write_text(f"build of {image.tag}\n")
        say(f"[{image.name}] building {image.tag} (log: {log})")
        try:
            if image.kind == "rootfs":
                build_rootfs_image(image, work, log, self.mirror, self.sources)
            else:
                build_dockerfile_image(image, work, log, self.spark)
            tag_local(image)
            prune_stale_tags(image)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.results[image.name] = "built"
        say(f"[{image.name}] built {image.tag} in {time.monotonic() - t0:.1f} s")

    def summary(self, total: float) -> int:
        built = sum(1 for r in self.results.values() if r == "built")
        cached = sum(1 for r in self.results.values() if r == "cached")
        if self.failed:
            say(
                f"build-images: {len(self.failed)} image(s) failed ({', '.join(self.failed)}); {built} built, "
                f"{cached} up to date; {total:.1f} s"
            )
            return 1
        say(f"build-images: {built} built, {cached} up to date in {total:.1f} s")
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
