"""What a recorded verdict was judged against: the spec, and the content of the files it points at.

The rule (adversary graph6 case 06): a recorded run is a verdict on the current spec only while
everything that would make ``plan`` see a change is as it was. The spec's text and model
(``LoadedSpec.text_hash``: its files, interpolation, the enabled profiles) are not all of it: the
content of a ``configs``/``secrets`` file, of a read-only bind and of every file copied into a
container is in the desired state's fingerprint of each service (its configuration hash, what
``plan`` compares: "recreate web: mounted file page.html changed"), and so is each ``build``'s
Dockerfile. ``check`` records this fingerprint as the run's spec hash and ``report`` computes it
again: a run recorded under another one is not a verdict on the current spec.

The images (adversary graph7 case 01): a tag moved to another image after a passing check (a pull,
a build, ``docker tag``) is a recreate for ``plan`` as much as an edited file. So ``check``, at its
end, records the fingerprint with the image each service's reference names on its engine then
(``images``), and ``report`` asks the run's engine again: a tag that names another image now, or an
engine that cannot be asked, leaves no verdict on the current spec (exit 1, with why). A spec
without services needs no engine, and has no images in its fingerprint.

The files the stages read (adversary stop8 case 07): a ``config_keys`` file edited after a passing
check (mounted by no service), a suite's test edited to fail, a probe's ``config_file`` changed, made
``report`` show PASSED on inputs that were gone. So the fingerprint also holds the content of every
file a stage reads to reach its verdict: each ``config_keys`` path (``host:`` paths too), the
``python`` section's pyproject.toml, each Spark probe's ``config_file`` and ``delta_jars``, and each
suite's ``working_dir`` tree. A suite tree is hashed within content_hash's bounds (2000 entries or
64 MiB read, past them every entry's metadata, up to 50 000 entries); beyond those it is named by path
alone, and ``report`` then says it cannot vouch for it (``Inputs.unvouched``) and exits 1. Left out
of a suite tree is only what runs are known to write or what is no test input by nature: caches
(``__pycache__``, ``.pytest_cache``, ``.mypy_cache``, ``.ruff_cache``, ``.tox``, ``.nox``, coverage.py's
``.coverage`` data files), validator's own (the ``.validator`` folder, the history database and the
files beside it, the suites' ``junit`` and ``coverage`` files, and the report files validator writes:
``settings.reports`` and every ``--report`` path ``check`` or ``report`` noted, history.note_outputs;
the commands pass them as ``outputs``), version control's stores (``.git``, ``.hg``, ``.svn``) and
virtualenvs (a folder holding ``pyvenv.cfg``, whatever its name: installed packages are outside the
fingerprint anyway). Every other folder, dot ones included, is hashed (adversary stop8b case 03: a
suite kept its tests and their data in ``.ci/``, named on its command line, and a rule leaving out
every dot folder made ``report`` say PASSED after they were edited to fail). ``check`` records it when the run's
last observation is done: the suites have run, and what they wrote as they ran is in it as it stays
until something changes it.

Left out on purpose: a build context's other files (a context is often the project folder, the
history database included: every run would change it) and what read-write binds hold (data the
services write, not configuration). The fingerprint is keyed (the label key, engine/labels.py), so
no value of a secret file can be tested against it; a report read on another machine, or after the
key changed, calls every run changed: the safe direction.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from validator.engine.content_hash import Skip, hash_tree
from validator.engine.desired import DesiredState, desired_state
from validator.engine.labels import state_key
from validator.spec.confine import host_path
from validator.spec.load import LoadedSpec
from validator.spec.probes.spark_driver import SparkDriverSpec

UNKNOWN = "unknown:"  # the prefix of a spec hash recorded when the fingerprint could not be made

# an image reference -> the ID of the image it names on the run's engine (None: no such image there)
ImageLookup = Callable[[str], str | None]


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The fingerprint, and what is in it by path alone (a suite tree past the bounds), each with why."""

    digest: str
    unvouched: tuple[str, ...] = ()


