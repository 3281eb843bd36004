"""Delta Lake's JARs in a Maven local repository: which artifacts, whether they are there with valid
checksums, whether a remote repository serves them, fetching them once with Maven, and the Ivy
settings that make Spark's driver resolve ``spark.jars.packages`` from that local repository.

Why Ivy settings of our own: Spark's built-in chain (``~/.m2/repository``, ``~/.ivy2/local``, Maven
Central, spark-packages) finds the JARs locally, but still asks the remote repositories for things
a POM parent does not have (``oss-parent-9.jar``: measured, one refused connection per remote and
per lookup); behind a firewall that drops packets instead of refusing, each ask waits for a
timeout. With the local repository complete, the driver is given a chain of that repository alone
and never touches the network; without it, the chain adds the remote repositories that answered.

Standard library only (``scripts/build-images`` runs it with the venv's Python, lint imports the
version helpers): no Spark, no requests.

    python -m validator.stack.maven fetch     # bootstrap: fetch once, verify (a second run fetches nothing)
    python -m validator.stack.maven jars      # the verified JAR files the Spark image carries
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from xml.sax.saxutils import escape

from validator.redact import quoted

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
DELTA_GROUP = "io.delta"
# Spark 3.5 is built for Scala 2.12 (Spark 4 for 2.13): the suffix of delta-spark_<scala>.
DEFAULT_SCALA = "2.12"
_POM_NS = "{http://maven.apache.org/POM/4.0.0}"


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One file of a Maven repository: ``group:name:version`` with its extension."""

    group: str
    name: str
    version: str
    ext: str = "jar"

    @property
    def coordinate(self) -> str:
        return f"{self.group}:{self.name}:{self.version}"

    @property
    def relative(self) -> str:
        """Its path in any Maven-layout repository (local folder or remote URL)."""
        return f"{self.group.replace('.', '/')}/{self.name}/{self.version}/{self.name}-{self.version}.{self.ext}"

    def path(self, repo: Path) -> Path:
        return repo / self.relative

    def pom(self) -> Artifact:
        return Artifact(group=self.group, name=self.name, version=self.version, ext="pom")


def delta_artifacts(version: str, scala: str = DEFAULT_SCALA) -> tuple[Artifact, Artifact]:
    """The two JARs Delta Lake adds to Spark (from Delta 3.0; before, ``delta-core``). Spark 3.5
    already ships the one other runtime dependency (antlr4-runtime 4.9.3), and Scala's library."""
    return (
        Artifact(group=DELTA_GROUP, name=f"delta-spark_{scala}", version=version),
        Artifact(group=DELTA_GROUP, name="delta-storage", version=version),
    )


def delta_package(version: str, scala: str = DEFAULT_SCALA) -> str:
    """The ``spark.jars.packages`` coordinate of Delta Lake at ``version``."""
    return delta_artifacts(version, scala)[0].coordinate


def installed_delta_version() -> str:
    """The version of the installed delta-spark Python package: the one version of Delta everywhere."""
    return version("delta-spark")


def default_local_repository() -> Path:
    """Where Maven and Spark's Ivy both look: ``~/.m2/repository`` (Spark reads no settings.xml)."""
    return Path.home() / ".m2" / "repository"


def parse_coordinate(text: str) -> Artifact | None:
    """``group:name:version`` (one entry of ``spark.jars.packages``), else None."""
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(parts):
        return None
    return Artifact(group=parts[0], name=parts[1], version=parts[2])


# --- the local repository ------------------------------------------------------------------------


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_file(repo: Path, artifact: Artifact) -> str | None:
    """None when the file is present and matches the ``.sha1`` Maven stored beside it (Maven wrote
    it from the repository's checksum, which it verified with ``--strict-checksums``)."""
    path = artifact.path(repo)
    if not path.is_file():
        return f"{artifact.relative} is missing"
    stored = path.with_name(path.name + ".sha1")
    if not stored.is_file():
        return f"{artifact.relative} has no .sha1 checksum beside it"
    expected = stored.read_text(encoding="ascii", errors="replace").split()
    if not expected or expected[0].lower() != _sha1(path):
        return f"{artifact.relative} does not match its .sha1 checksum"
    return None


def _text(node: ET.Element | None, tag: str) -> str:
    found = node.find(_POM_NS + tag) if node is not None else None
    return (found.text or "").strip() if found is not None else ""


