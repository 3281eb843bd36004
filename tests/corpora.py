"""Where the shared corpora of real compose files are (``../shared/corpora`` beside the checkout, as CI
has it; ``VALIDATOR_CORPORA`` to point elsewhere), and how to lay one file out to run it as it is.

The files are used in place, never copied into the project: a case is laid out in a temporary folder
(the file as ``compose.yaml``, its ``.env`` and companion files beside it) for the run only."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpora() -> Path | None:
    given = os.environ.get("VALIDATOR_CORPORA")
    candidates = [Path(given)] if given else []
    candidates += [ROOT.parent / "shared" / "corpora", ROOT.parent.parent / "shared" / "corpora"]
    return next((c for c in candidates if (c / "compose-real").is_dir()), None)


@dataclass(frozen=True, kw_only=True)
class Case:
    name: str
    file: Path
    env: Path | None = None
    files: Path | None = None  # a folder whose contents go beside the file

    def lay_out(self, folder: Path) -> Path:
        """The case in ``folder``: ``compose.yaml``, its ``.env`` and companions; the file's path."""
        shutil.copy(self.file, folder / "compose.yaml")
        if self.env is not None:
            shutil.copy(self.env, folder / ".env")
        if self.files is not None:
            shutil.copytree(self.files, folder, dirs_exist_ok=True)
        return folder / "compose.yaml"


def real_files() -> Iterator[Case]:
    """Every real compose file of ``compose-real`` and ``compose-real2``."""
    root = corpora()
    if root is None:
        return
    for file in sorted((root / "compose-real").glob("*.yaml")):
        env = root / "compose-real" / "env" / f"{file.stem}.env"
        yield Case(name=f"real/{file.stem}", file=file, env=env if env.is_file() else None)
    for file in sorted((root / "compose-real2").glob("*.yaml")):
        env = root / "compose-real2" / f"{file.stem}.env"
        files = root / "compose-real2" / f"{file.stem}.files"
        yield Case(
            name=f"real2/{file.stem}",
            file=file,
            env=env if env.is_file() else None,
            files=files if files.is_dir() else None,
        )