def inputs(loaded: LoadedSpec, images: ImageLookup | None = None, outputs: Iterable[Path] = ()) -> Inputs | None:
    """The fingerprint of what a run of ``loaded`` is judged against, with the image each service's
    reference names when ``images`` is given (a spec with services: see the module's docstring), the
    files in ``outputs`` (what validator writes) left out of the suite trees; None when it cannot be made
    (a file the spec points at cannot be read, the engine cannot be asked): no recorded run then counts
    as a verdict on it."""
    try:
        desired = desired_state(loaded, refuse_unsupported=False)
        parts = _parts(desired)
        if images is not None:
            parts += [f"image {ref} {images(ref)}" for ref in sorted({s.image for s in desired.services.values()})]
        read, unvouched = _read(loaded, frozenset(outputs))
    except Exception:  # noqa: BLE001 - whatever stops it, no fingerprint: no run counts as a verdict on it
        return None
    digest = _keyed(loaded.text_hash)
    for part in parts + read:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\n")
    return Inputs(digest=digest.hexdigest(), unvouched=tuple(unvouched))


def _keyed(text_hash: str) -> hmac.HMAC:
    """A digest keyed with the label key, started with the spec's hash (adversary s9 case 18): the spec's
    hash is taken over the model after interpolation, secrets in it, so an unkeyed digest shown in a report
    and stored in the history let a short password be found by hashing guesses with the rest of the spec,
    which is in the repository. With the key (never shown, kept 0600 in the state folder) no guess can be
    checked against it."""
    return hmac.new(state_key(), text_hash.encode(), hashlib.sha256)


def verdict_inputs(loaded: LoadedSpec, images: ImageLookup | None = None, outputs: Iterable[Path] = ()) -> str | None:
    """``inputs``' digest alone."""
    found = inputs(loaded, images, outputs)
    return found.digest if found is not None else None


def recorded(loaded: LoadedSpec, images: ImageLookup | None = None, outputs: Iterable[Path] = ()) -> str:
    """The spec hash ``check`` records: the fingerprint, else ``UNKNOWN`` and the text's hash (never
    equal to a fingerprint, so ``report`` never takes that run for a verdict on any spec)."""
    return verdict_inputs(loaded, images, outputs) or UNKNOWN + _keyed(loaded.text_hash).hexdigest()


def _read(loaded: LoadedSpec, outputs: frozenset[Path]) -> tuple[list[str], list[str]]:
    """The content of every file a stage reads (``_read_files``) and of each suite's tree, in a stable
    order; and what of it is named by path alone, with why."""
    parts: list[str] = []
    unvouched: list[str] = []
    for label, path in _read_files(loaded):
        hashed = hash_tree(path, label)
        parts += [f"read {shown} {value}" for shown, value in sorted(hashed.digests.items())]
        unvouched += [f"{shown}: {why}" for shown, why in sorted(hashed.by_path.items())]
    skip = _left_out(loaded, outputs)
    for name, suite in sorted(loaded.spec.suites.items()):
        root = (loaded.base_dir / suite.working_dir).resolve()
        hashed = hash_tree(root, f"suite {name} {suite.working_dir}", skip)
        parts += [f"suite {shown} {value}" for shown, value in sorted(hashed.digests.items())]
        unvouched += [f"{shown}: {why}" for shown, why in sorted(hashed.by_path.items())]
        # the walk records a link by where it points (right for a bind: Docker does not follow it), but
        # pytest follows it: what the suite read through it is not in the hash (adversary stop8b case 08)
        unvouched += [
            f"{shown}: a symbolic link; the suite reads what it names, which the fingerprint does not hold"
            for shown, value in sorted(hashed.digests.items())
            if value.startswith("symlink:")
        ]
    return parts, unvouched


