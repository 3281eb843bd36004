"""The shared corpora of compose files no one here wrote (``../shared/corpora``, beside the checkout in
CI), laid out for a run as their README says: each file copied into a folder of its own as
``compose.yaml``, with its ``.env`` and its companion files beside it. Used in place, never copied
into the project; tests and benchmarks read them through here.

- ``compose-real/NAME.yaml`` with ``env/NAME.env`` as ``.env``;
- ``compose-real2/NAME.yaml`` with ``NAME.env`` as ``.env`` and ``NAME.files/`` at the same relative paths;
- ``compose-e2e/NAME/`` (Compose's own e2e fixtures) as they are, with ``dx.env``: variables the
  fixture's e2e test sets in the process environment (``{DIR}`` is the run folder).
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SEARCH_DEPTH = 3  # the corpora sit beside the checkout: its parent, or a worktree's grandparent


@dataclass(frozen=True, kw_only=True)
class Case:
    """One compose file and what goes beside it."""

    corpus: str
    name: str
    compose: Path
    dotenv: Path | None = None
    files: Path | None = None  # copied into the folder (a directory's contents)
    folder: Path | None = None  # an e2e fixture: the whole folder is copied
    process_env: dict[str, str] = field(default_factory=dict)  # {DIR} stands for the run folder

    @property
    def id(self) -> str:
        return f"{self.corpus}/{self.name}"

    def lay_out(self, parent: Path) -> Path:
        """The run folder under ``parent`` (named after the case, as Compose names the project after
        it): ``compose.yaml`` and its companions, writable (the corpora are read-only). ``parent`` is
        made a git work tree, as the file's own repository is: the project lint and up read files in
        is that work tree (``validator.spec.confine``), so ``../common/x.xml`` stays inside it."""
        (parent / ".git").mkdir(parents=True, exist_ok=True)
        run = parent / self.name.lower()
        if self.folder is not None:
            shutil.copytree(self.folder, run, symlinks=True)
        else:
            run.mkdir(parents=True)
            shutil.copyfile(self.compose, run / "compose.yaml")
            if self.dotenv is not None:
                shutil.copyfile(self.dotenv, run / ".env")
            if self.files is not None:
                shutil.copytree(self.files, run, dirs_exist_ok=True, symlinks=True)
        for path in [run, *run.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
        return run

    def environment(self, run: Path) -> dict[str, str]:
        return {key: value.replace("{DIR}", str(run)) for key, value in self.process_env.items()}


def corpora_root(start: Path) -> Path | None:
    """``shared/corpora`` beside ``start`` or one of its parents (VALIDATOR_CORPORA wins)."""
    given = os.environ.get("VALIDATOR_CORPORA")
    if given:
        return Path(given)
    here = start.resolve()
    for folder in [here, *here.parents][: SEARCH_DEPTH + 1]:
        candidate = folder / "shared" / "corpora"
        if candidate.is_dir():
            return candidate
    return None


def real_cases(root: Path) -> Iterator[Case]:
    """The real compose files of public projects (compose-real, compose-real2)."""
    for path in sorted((root / "compose-real").glob("*.yaml")):
        env = root / "compose-real" / "env" / f"{path.stem}.env"
        yield Case(corpus="compose-real", name=path.stem, compose=path, dotenv=env if env.is_file() else None)
    for path in sorted((root / "compose-real2").glob("*.yaml")):
        env = path.with_suffix(".env")
        files = path.with_suffix(".files")
        yield Case(
            corpus="compose-real2",
            name=path.stem,
            compose=path,
            dotenv=env if env.is_file() else None,
            files=files if files.is_dir() else None,
        )


def e2e_cases(root: Path) -> Iterator[Case]:
    """Compose's own e2e fixtures, each with the variables its test sets."""
    for folder in sorted(p for p in (root / "compose-e2e").iterdir() if (p / "compose.yaml").is_file()):
        yield Case(
            corpus="compose-e2e",
            name=folder.name,
            compose=folder / "compose.yaml",
            folder=folder,
            process_env=_variables(folder / "dx.env"),
        )


def _variables(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    pairs = (line.partition("=") for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value for key, _, value in pairs}