def _pom_links(pom: Path) -> tuple[list[Artifact], list[Artifact]]:
    """(parent POMs, runtime dependencies) a POM names: what Ivy reads after it."""
    root = ET.parse(pom).getroot()
    parents: list[Artifact] = []
    parent = root.find(_POM_NS + "parent")
    if parent is not None:
        parents.append(
            Artifact(
                group=_text(parent, "groupId"),
                name=_text(parent, "artifactId"),
                version=_text(parent, "version"),
                ext="pom",
            )
        )
    deps: list[Artifact] = []
    for dep in root.iterfind(f"{_POM_NS}dependencies/{_POM_NS}dependency"):
        scope = _text(dep, "scope") or "compile"
        group, name, version = _text(dep, "groupId"), _text(dep, "artifactId"), _text(dep, "version")
        if scope not in ("compile", "runtime") or _text(dep, "optional") == "true" or _text(dep, "classifier"):
            continue
        # Spark's Ivy excludes Scala's library and Spark's own modules from every package it resolves
        # (SparkSubmitUtils.addExclusionRules): they come from the cluster's own jars.
        if name == "scala-library" or (group == "org.apache.spark" and name.startswith("spark-")):
            continue
        deps.append(Artifact(group=group, name=name, version=version))
    return parents, deps


def closure(repo: Path, roots: Iterable[Artifact]) -> tuple[list[Artifact], list[str]]:
    """Every file Spark's Ivy reads to resolve ``roots`` from ``repo`` (JARs, their POMs, parent POMs
    and runtime dependencies), and the problems found (missing, bad checksum, unreadable POM)."""
    files: list[Artifact] = []
    problems: list[str] = []
    queue = list(roots)
    seen: set[Artifact] = set()
    while queue:
        artifact = queue.pop(0)
        if artifact in seen:
            continue
        seen.add(artifact)
        wanted = [artifact] if artifact.ext == "pom" else [artifact, artifact.pom()]
        for item in wanted:
            files.append(item)
            problem = check_file(repo, item)
            if problem:
                problems.append(problem)
        pom = artifact.pom().path(repo)
        if "${" in artifact.version or not pom.is_file():
            continue
        try:
            parents, deps = _pom_links(pom)
        except ET.ParseError as exc:
            problems.append(f"{artifact.pom().relative} is not a readable POM ({exc})")
            continue
        queue += [a for a in (*parents, *deps) if a.version and "${" not in a.version]
    return files, problems


# --- remote repositories -------------------------------------------------------------------------