def _read_files(loaded: LoadedSpec) -> list[tuple[str, Path]]:
    """Each file a check stage reads besides what the services mount, labelled by where the spec names it."""
    base = loaded.base_dir
    spec = loaded.spec
    out = []
    for name, config in sorted(spec.config_keys.items()):
        on_host = host_path(config.path)
        out.append((f"config_keys {name} {config.path}", Path(on_host) if on_host else base / config.path))
    if spec.python is not None:
        pyproject = spec.python.pyproject or "pyproject.toml"
        out.append((f"python {pyproject}", base / pyproject))
    for name, probe in sorted(spec.probes.items()):
        if isinstance(probe, SparkDriverSpec):
            files = ([probe.config_file] if probe.config_file else []) + list(probe.delta_jars)
            out += [(f"probe {name} {spelled}", base / spelled) for spelled in files]
    return out


def _left_out(loaded: LoadedSpec, outputs: frozenset[Path]) -> Skip:
    """What a suite tree's hash leaves out: what a run writes, not what it reads (the module's docstring).
    A file beside one of them whose name begins with its name goes too (``history.db-wal``,
    ``history.db.checks.json``)."""
    written = {*outputs, loaded.base_dir / loaded.spec.settings.history}
    for suite in loaded.spec.suites.values():
        cwd = loaded.base_dir / suite.working_dir
        written.add(cwd / (suite.junit or "junit.xml"))
        if suite.coverage:
            written.add(cwd / suite.coverage)
    beside: dict[Path, list[str]] = {}
    for path in written:
        resolved = path.resolve()
        beside.setdefault(resolved.parent, []).append(resolved.name)

    def skip(path: Path, folder: bool) -> bool:
        if folder:
            return _not_an_input_folder(path)
        if any(path.name.startswith(name) for name in beside.get(path.parent, ())):
            return True
        return _not_an_input_file(path.name)

    return skip


# Folders left out by name (adversary stop8b case 03: a rule "every dot folder" left out `.ci/`, where a
# suite kept its tests and data): caches runs write, validator's own folder (the default history's), and
# version control's stores. Any other dot folder may hold what a test reads (`.ci`, `.github`, a
# `.hypothesis` database that replays examples) and is hashed.
_WRITTEN_FOLDERS = frozenset(
    {
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".tox",  # tox's virtualenvs and logs
        ".nox",
        ".validator",
        ".git",  # (a submodule's `.git` is a file, a pointer that no run changes: hashed)
        ".hg",
        ".svn",
    }
)


def _not_an_input_folder(path: Path) -> bool:
    """A folder runs write, or a virtualenv (by its ``pyvenv.cfg``, whatever its name: installed
    packages, as outside ``working_dir``, are not in the fingerprint)."""
    return path.name in _WRITTEN_FOLDERS or (path / "pyvenv.cfg").is_file()


def _not_an_input_file(name: str) -> bool:
    """coverage.py's data files (``.coverage``, ``.coverage.<host>.<pid>...`` under ``parallel``; never
    ``.coveragerc``, its configuration), or a report or note half written by validator (fileio's
    temporary names: gone a moment later)."""
    if name == ".coverage" or name.startswith(".coverage."):
        return True
    return name.startswith(".") and name.endswith(".tmp")


def _parts(desired: DesiredState) -> list[str]:
    """Each service's configuration hash (its config and the content it mounts or is copied), and
    each build's Dockerfile content, in a stable order."""
    out = []
    for name, svc in sorted(desired.services.items()):
        out.append(f"service {name} {svc.config_hash}")
        if svc.build is not None:
            context = Path(svc.build["context"])
            dockerfile = context / (svc.build.get("dockerfile") or "Dockerfile")
            hashed = hash_tree(dockerfile, f"{name} Dockerfile")
            out += [f"build {name} {shown} {value}" for shown, value in sorted(hashed.digests.items())]
    return out