def remote_problem(url: str, artifact: Artifact, timeout: float = 10.0) -> str | None:
    """None when ``url`` serves the artifact's POM (HEAD answered 200), else what happened."""
    target = f"{url.rstrip('/')}/{artifact.pom().relative}"
    request = urllib.request.Request(target, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        status = int(exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{url} is unreachable ({reason})"
    if status == 200:
        return None
    if status == 404:
        return f"{url} has no {artifact.coordinate} (HTTP 404)"
    return f"{url} refused {artifact.coordinate} (HTTP {status})"


def ivy_settings(local: Path, remotes: Iterable[str]) -> str:
    """An Ivy settings file for ``spark.jars.ivySettings``: the local Maven repository first, then
    the remote repositories given (none: the driver never touches the network)."""
    resolvers = [f'<ibiblio name="local-m2" m2compatible="true" usepoms="true" root="{escape(local.as_uri())}/"/>']
    for index, url in enumerate(remotes):
        resolvers.append(
            f'<ibiblio name="remote-{index}" m2compatible="true" usepoms="true" root="{escape(url.rstrip("/"))}/"/>'
        )
    body = "\n      ".join(resolvers)
    return (
        "<ivysettings>\n"
        '  <settings defaultResolver="validator-chain"/>\n'
        "  <resolvers>\n"
        '    <chain name="validator-chain" returnFirst="true">\n'
        f"      {body}\n"
        "    </chain>\n"
        "  </resolvers>\n"
        "</ivysettings>\n"
    )


@dataclass(frozen=True, kw_only=True)
class Resolution:
    """Where ``spark.jars.packages`` resolves from: ``source`` is "local" (the local repository has
    everything, checksums verified), a remote repository's URL, or "" with ``problem`` saying why
    neither works and how to fix it."""

    packages: str
    local: Path
    source: str
    remotes: tuple[str, ...] = ()
    problem: str = ""

    def ivy_settings(self) -> str:
        return ivy_settings(self.local, self.remotes)


FIX = (
    "Fix: fetch the JARs once where Maven Central (or a mirror) is reachable: `python -m validator.stack.maven "
    "fetch` (scripts/bootstrap runs it), or list local delta-spark and delta-storage JARs under the probe's "
    "delta_jars (passed as spark.jars)"
)


def resolve_packages(packages: str, local: Path, remotes: Iterable[str], timeout: float = 10.0) -> Resolution:
    """Can Spark's driver resolve ``packages`` (``spark.jars.packages``)? From ``local`` alone when it
    holds every file Ivy reads, else from the first remote repository that serves them all."""
    roots = [a for a in (parse_coordinate(part) for part in packages.split(",")) if a is not None]
    if not roots:
        problem = f"no Maven coordinate in {quoted(packages)}"
        return Resolution(packages=packages, local=local, source="", problem=problem)
    _, missing = closure(local, roots)
    if not missing:
        return Resolution(packages=packages, local=local, source="local")
    urls = tuple(remotes)
    refusals: list[str] = []
    for url in urls:
        problems = [p for p in (remote_problem(url, root, timeout) for root in roots) if p]
        if not problems:
            return Resolution(packages=packages, local=local, source=url, remotes=(url,))
        refusals.append(problems[0])
    where = "; ".join(refusals) if refusals else "no remote repository is configured"
    return Resolution(
        packages=packages,
        local=local,
        source="",
        problem=(
            f"the Delta Lake package {packages} cannot be resolved: the local repository {local} is incomplete "
            f"({missing[0]}{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}) and no Maven repository "
            f"serves it ({where}). {FIX}"
        ),
    )


# --- fetching with Maven -------------------------------------------------------------------------


def _pom_for(roots: Iterable[Artifact]) -> str:
    deps = "".join(
        f"<dependency><groupId>{escape(a.group)}</groupId><artifactId>{escape(a.name)}</artifactId>"
        f"<version>{escape(a.version)}</version></dependency>"
        for a in roots
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>validator.local</groupId><artifactId>delta-jars</artifactId><version>1</version>"
        f"<packaging>pom</packaging><dependencies>{deps}</dependencies></project>\n"
    )


def maven_command(repo: Path, offline: bool = False) -> list[str]:
    """``mvn`` resolving a throwaway project's dependencies into ``repo``. ``-C`` (strict checksums):
    a file whose checksum does not match the repository's fails the fetch instead of being kept."""
    command = [os.environ.get("MVN", "mvn"), "-B", "-q", "-C", f"-Dmaven.repo.local={repo}"]
    if offline:
        command.append("-o")
    return [*command, "dependency:resolve"]


def fetch(repo: Path, roots: Iterable[Artifact], offline: bool = False, timeout: float = 600) -> None:
    """Resolve ``roots`` (and what they need) into ``repo`` with Maven; raises RuntimeError with
    Maven's last lines when it fails."""
    if shutil.which(os.environ.get("MVN", "mvn")) is None:
        raise RuntimeError("mvn is not installed (Debian: apt-get install maven)")
    with tempfile.TemporaryDirectory(prefix="validator-mvn-") as folder:
        (Path(folder) / "pom.xml").write_text(_pom_for(roots), encoding="utf-8")
        result = subprocess.run(
            maven_command(repo, offline), cwd=folder, capture_output=True, text=True, timeout=timeout
        )
    if result.returncode != 0:
        lines = [line for line in (result.stdout + result.stderr).splitlines() if "ERROR" in line][:5]
        raise RuntimeError("mvn dependency:resolve failed: " + (" | ".join(lines) or f"exit {result.returncode}"))


@dataclass(frozen=True, kw_only=True)
class Ensured:
    version: str
    jars: tuple[Path, ...]
    fetched: bool
    seconds: float


def ensure_delta(repo: Path, version: str, scala: str = DEFAULT_SCALA) -> Ensured:
    """Delta's JARs at ``version`` complete in ``repo``: verified first, fetched only when something
    is missing or damaged (so a second run downloads nothing), verified again after."""
    began = time.monotonic()
    roots = delta_artifacts(version, scala)
    _, problems = closure(repo, roots)
    fetched = bool(problems)
    if problems:
        fetch(repo, roots)
        _, problems = closure(repo, roots)
        if problems:
            raise RuntimeError("after mvn, the local repository is still incomplete: " + "; ".join(problems))
    jars = tuple(a.path(repo) for a in roots)
    return Ensured(version=version, jars=jars, fetched=fetched, seconds=time.monotonic() - began)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m validator.stack.maven", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("fetch", "jars"))
    parser.add_argument("--repo", type=Path, default=None, help="local repository (default ~/.m2/repository)")
    parser.add_argument("--version", default=None, help="Delta version (default: the installed delta-spark's)")
    args = parser.parse_args(argv)
    repo = args.repo or default_local_repository()
    version = args.version or installed_delta_version()
    try:
        done = ensure_delta(repo, version)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"delta jars: {exc}", file=sys.stderr)
        return 1
    if args.action == "jars":
        print("\n".join(str(path) for path in done.jars))
        return 0
    how = f"fetched with mvn in {done.seconds:.1f} s" if done.fetched else "already present, nothing downloaded"
    print(f"delta jars: Delta {version} in {repo} ({how}; checksums verified)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
